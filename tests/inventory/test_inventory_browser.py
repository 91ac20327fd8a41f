"""The master data, sellable and transfer pages in a real browser (Debian's chromium, headless):
no script or CSP errors, forms work, and screenshots land in test-artifacts/ for a person."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orderhub.core import clock
from orderhub.core.db import unit_of_work
from orderhub.inventory import demo, masterdata, sellable, transfers
from tests.builders import TEST_ACTOR
from tests.web.conftest import PASSWORD, add_user
from tests.web.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


def _seed() -> tuple[int, int]:
    with unit_of_work() as session:
        demo.seed_demo_stock(session, actor=TEST_ACTOR)
        sellable.upsert_channel_rule(session, shop="tmall-flagship", warehouse_codes=["HZ", "GZ"],
                                     share_pct=60, actor=TEST_ACTOR)
        sellable.upsert_channel_rule(session, shop="douyin-live", warehouse_codes=[], share_pct=30,
                                     use_safety_stock=False, actor=TEST_ACTOR)
        when = clock.now() + timedelta(days=3)
        moved = transfers.request_transfer(session, sku="BX-THERM-2P", from_warehouse="HZ",
                                           to_warehouse="CD", quantity=20, expected_at=when,
                                           actor=TEST_ACTOR, note="成都仓补货")
        transfers.ship(session, transfer_id=moved.id, actor=TEST_ACTOR)
        bundle = next(s for s in masterdata.search_skus(session, limit=500)[0]
                      if masterdata.bundle_parts(session, s.id))
        hz = next(w for w in masterdata.all_warehouses(session) if w.code == "HZ")
        return bundle.id, hz.id


def test_inventory_pages_in_a_browser(server: str) -> None:  # noqa: F811
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    add_user("zhou", "ops", display_name="周运营")
    bundle_id, hz_id = _seed()
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))
            expect = sync_api.expect
            page.goto(server + "/login?next=/inventory/skus")
            page.fill("input[name=username]", "zhou")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(server + "/inventory/skus")
            expect(page.locator("#sku-list tbody tr").first).to_be_visible()
            page.screenshot(path=ARTIFACTS / "inventory-01-skus.png", full_page=True)

            page.goto(f"{server}/inventory/skus/{bundle_id}")
            page.fill("#bundle-components tbody tr:nth-last-child(2) input[name=component]", "NOPE-404")
            page.click("#bundle-components button[type=submit]")
            expect(page.locator(".message-error")).to_contain_text("NOPE-404")
            page.screenshot(path=ARTIFACTS / "inventory-02-sku-edit-error.png", full_page=True)

            page.goto(server + "/inventory/warehouses")
            expect(page.locator("#warehouse-list tbody tr")).to_have_count(3)
            page.screenshot(path=ARTIFACTS / "inventory-03-warehouses.png", full_page=True)
            page.goto(f"{server}/inventory/warehouses/{hz_id}")
            page.fill("input[name=daily_capacity]", "900")
            page.click("#warehouse-form button[type=submit]")
            expect(page.locator(".message-ok")).to_be_visible()
            page.screenshot(path=ARTIFACTS / "inventory-04-warehouse-edit.png", full_page=True)

            page.goto(server + "/inventory/sellable")
            expect(page.locator("#channel-rules tbody tr")).to_have_count(3)  # and the demo's own-store
            page.screenshot(path=ARTIFACTS / "inventory-05-sellable.png", full_page=True)

            page.goto(server + "/inventory/transfers")
            expect(page.locator("#transfer-list tbody tr")).to_have_count(1)
            page.click("#transfer-list button:text('确认收货')")
            expect(page.locator(".message-ok")).to_be_visible()
            page.goto(server + "/inventory/transfers?status=")
            page.screenshot(path=ARTIFACTS / "inventory-06-transfers.png", full_page=True)

            page.click("a[data-lang=en]")
            expect(page.locator("h1")).to_have_text("Transfers")
            page.goto(server + "/inventory/skus")
            page.screenshot(path=ARTIFACTS / "inventory-07-skus-english.png", full_page=True)

            phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                     is_mobile=True, has_touch=True, device_scale_factor=2)
            phone.context.add_cookies([c for c in page.context.cookies() if c["name"] == "orderhub_session"])
            phone.goto(server + "/inventory/skus")
            phone.screenshot(path=ARTIFACTS / "inventory-08-phone-skus.png", full_page=True)
            phone.goto(server + "/inventory/transfers?status=")
            phone.screenshot(path=ARTIFACTS / "inventory-09-phone-transfers.png", full_page=True)
        finally:
            browser.close()
    # The refused bundle save answers 422 on purpose (the form comes back with the error).
    assert [m for m in problems if "status of 422" not in m] == []
