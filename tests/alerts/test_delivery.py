"""A notifier that is down is retried, then the next channel takes over; nothing is dropped
silently. Quiet hours hold back non-critical external messages; critical ones go at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from orderhub.alerts import delivery, escalation, service
from orderhub.alerts.models import AlertDelivery
from orderhub.alerts.notifiers import settings as notifier_settings
from orderhub.core import outbox
from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent
from orderhub.core.worker import DEAD_LETTERED
from tests.alerts.helpers import (
    actions,
    alerts,
    declare_jobs,
    deliveries,
    drain,
    log,
    make_crew,
    sent,
    simulators,
)
from tests.builders import TEST_ACTOR

DAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 Beijing
NIGHT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 23:00 Beijing: quiet hours
MORNING = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # 08:00 Beijing: quiet hours end
SCAN = timedelta(seconds=15)


@pytest.fixture
def crew(committed, fake_clock):
    declare_jobs()
    return make_crew()


def raise_for(person_id: int, severity: str = "critical", kind: str = "sla_breach") -> int:
    with unit_of_work() as s:
        return service.raise_alert(s, kind=kind, severity=severity, title="订单 X 已超时",
                                   person_id=person_id, cause_key=f"test:{kind}").id


def test_notifier_down_is_retried_then_the_next_channel_takes_over(committed, fake_clock,
                                                                   crew) -> None:
    with simulators() as sims:
        alert_id = raise_for(crew.agent)
        drain(committed)
        sims.wecom.faults.errors = 10  # WeCom answers 502 from now on
        fake_clock.advance(5 * 60 + 15)
        drain(committed)  # try 1 fails; the outbox will try again in 30 s
        (wecom,) = [d for d in deliveries(alert_id) if d.channel == "wecom"]
        assert wecom.status == "queued" and sims.sms.received == []
        fake_clock.advance(30)
        drain(committed)  # try 2 fails; next in 90 s
        assert deliveries(alert_id)[-1].status == "queued" and sims.sms.received == []
        fake_clock.advance(90)
        drain(committed)  # try 3 fails: failed, and SMS (next in the fall-through order) at once

        assert sims.wecom.refused["error"] == 3 and sims.wecom.received == []
        wecom = next(d for d in deliveries(alert_id) if d.channel == "wecom")
        assert (wecom.status, wecom.attempts) == ("failed", 3) and "502" in wecom.error
        assert sent(alert_id) == [(0, "inapp", crew.agent), (1, "sms", crew.agent)]
        assert [r["phones"] for r in sims.sms.received] == [["13800000001"]]
        entries = [(e.action, e.details.get("channel") or e.details.get("to_channel"))
                   for e in log(alert_id)]
        assert ("failed", "wecom") in entries and ("fell_through", "sms") in entries
        assert entries.index(("failed", "wecom")) < entries.index(("fell_through", "sms"))


def test_a_refusal_that_retrying_cannot_fix_falls_through_at_once(committed, fake_clock,
                                                                  crew) -> None:
    with simulators() as sims:
        with unit_of_work() as s:  # a wrong robot key: WeCom answers 93000
            notifier_settings.configure(s, channel="wecom", actor=TEST_ACTOR,
                                        secrets={"key": "not-the-key"})
        alert_id = raise_for(crew.agent)
        fake_clock.advance(5 * 60 + 15)
        drain(committed)
        wecom = next(d for d in deliveries(alert_id) if d.channel == "wecom")
        assert (wecom.status, wecom.attempts) == ("failed", 1) and "93000" in wecom.error
        assert sims.wecom.refused["bad_key"] == 1
        assert sent(alert_id)[-1] == (1, "sms", crew.agent)


def test_when_every_outside_channel_fails_the_inbox_still_gets_it(committed, fake_clock,
                                                                  crew) -> None:
    with simulators() as sims:
        sims.wecom.faults.errors = 100
        sims.sms.faults.errors = 100  # dingtalk and email are not even configured
        alert_id = raise_for(crew.agent)
        fake_clock.advance(5 * 60 + 15)
        for _ in range(8):  # each failing channel: tries after 0, 30 and 90 s
            drain(committed)
            fake_clock.advance(100)
        by_channel = {d.channel: d.status for d in deliveries(alert_id) if d.step == 1}
        assert by_channel == {"wecom": "failed", "sms": "failed", "dingtalk": "failed",
                              "email": "failed", "inapp": "sent"}
        assert "undeliverable" not in actions(alert_id)


def test_nobody_reachable_is_said_in_the_log(committed, fake_clock, crew) -> None:
    with simulators():
        with unit_of_work() as s:
            for channel in ("inapp", "wecom", "sms"):
                notifier_settings.configure(s, channel=channel, actor=TEST_ACTOR, enabled=False)
        alert_id = raise_for(crew.agent)
        drain(committed)
        assert [d.status for d in deliveries(alert_id)] == ["failed"] * 5
        assert actions(alert_id)[-1] == "undeliverable"


def test_a_crashing_delivery_handler_falls_through_on_the_dead_letter(committed, fake_clock,
                                                                      crew) -> None:
    """Not a notifier error but the handler itself failing until dead-lettered: the notice
    fails the delivery and queues the next channel."""
    with simulators() as sims:
        alert_id = raise_for(crew.agent)
        fake_clock.advance(5 * 60 + 15)
        with unit_of_work() as s:
            service.advance_due(s)
            wecom = s.scalars(select(AlertDelivery).where(AlertDelivery.channel == "wecom")).one()
            event = s.scalars(select(OutboxEvent).where(OutboxEvent.topic == delivery.TOPIC)
                              .order_by(OutboxEvent.id.desc())).first()
            assert event.payload == {"delivery_id": wecom.id}
            event.status = "dead"  # as the worker leaves it after the last try
            outbox.emit(s, DEAD_LETTERED, aggregate_type="event", aggregate_id=event.id,
                        payload={"event_id": event.id, "topic": delivery.TOPIC, "attempts": 6,
                                 "handler": "alerts.deliver", "error": "RuntimeError: boom"})
        drain(committed)
        wecom = next(d for d in deliveries(alert_id) if d.channel == "wecom")
        assert (wecom.status, wecom.attempts, wecom.error) == ("failed", 6, "RuntimeError: boom")
        assert sent(alert_id)[-1] == (1, "sms", crew.agent) and sims.wecom.received == []
        assert "dead_letter" not in {a.kind for a in alerts()}  # no alert about the alert


# --- quiet hours ----------------------------------------------------------------------------


def test_quiet_hours_hold_non_critical_outside_messages_until_morning(committed, fake_clock,
                                                                      crew) -> None:
    fake_clock.set(NIGHT)
    with simulators() as sims:
        alert_id = raise_for(crew.agent, severity="warning", kind="sla_warning")
        drain(committed)
        assert sent(alert_id) == [(0, "inapp", crew.agent)]  # the inbox never waits
        fake_clock.set(NIGHT + timedelta(minutes=5) + SCAN)
        drain(committed)
        (wecom,) = [d for d in deliveries(alert_id) if d.channel == "wecom"]
        assert (wecom.status, wecom.not_before) == ("queued", MORNING)
        fake_clock.set(MORNING - timedelta(seconds=1))
        drain(committed)
        assert sims.wecom.received == []
        fake_clock.set(MORNING)
        drain(committed)
        assert len(sims.wecom.received) == 1
        assert sent(alert_id)[-1] == (1, "wecom", crew.agent)
        fake_clock.set(MORNING + timedelta(hours=1))  # a warning climbs no higher than WeCom
        drain(committed)
        assert len(sent(alert_id)) == 2
        assert next(a for a in alerts() if a.id == alert_id).next_step_at is None


def test_critical_alerts_ignore_quiet_hours(committed, fake_clock, crew) -> None:
    fake_clock.set(NIGHT)
    with simulators() as sims:
        alert_id = raise_for(crew.agent, severity="critical")
        fake_clock.set(NIGHT + timedelta(minutes=10) + SCAN)
        drain(committed)
        assert [ch for _, ch, _ in sent(alert_id)] == ["inapp", "wecom", "sms"]
        assert len(sims.wecom.received) == 1 and len(sims.sms.received) == 1


@pytest.mark.parametrize("local, expected", [
    ("22:00", "08:00+1"), ("23:59", "08:00+1"), ("03:00", "08:00"), ("07:59", "08:00"),
    ("08:00", None), ("12:00", None), ("21:59", None)])
def test_quiet_until(local: str, expected: str | None) -> None:
    zone = ZoneInfo("Asia/Shanghai")
    hour, minute = map(int, local.split(":"))
    moment = datetime(2026, 11, 23, hour, minute, tzinfo=zone)
    result = escalation.quiet_until(escalation.DEFAULT_POLICY, moment.astimezone(UTC))
    if expected is None:
        assert result is None
    else:
        day = 24 if expected.endswith("+1") else 23
        assert result == datetime(2026, 11, day, 8, 0, tzinfo=zone)
