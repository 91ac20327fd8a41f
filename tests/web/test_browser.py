"""The console in a real browser: the real server as a subprocess, Debian's chromium headless.

Screenshots land in test-artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from orderhub.core.db import unit_of_work
from orderhub.orders.holds import add_hold
from orderhub.orders.service import cancel_order
from tests.builders import TEST_ACTOR
from tests.web.conftest import PASSWORD, add_order, add_user

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(base: str, proc: subprocess.Popen, log: Path) -> None:
    """/health when the API has it, else the login page: either means the app is serving."""
    deadline = time.monotonic() + 120
    with httpx.Client(timeout=2) as client:  # one TLS context, not one per try
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text()}")
            for path in ("/health", "/login"):
                try:
                    if client.get(base + path).status_code == 200:
                        return
                except httpx.TransportError:
                    break  # not listening yet
            time.sleep(0.2)
    pytest.fail(f"the server did not answer within 120 s:\n{log.read_text()}")


@pytest.fixture
def server(committed: Engine, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    # Same environment as the tests (ORDERHUB_DATABASE_URL from tests/conftest.py).
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "orderhub.api.app:serve_app", "--factory",  # as `orderhub serve`
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=ROOT, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(base, proc, log)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _seed_orders() -> str:
    """A small realistic day: the order the test works on has phone tail 5678."""
    add_order(platform_order_id="MP20261123000017")
    target = add_order(
        platform_order_id="MP20261123000018", created_at="2026-11-23T11:15:40+08:00",
        buyer={"id": "u-10021", "nick": "阿杰"}, buyer_remark="",
        receiver={"name": "李四", "phone": "13912345678", "province": "广东省", "city": "深圳市",
                  "district": "南山区", "address": "科技园南区深南大道9988号"},
        lines=[{"platform_sku": "TS-2026-WHT-L", "title": "纯棉短袖T恤 白色 L", "quantity": 2,
                "unit_price": "89.00", "discount": "0.00"},
               {"platform_sku": "SK-2026-GRY", "title": "运动袜 灰色 三双装", "quantity": 1,
                "unit_price": "29.90", "discount": "5.00"}],
        shipping_fee="8.00", total="210.90")
    held = add_order(platform_order_id="MP20261123000019", created_at="2026-11-23T12:40:02+08:00",
                     receiver={"name": "王五", "phone": "13700001111", "province": "北京市",
                               "city": "北京市", "district": "朝阳区", "address": "望京街10号"},
                     buyer_remark="发票抬头：北京某某科技有限公司")
    gone = add_order(platform_order_id="MP20261123000020", created_at="2026-11-23T13:05:00+08:00",
                     receiver={"name": "赵六", "phone": "13600002222", "province": "四川省",
                               "city": "成都市", "district": "武侯区", "address": "人民南路四段1号"})
    with unit_of_work() as session:
        add_hold(session, order_no=held, reason_code="buyer_remark", reason="留言要求开发票",
                 actor=TEST_ACTOR)
        cancel_order(session, order_no=gone, actor=TEST_ACTOR, reason="买家申请取消")
    return target


def test_log_in_filter_hold_and_switch_language(server: str) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (CI installs Debian's chromium package)")
    sync_api = pytest.importorskip("playwright.sync_api")
    add_user("lin", "cs")
    order_no = _seed_orders()
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            # A CSP violation or a script error would show up here.
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))
            expect = sync_api.expect

            page.goto(server + "/orders")
            expect(page).to_have_url(server + "/login?next=/orders")
            page.fill("input[name=username]", "lin")
            page.fill("input[name=password]", PASSWORD)
            page.screenshot(path=ARTIFACTS / "console-01-login.png")
            page.click("button[type=submit]")

            expect(page).to_have_url(server + "/orders")
            rows = page.locator("#order-results tbody tr")
            expect(rows).to_have_count(4)
            page.screenshot(path=ARTIFACTS / "console-02-orders.png", full_page=True)

            # Typing a phone tail re-renders the table over HTMX and pushes the filtered URL.
            page.fill("input[name=phone_tail]", "5678")
            expect(page).to_have_url(server + "/orders?phone_tail=5678")
            expect(rows).to_have_count(1)
            expect(rows.first).to_contain_text(order_no)
            page.screenshot(path=ARTIFACTS / "console-03-filtered.png", full_page=True)

            page.click(f"a:text('{order_no}')")
            expect(page).to_have_url(f"{server}/orders/{order_no}")
            expect(page.locator("h1")).to_contain_text(order_no)
            page.select_option(".add-hold select[name=reason_code]", "address_check")
            page.fill(".add-hold input[name=reason]", "买家来电要求改地址")
            page.click(".add-hold button[type=submit]")

            expect(page.locator(".message-ok")).to_be_visible()
            expect(page.locator("#holds")).to_contain_text("买家来电要求改地址")
            expect(page.locator("#holds")).to_contain_text("地址待核实")
            expect(page.locator(".order-title .badge")).to_have_text("已挂起")
            expect(page.locator("#timeline")).to_contain_text("添加挂起")
            page.screenshot(path=ARTIFACTS / "console-04-order-held.png", full_page=True)

            page.click("a[data-lang=en]")
            expect(page).to_have_url(f"{server}/orders/{order_no}")
            expect(page.locator("#holds h2")).to_have_text("Holds")
            expect(page.locator("#timeline")).to_contain_text("Hold added")
            expect(page.locator(".order-title .badge")).to_have_text("On hold")
            page.screenshot(path=ARTIFACTS / "console-05-order-english.png", full_page=True)

            # The same pages on a phone (approvals and look-ups happen there).
            phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                     is_mobile=True, has_touch=True, device_scale_factor=2)
            phone.context.add_cookies([c for c in page.context.cookies()
                                       if c["name"] == "orderhub_session"])
            phone.goto(server + "/orders")
            expect(phone.locator("#order-results tbody tr")).to_have_count(4)
            phone.screenshot(path=ARTIFACTS / "console-06-phone-orders.png", full_page=True)
            phone.goto(f"{server}/orders/{order_no}")
            phone.screenshot(path=ARTIFACTS / "console-07-phone-order.png")
            phone.locator("#holds").screenshot(path=ARTIFACTS / "console-08-phone-holds.png")
        finally:
            browser.close()

    assert problems == []
