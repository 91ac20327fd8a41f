"""The SLA console: policy editor and people pages render and save; the countdown shows on the
order page and the order list, which can sort by deadline."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

import orderhub.sla.tasks  # noqa: F401
from orderhub.core.db import unit_of_work
from orderhub.sla import people, policies
from orderhub.sla.models import OrderSla, Person, SlaRule, Team
from tests.builders import TEST_ACTOR
from tests.sla.helpers import drain, install_defaults, new_paid_order
from tests.web.conftest import client, csrf_from, log_in  # noqa: F401


def test_rules_page_renders_and_saves(client: TestClient) -> None:  # noqa: F811
    install_defaults()
    log_in(client, "lead", "supervisor")
    page = client.get("/sla").text
    assert "时效规则" in page and "VIP 客户" in page and "当日 23:59:59" in page
    token = csrf_from(client, "/sla")
    saved = client.post("/sla/rules", data={"stage": "print", "kind": "category", "match": "生鲜",
                                            "mode": "minutes", "minutes": "45",
                                            "csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303
    refused = client.post("/sla/rules", data={"stage": "print", "kind": "high_value",
                                              "mode": "minutes", "minutes": "45",
                                              "csrf_token": token})
    assert "min_total" in refused.text  # the reason, on the page it came back to
    client.post("/sla/settings", data={"warn_percent": "80", "csrf_token": token})
    with unit_of_work() as session:
        rule = session.scalars(select(SlaRule).where(SlaRule.match == "生鲜")).one()
        assert (rule.stage, rule.minutes) == ("print", 45)
        assert policies.warn_share(session) == 0.8
    assert "生鲜" in client.get("/sla").text


def test_rules_page_is_read_only_for_cs(client: TestClient) -> None:  # noqa: F811
    install_defaults()
    log_in(client, "agent", "cs")
    page = client.get("/sla").text
    assert "时效规则" in page and 'action="/sla/rules"' not in page
    token = csrf_from(client, "/orders")
    refused = client.post("/sla/rules", data={"stage": "print", "kind": "default",
                                              "minutes": "5", "csrf_token": token})
    assert refused.status_code == 403


def test_people_page_saves_teams_and_people_with_shifts(client: TestClient) -> None:  # noqa: F811
    log_in(client, "lead", "supervisor")
    token = csrf_from(client, "/sla/people")
    client.post("/sla/people", data={"name": "王经理", "role": "manager", "csrf_token": token})
    with unit_of_work() as session:
        boss = session.scalars(select(Person)).one()
    client.post("/sla/teams", data={"name": "审单组", "stages": ["accept", "print"],
                                    "strategy": "least_loaded", "manager_id": str(boss.id),
                                    "csrf_token": token})
    with unit_of_work() as session:
        team = session.scalars(select(Team)).one()
    client.post("/sla/people", data={"name": "阿兰", "team_id": str(team.id),
                                     "supervisor_id": str(boss.id), "shift_days": ["1", "2"],
                                     "shift_start": "09:00", "shift_end": "18:00",
                                     "phone": "13800138000", "csrf_token": token})
    with unit_of_work() as session:
        alan = session.scalars(select(Person).where(Person.name == "阿兰")).one()
        assert alan.shift == {"days": [1, 2], "start": "09:00", "end": "18:00"}
        assert (alan.team_id, alan.supervisor_id) == (team.id, boss.id)
        assert (team.stages, team.strategy, team.manager_id) == (["accept", "print"],
                                                                  "least_loaded", boss.id)
    page = client.get("/sla/people").text
    assert "审单组" in page and "阿兰" in page and "09:00–18:00" in page and "最少待办优先" in page


def test_countdown_on_the_order_page_and_list_and_reassign(client: TestClient,  # noqa: F811
                                                           committed, fake_clock) -> None:
    install_defaults()
    with unit_of_work() as session:
        team = people.save_team(session, team_id=None, name="客服", stages=["accept"],
                                strategy="round_robin", manager_id=None, actor=TEST_ACTOR)
        people.save_person(session, person_id=None, actor=TEST_ACTOR, name="阿兰", team_id=team.id)
        people.save_person(session, person_id=None, actor=TEST_ACTOR, name="宝玉")
    order_id, order_no = new_paid_order()
    late_id, late_no = new_paid_order()
    drain(committed)
    with unit_of_work() as session:  # the second order's deadline passed long ago
        row = session.get(OrderSla, late_id)
        row.deadline = row.started_at - timedelta(minutes=1)
    fake_clock.advance(30 * 60 + 5)
    log_in(client, "lead", "supervisor")

    page = client.get(f"/orders/{order_no}").text
    assert "履约倒计时" in page and "剩余 3 小时 29 分" in page
    assert "default 240 min" in page and "阿兰" in page and "2026-11-23 14:00" in page
    fragment = client.get(f"/orders/{order_no}/sla",
                          headers={"HX-Request": "true", "HX-Target": "sla-countdown"}).text
    assert "剩余 3 小时 29 分" in fragment and "<html" not in fragment

    listed = client.get("/orders?sort=deadline").text
    assert "剩余 3 小时 29 分" in listed and "已超时 0 小时 31 分" in listed
    assert listed.index(late_no) < listed.index(order_no)  # nearest deadline first
    newest = client.get("/orders").text
    assert newest.index(late_no) < newest.index(order_no)  # the newest first, as before
    queue = client.get("/sla/queue").text
    assert queue.index(late_no) < queue.index(order_no)

    with unit_of_work() as session:
        baoyu = session.scalars(select(Person).where(Person.name == "宝玉")).one()
    token = csrf_from(client, f"/orders/{order_no}")
    moved = client.post(f"/orders/{order_no}/sla/reassign",
                        data={"person_id": str(baoyu.id), "reason": "休假", "csrf_token": token},
                        follow_redirects=False)
    assert moved.status_code == 303
    with unit_of_work() as session:
        assert session.get(OrderSla, order_id).person_id == baoyu.id


def test_order_without_a_stage_says_so(client: TestClient, fake_clock) -> None:  # noqa: F811
    install_defaults()
    _, order_no = new_paid_order(status="pending_payment", paid_at=None)
    log_in(client, "viewer1", "viewer")
    page = client.get(f"/orders/{order_no}").text
    assert "订单尚未付款" in page
