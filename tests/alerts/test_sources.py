"""Every alert source becomes an alert with a sensible recipient: the events are emitted in the
shapes their producers write and delivered by the worker to the real handlers."""

from __future__ import annotations

from typing import Any

import pytest

from orderhub.core import outbox
from orderhub.core.db import unit_of_work
from orderhub.sla import people
from tests.alerts.helpers import (
    Crew,
    actions,
    alerts,
    declare_jobs,
    deliveries,
    drain,
    make_crew,
    sent,
)
from tests.builders import TEST_ACTOR
from tests.sla.helpers import install_defaults, new_paid_order


@pytest.fixture
def crew(committed, fake_clock) -> Crew:
    install_defaults()
    declare_jobs()
    return make_crew()


def person_named(name: str, role: str) -> int:
    with unit_of_work() as s:
        return people.save_person(s, person_id=None, actor=TEST_ACTOR, name=name, role=role,
                                  phone="13900000000").id


def emit(topic: str, payload: dict[str, Any], **where: Any) -> None:
    with unit_of_work() as s:
        outbox.emit(s, topic, payload=payload, **where)


def only_alert():
    (alert,) = alerts()
    return alert


def test_sla_warning_goes_to_the_assignee(committed, crew) -> None:
    emit("sla.warning", {"order_id": 7, "order_no": "N7", "stage": "print",
                         "deadline": "2026-11-23T04:00:00+00:00", "person_id": crew.agent,
                         "team_id": None, "severity": "warning"})
    drain(committed)
    alert = only_alert()
    assert (alert.kind, alert.severity, alert.person_id, alert.cause_key) == (
        "sla_warning", "warning", crew.agent, "order:7:print")
    assert "N7" in alert.title and "12:00" in alert.body  # the deadline in Beijing time
    assert sent(alert.id) == [(0, "inapp", crew.agent)]


def test_unassigned_breach_goes_to_a_supervisor(committed, crew) -> None:
    emit("sla.breached", {"order_id": 8, "order_no": "N8", "stage": "ship",
                          "deadline": "2026-11-23T04:00:00+00:00", "person_id": None,
                          "team_id": None, "severity": "critical"})
    drain(committed)
    alert = only_alert()
    assert (alert.kind, alert.severity, alert.person_id) == ("sla_breach", "critical",
                                                            crew.supervisor)


def test_rule_notify_goes_to_the_role_it_names(committed, crew) -> None:
    order_id, order_no = new_paid_order()
    payload = {"order_no": order_no, "severity": "warning", "message": "大额订单请复核",
               "role": "supervisor", "rule_id": 3, "rule": "大额订单"}
    emit("alert.requested", payload, aggregate_type="order", aggregate_id=order_id)
    emit("alert.requested", payload, aggregate_type="order", aggregate_id=order_id)  # again
    drain(committed)
    alert = next(a for a in alerts() if a.kind == "rule_notify")
    assert (alert.person_id, alert.severity, alert.body) == (crew.supervisor, "warning",
                                                            "大额订单请复核")
    assert len([a for a in alerts() if a.kind == "rule_notify"]) == 1  # one problem, one alert
    assert actions(alert.id).count("repeated") == 1


def test_rule_notify_without_a_role_goes_to_whoever_has_the_order(committed, crew) -> None:
    order_id, order_no = new_paid_order()
    drain(committed)  # the order enters "accept", assigned to 张三
    emit("alert.requested", {"order_no": order_no, "severity": "info", "message": "备注含加急",
                             "role": None, "rule_id": 4, "rule": "加急"},
         aggregate_type="order", aggregate_id=order_id)
    drain(committed)
    alert = next(a for a in alerts() if a.kind == "rule_notify")
    assert (alert.person_id, alert.severity) == (crew.agent, "info")


@pytest.mark.parametrize("topic, payload, kind, severity, role", [
    ("channel.shop_unhealthy", {"shop": "tb-1", "channel": "taobao", "reason": "token expired"},
     "shop_unhealthy", "critical", "ops"),
    ("channel.pull_failing", {"shop": "jd-1", "failures": 5, "error": "HTTP 503"},
     "pull_failing", "warning", "ops"),
    ("channel.ship_confirm_failed", {"platform_order_id": "P1", "carrier": "SF",
                                     "tracking_no": "SF1", "error": "order closed",
                                     "platform_code": "isv.closed"},
     "ship_confirm_failed", "critical", "ops"),
    ("stock.low", {"sku": "TEE-1", "sku_id": 1, "warehouse_id": 2, "available": 3,
                   "safety_stock": 10}, "low_stock", "warning", "warehouse"),
    ("tracking.exception", {"order_id": 9, "reason": "包裹破损"}, "tracking_exception",
     "warning", "cs"),
    ("outbox.dead_lettered", {"event_id": 99, "topic": "order.paid", "attempts": 6,
                              "handler": "x", "error": "boom"}, "dead_letter", "warning", "ops"),
])
def test_operational_sources_go_to_the_role_the_policy_names(committed, crew, topic, payload,
                                                             kind, severity, role) -> None:
    expected = {"ops": None, "warehouse": person_named("孙七", "warehouse"),
                "cs": person_named("周八", "cs")}[role]
    emit(topic, payload, aggregate_type="x", aggregate_id=1)
    drain(committed)
    alert = only_alert()
    assert (alert.kind, alert.severity) == (kind, severity)
    if expected is None:  # ops: 张三 and 李四 are ops users; 李四 has the lower id
        assert alert.person_id == crew.backup
    else:
        assert alert.person_id == expected
    assert deliveries(alert.id)  # and the chain started for that person


def test_a_dead_lettered_alert_delivery_raises_no_alert(committed, crew) -> None:
    emit("outbox.dead_lettered", {"event_id": 5, "topic": "alert.deliver", "attempts": 6,
                                  "handler": "alerts.deliver", "error": "boom"})
    drain(committed)
    assert alerts() == []


def test_leaving_the_stage_resolves_by_cause(committed, crew) -> None:
    emit("sla.warning", {"order_id": 7, "order_no": "N7", "stage": "accept",
                         "deadline": "2026-11-23T06:00:00+00:00", "person_id": crew.agent,
                         "team_id": None, "severity": "warning"})
    drain(committed)
    emit("sla.stage_left", {"order_id": 7, "order_no": "N7", "stage": "accept", "late": False})
    drain(committed)
    alert = only_alert()
    assert (alert.status, alert.ack_via, alert.next_step_at) == ("resolved", "cause", None)
