"""The scan page in a real browser on a phone-sized screen (375×667): type a code and Enter
as a USB scanner does, see the green answer, scan a wrong code, see the red one; the cursor
stays in the field and nothing is wider than the screen. Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest

from orderhub.core.db import unit_of_work
from tests.fulfilment.outbound.support import printed_order, warehouse
from tests.web.conftest import PASSWORD, add_user
from tests.web.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser


def test_scanning_on_a_phone(server: str) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    add_user("packer", "warehouse", display_name="打包员小王")
    with unit_of_work() as session:
        order, waybill = printed_order(session, warehouse(session))
        order_no, tracking_no = order.order_no, waybill.tracking_no
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 667}, locale="zh-CN",
                                    is_mobile=True, has_touch=True)
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(server + "/login?next=/scan%3Fstation%3Ddoor-1")
            page.fill("input[name=username]", "packer")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(server + "/scan?station=door-1")
            code = page.locator("#scan-code")
            expect(code).to_be_focused()

            page.keyboard.type(tracking_no)
            page.keyboard.press("Enter")
            message = page.locator("#scan-message")
            expect(message).to_have_text(f"发货成功 {order_no} · ZTO {tracking_no}")
            expect(page.locator("#scan-result")).to_have_class("scan-result scan-ok")
            expect(code).to_be_focused()
            expect(code).to_have_value("")
            page.screenshot(path=ARTIFACTS / "scan-01-shipped.png", full_page=True)

            page.keyboard.type(" yt0000000000 ")
            page.keyboard.press("Enter")
            expect(message).to_have_text("查无此单：yt0000000000")
            expect(page.locator("#scan-result")).to_have_class("scan-result scan-bad")
            expect(code).to_be_focused()
            expect(page.locator(".scan-list li")).to_have_count(2)
            assert page.evaluate("document.body.dataset.lastScan") == "unknown"
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, "wider than the phone"
            assert page.url == server + "/scan?station=door-1", "no full reload"
            page.screenshot(path=ARTIFACTS / "scan-02-unknown.png", full_page=True)
        finally:
            browser.close()
    assert problems == []
