"""Console pages: rules list and editor (inline errors, dry run), approvals, exception queue."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from orderhub.core.db import unit_of_work
from orderhub.orders.service import get_order
from orderhub.rules import editing
from orderhub.rules.pack import install_default_pack
from orderhub.rules.service import evaluate
from orderhub.web.i18n import LANG_COOKIE
from tests.builders import TEST_ACTOR
from tests.support.app import shared_app
from tests.web.conftest import add_order, csrf_from, log_in

RULE_FORM = {"name": "big", "key": "big", "triggers": ["order.created"],
             "condition": "order.total >= 2000", "severity": "warning", "priority": "100",
             "enabled": "on",
             "actions": '[{"type": "require_approval", "role": "supervisor", "on_reject": "cancel"}]'}


@pytest.fixture
def console(committed: Engine) -> Iterator[TestClient]:
    with TestClient(shared_app()) as test_client:
        yield test_client


def test_rules_list_and_editor_in_both_languages(console: TestClient) -> None:
    with unit_of_work() as session:
        install_default_pack(session, actor=TEST_ACTOR)
    log_in(console, "lead", "ops")
    page = console.get("/rules").text
    assert "地址模糊或无法解析" in page and "新建规则" in page
    console.cookies.set(LANG_COOKIE, "en")
    page = console.get("/rules").text
    assert "New rule" in page and "Triggers" in page
    with unit_of_work() as session:
        rule_id = editing.find_by_key(session, "vague-address").id
    assert f'href="/rules/{rule_id}"' in page
    editor = console.get(f"/rules/{rule_id}").text
    assert "receiver.parsed.confidence" in editor and "Versions" in editor


def test_a_bad_condition_is_shown_inline_with_its_position(console: TestClient) -> None:
    log_in(console, "lead", "ops")
    csrf = csrf_from(console, "/rules/new")
    refused = console.post("/rules", data={**RULE_FORM, "condition": "order.totl >= 2000",
                                           "csrf_token": csrf})
    assert refused.status_code == 422
    assert "第 1 行第 7 列" in refused.text and "unknown field &#39;totl&#39;" in refused.text
    assert "order.totl &gt;= 2000" in refused.text  # what was typed is kept
    check = console.post("/rules/check", data={"condition": "order.total >=\n  ", "csrf_token": csrf},
                         headers={"HX-Request": "true"})
    assert "第 2 行第 3 列" in check.text
    ok = console.post("/rules/check", data={"condition": "order.total >= 1", "csrf_token": csrf})
    assert "条件有效" in ok.text and "order.total" in ok.text
    bad_json = console.post("/rules", data={**RULE_FORM, "actions": "[{", "csrf_token": csrf})
    assert bad_json.status_code == 422 and "not valid JSON" in bad_json.text


def test_save_dry_run_and_permissions(console: TestClient) -> None:
    add_order(total="2500.00")
    add_order()
    log_in(console, "lead", "ops")
    csrf = csrf_from(console, "/rules/new")
    saved = console.post("/rules", data={**RULE_FORM, "csrf_token": csrf}, follow_redirects=False)
    assert saved.status_code == 303 and re.fullmatch(r"/rules/\d+", saved.headers["location"])
    assert "规则已保存（版本 1）" in console.get(saved.headers["location"]).text
    run = console.post("/rules/dry-run", data={**RULE_FORM, "days": "7", "csrf_token": csrf},
                       headers={"HX-Request": "true"})
    assert "最近 7 天 2 个订单中有 1 个会命中" in run.text and "需要审批" in run.text
    console.cookies.clear()
    log_in(console, "agent", "cs")
    assert console.get("/rules").status_code == 200
    assert console.get("/rules/new").status_code == 403


def test_approvals_page_approves_from_a_phone(console: TestClient) -> None:
    order_no = add_order(total="2500.00", buyer_remark="")
    with unit_of_work() as session:
        editing.create_rule(session, actor=TEST_ACTOR, data={
            **RULE_FORM, "priority": 100, "enabled": True,
            "actions": [{"type": "require_approval", "role": "supervisor"}]})
        evaluate(session, order=get_order(session, order_no), trigger="order.created",
                 actor=TEST_ACTOR)
    log_in(console, "boss", "supervisor")
    page = console.get("/approvals", headers={"User-Agent": "iPhone"}).text
    assert order_no in page and "¥2500.00" in page and "通过" in page
    csrf = csrf_from(console, "/approvals")
    approval_id = re.search(r'action="/approvals/(\d+)/decide"', page).group(1)
    no_comment = console.post(f"/approvals/{approval_id}/decide",
                              data={"decision": "reject", "comment": "", "csrf_token": csrf})
    assert "say why" in no_comment.text
    done = console.post(f"/approvals/{approval_id}/decide",
                        data={"decision": "approve", "comment": "ok", "csrf_token": csrf})
    assert "已通过。" in done.text
    with unit_of_work() as session:
        assert get_order(session, order_no).status == "paid"
    forged = console.post(f"/approvals/{approval_id}/decide", data={"decision": "approve"})
    assert forged.status_code == 403


def test_exception_queue_groups_filters_and_bulk_resolves(console: TestClient) -> None:
    numbers = [add_order() for _ in range(3)]
    log_in(console, "agent", "cs")
    for n, no in enumerate(numbers):
        csrf = csrf_from(console, f"/orders/{no}")
        console.post(f"/orders/{no}/holds", data={"reason_code": "address_check" if n else "manual",
                                                  "reason": "", "csrf_token": csrf})
    page = console.get("/exceptions").text
    assert "共 3 个未解除的挂起" in page and "地址待核实" in page and "人工挂起" in page
    filtered = console.get("/exceptions?reason_code=address_check").text
    ids = re.findall(r'name="hold_ids" value="(\d+)"', filtered)
    assert len(ids) == 2
    csrf = csrf_from(console, "/exceptions")
    done = console.post("/exceptions/resolve", data={"hold_ids": ids, "resolution": "核实无误",
                                                     "back": "/exceptions", "csrf_token": csrf})
    assert "已解除 2 个挂起，跳过 0 个" in done.text and "共 1 个未解除的挂起" in done.text
    no_csrf = console.post("/exceptions/resolve", data={"hold_ids": ids, "resolution": "x"})
    assert no_csrf.status_code == 403
