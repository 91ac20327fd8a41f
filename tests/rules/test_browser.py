"""Rules console in a real browser: the editor checks the condition as you type and shows the
error at its line and column; a dry run; the exception queue; approving on a phone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from orderhub.core.db import unit_of_work
from orderhub.orders.service import get_order
from orderhub.rules.models import Approval
from orderhub.rules.pack import install_default_pack
from orderhub.rules.service import evaluate
from tests.builders import TEST_ACTOR
from tests.web.conftest import PASSWORD, add_order, add_user
from tests.web.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server  # noqa: F401

pytestmark = pytest.mark.browser


def _log_in(page, base: str, username: str) -> None:  # noqa: ANN001
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_editor_dry_run_queue_and_phone_approval(server: str) -> None:  # noqa: F811
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (CI installs Debian's chromium package)")
    sync_api = pytest.importorskip("playwright.sync_api")
    add_user("lead", "ops")
    add_user("boss", "supervisor")
    big = add_order(total="2999.00", buyer_remark="")
    add_order(receiver={"name": "王五", "phone": "12345", "province": "", "city": "",
                        "district": "", "address": "学校后面那个小区"}, buyer_remark="")
    with unit_of_work() as session:
        install_default_pack(session, actor=TEST_ACTOR)
        for number in (big,):
            evaluate(session, order=get_order(session, number), trigger="order.created",
                     actor=TEST_ACTOR)
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        try:
            expect = sync_api.expect
            page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))
            _log_in(page, server, "lead")
            page.goto(server + "/rules/new")
            page.fill("input[name=name]", "大额订单")
            page.fill("textarea[name=condition]", "order.totl >= 2000")
            page.locator("textarea[name=condition]").press("End")
            error = page.locator(".rule-check-error")
            expect(error).to_contain_text("第 1 行第 7 列")
            expect(error).to_contain_text("unknown field 'totl'")
            page.screenshot(path=ARTIFACTS / "rules-01-editor-error.png", full_page=True)
            page.fill("textarea[name=condition]", "order.total >= 2000")
            page.locator("textarea[name=condition]").press("End")
            expect(page.locator(".rule-check-ok")).to_contain_text("条件有效")
            page.click("button:text('试运行')")
            expect(page.locator("#dry-run-results")).to_contain_text("个会命中")
            expect(page.locator("#dry-run-results")).to_contain_text(big)
            page.screenshot(path=ARTIFACTS / "rules-02-dry-run.png", full_page=True)

            page.goto(server + "/exceptions")
            expect(page.locator(".queue-groups")).to_contain_text("待审批")
            page.screenshot(path=ARTIFACTS / "rules-03-exception-queue.png", full_page=True)

            phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                     is_mobile=True, has_touch=True, device_scale_factor=2)
            phone.on("pageerror", lambda e: problems.append(str(e)))
            _log_in(phone, server, "boss")
            phone.goto(server + "/approvals")
            card = phone.locator(".approval-card").first
            expect(card).to_contain_text(big)
            phone.screenshot(path=ARTIFACTS / "rules-04-phone-approvals.png", full_page=True)
            card.locator("input[name=comment]").fill("已电话确认")
            card.locator("button[value=approve]").click()
            expect(phone.locator(".message-ok")).to_contain_text("已通过")
            phone.screenshot(path=ARTIFACTS / "rules-05-phone-approved.png", full_page=True)
        finally:
            browser.close()
    with unit_of_work() as session:
        approval = session.scalar(select(Approval))
        assert approval.status == "approved" and approval.comment == "已电话确认"
    assert problems == []
