"""SPEC §7 end to end, with the fake clock: an order misses "paid → accepted" and the alert climbs
in-app → WeCom → SMS → supervisor (+ reassignment to the backup) → manager, each at its minute;
an acknowledgement at any step stops the rest. Real SLA stages, real worker passes, real HTTP
to the WeCom and Aliyun SMS simulators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from orderhub.alerts import service
from orderhub.alerts.notifiers.models import InboxMessage
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.orders import lifecycle as lc
from orderhub.sim.aliyun_sms import signature
from orderhub.sla.models import OrderSla
from tests.alerts.helpers import (
    actions,
    alerts,
    declare_jobs,
    drain,
    log,
    make_crew,
    sent,
    simulators,
)
from tests.sla.helpers import install_defaults, move, new_paid_order

PAID = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 Beijing: no quiet hours
DEADLINE = PAID + timedelta(hours=4)  # the default 4 h to accept


SCAN = timedelta(seconds=15)  # alerts.escalate runs every 15 s: a step goes within one scan


def at(minutes: float) -> datetime:
    """Minutes after the deadline."""
    return DEADLINE + timedelta(minutes=minutes)


def scan_after(minutes: float) -> datetime:
    return at(minutes) + SCAN


def breach_alert():
    found = [a for a in alerts() if a.kind == "sla_breach"]
    assert len(found) == 1, [(a.kind, a.status) for a in alerts()]
    return found[0]


def step_to(clock, engine, moment: datetime) -> None:
    clock.set(moment)
    drain(engine)


@pytest.fixture
def setup(committed, fake_clock):
    install_defaults()
    declare_jobs()
    crew = make_crew()
    with simulators() as sims:
        order_id, order_no = new_paid_order()
        drain(committed)
        yield committed, fake_clock, crew, sims, order_id, order_no


def test_missed_accept_climbs_the_whole_chain_at_the_right_times(setup) -> None:
    engine, clock, crew, sims, order_id, order_no = setup

    step_to(clock, engine, PAID + timedelta(hours=3))  # 75 %: the warning, in-app only
    (warning,) = alerts()
    assert (warning.kind, warning.severity, warning.person_id) == ("sla_warning", "warning",
                                                                    crew.agent)
    assert sent(warning.id) == [(0, "inapp", crew.agent)]

    step_to(clock, engine, DEADLINE)
    alert = breach_alert()
    assert (alert.severity, alert.person_id, alert.cause_key) == (
        "critical", crew.agent, f"order:{order_id}:accept")
    assert next(a for a in alerts() if a.id == warning.id).status == "resolved"  # superseded
    assert sent(alert.id) == [(0, "inapp", crew.agent)]
    with unit_of_work() as s:
        inbox = s.scalars(select(InboxMessage).where(InboxMessage.user_id == crew.agent_user,
                                                     InboxMessage.alert_id == alert.id)).all()
        assert len(inbox) == 1 and order_no in inbox[0].title
    assert sims.wecom.received == [] and sims.sms.received == []

    step_to(clock, engine, at(4 + 59 / 60))  # a second early: nothing new
    assert sent(alert.id) == [(0, "inapp", crew.agent)]
    step_to(clock, engine, scan_after(5))
    assert sent(alert.id)[-1] == (1, "wecom", crew.agent)
    (wecom,) = sims.wecom.received
    assert wecom["msgtype"] == "markdown" and order_no in wecom["content"]
    assert "<@zhangsan>" in wecom["content"] and "/alerts/ack/" in wecom["content"]

    step_to(clock, engine, scan_after(10))
    assert sent(alert.id)[-1] == (2, "sms", crew.agent)
    (sms,) = sims.sms.received
    assert sms["phones"] == ["13800000001"] and sms["sign_name"] == "订单中枢"
    # The simulator accepted it only because the v1 signature matched; check it here too.
    assert sms["params"]["Signature"] == signature("POST", sms["params"],
                                                   sims.sms.access_key_secret)

    assert _assignee(order_id) == crew.agent
    step_to(clock, engine, scan_after(15))
    assert sent(alert.id)[3:] == [(3, "inapp", crew.supervisor), (3, "wecom", crew.supervisor),
                                  (3, "sms", crew.supervisor), (0, "inapp", crew.backup)]
    assert _assignee(order_id) == crew.backup  # the order moved to the backup
    assert [r["phones"] for r in sims.sms.received] == [["13800000001"], ["13800000003"]]

    step_to(clock, engine, scan_after(30))
    assert [(step, ch) for step, ch, who in sent(alert.id)[7:]] == [
        (4, "inapp"), (4, "wecom"), (4, "sms")]
    assert {who for _, _, who in sent(alert.id)[7:]} == {crew.manager}
    step_to(clock, engine, at(120))  # the top of the chain: nothing more
    assert len(sent(alert.id)) == 10

    entries = log(alert.id)
    escalations = [(e.details["step"], e.details["due"]) for e in entries
                   if e.action == "escalated"]
    assert escalations == [(1, at(5).isoformat()), (2, at(10).isoformat()),
                           (3, at(15).isoformat()), (4, at(30).isoformat())]
    assert all(timedelta(0) <= e.at - datetime.fromisoformat(e.details["due"]) <= SCAN
               for e in entries if e.action == "escalated")
    reassigned = [e for e in entries if e.action == "reassigned"]
    assert len(reassigned) == 1 and at(15) <= reassigned[0].at <= scan_after(15)
    assert reassigned[0].details["to_person_id"] == crew.backup
    # In this order: raised, in-app, WeCom, SMS, supervisor, reassignment, manager.
    assert [a for a in actions(alert.id) if a in ("raised", "escalated", "reassigned")] == [
        "raised", "escalated", "escalated", "escalated", "reassigned", "escalated"]


ACK_POINTS = {  # acknowledged this long after the deadline -> the messages that went before
    "after in-app": (1, [(0, "inapp")]),
    "after WeCom": (6, [(0, "inapp"), (1, "wecom")]),
    "after SMS": (11, [(0, "inapp"), (1, "wecom"), (2, "sms")]),
    "after supervisor": (16, [(0, "inapp"), (1, "wecom"), (2, "sms"), (3, "inapp"),
                              (3, "wecom"), (3, "sms"), (0, "inapp")]),
}


@pytest.mark.parametrize("point", list(ACK_POINTS))
@pytest.mark.parametrize("via", ["console", "link"])
def test_acknowledging_at_any_step_stops_the_rest(setup, point: str, via: str) -> None:
    engine, clock, crew, sims, order_id, _ = setup
    minutes, expected = ACK_POINTS[point]
    step_to(clock, engine, DEADLINE)
    alert = breach_alert()
    for moment in (5, 10, 15, 30):
        if moment < minutes:
            step_to(clock, engine, scan_after(moment))
    clock.set(at(minutes))
    with unit_of_work() as s:
        if via == "console":
            service.acknowledge(s, alert_id=alert.id, via="console",
                                actor=Actor(kind="user", name="zhangsan", role="ops"))
        else:
            token = _token_from_message(sims, s, alert.id)
            service.acknowledge_by_token(s, token=token)
    for moment in (5, 10, 15, 30, 60):
        if moment > minutes:
            step_to(clock, engine, scan_after(moment))

    assert [(step, ch) for step, ch, _ in sent(alert.id)] == expected
    done = breach_alert()
    assert (done.status, done.ack_via, done.acknowledged_at) == ("acknowledged", via, at(minutes))
    assert done.next_step_at is None
    reassigned = "reassigned" in actions(alert.id)
    assert reassigned == (minutes > 15)
    assert _assignee(order_id) == (crew.backup if minutes > 15 else crew.agent)
    # Single use: a second acknowledgement is refused.
    with pytest.raises(service.AlertNotOpen), unit_of_work() as s:
        service.acknowledge(s, alert_id=alert.id, via="console",
                            actor=Actor(kind="user", name="lisi", role="ops"))


def test_leaving_the_stage_resolves_the_alert_and_stops_the_chain(setup) -> None:
    engine, clock, _crew, sims, _order_id, order_no = setup
    step_to(clock, engine, DEADLINE)
    alert = breach_alert()
    step_to(clock, engine, at(6))
    move(order_no, lc.ALLOCATED)  # accepted, late: sla.stage_left resolves it by its cause
    drain(engine)
    for moment in (10, 15, 30):
        step_to(clock, engine, scan_after(moment))
    done = breach_alert()
    assert (done.status, done.ack_via) == ("resolved", "cause")
    assert [(step, ch) for step, ch, _ in sent(alert.id)] == [(0, "inapp"), (1, "wecom")]
    assert len(sims.sms.received) == 0


def _assignee(order_id: int) -> int | None:
    with unit_of_work() as s:
        return s.get(OrderSla, order_id).person_id


def _token_from_message(sims, session, alert_id: int) -> str:
    """The link as the person got it: from the WeCom message if one went, else the inbox."""
    texts = [r["content"] for r in sims.wecom.received]
    texts += [m.text for m in session.scalars(select(InboxMessage)
                                              .where(InboxMessage.alert_id == alert_id))]
    link = next(t for t in texts if "/alerts/ack/" in t)
    return link.split("/alerts/ack/")[1].split()[0].rstrip(")")
