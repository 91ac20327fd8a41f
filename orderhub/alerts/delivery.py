"""Sending an alert's messages: one `alert_deliveries` row and one `alert.deliver` event each.

The handler calls the channel's notifier. A failure that may pass (throttled, 5xx, timeout)
raises, so the outbox tries again after 30 s and 90 s; after ALERTS_MAX_TRIES tries, or at once
when retrying cannot help (wrong key, channel off, no phone number), the delivery is marked
failed and the next channel of the policy's fall-through order is queued for the same person.
If the handler itself keeps crashing, the dead-letter notice does the same. Every outcome is
in the alert log: nothing is dropped silently.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from orderhub.alerts import escalation, journal, recipients
from orderhub.alerts.escalation import Policy
from orderhub.alerts.models import Alert, AlertDelivery
from orderhub.alerts.notifiers import Message, NotifierError, notifier_for
from orderhub.channels.secrets import SecretsUnreadable, unseal
from orderhub.core import clock, outbox
from orderhub.core.models import OutboxEvent
from orderhub.core.worker import DEAD_LETTERED
from orderhub.sla.models import Person

TOPIC = "alert.deliver"
ALERTS_MAX_TRIES = 3
DELIVERIES = AlertDelivery.__table__


def queue(session: Session, alert: Alert, *, step: int, channel: str, person: Person,
          policy: Policy, note: str | None = None) -> AlertDelivery:
    """A message of `alert` on `channel` to `person`: sent by the worker, at once or when quiet
    hours end. A person the channel cannot reach is recorded as skipped and falls through."""
    now = clock.now()
    where = recipients.address(person, channel)
    row = AlertDelivery(alert_id=alert.id, step=step, channel=channel, person_id=person.id,
                        recipient=f"{person.name} <{where or '—'}>"[:300], status="queued",
                        attempts=0, created_at=now)
    session.add(row)
    session.flush()
    if where is None:
        _finish(session, row, status="skipped", error=f"{person.name} has no address for {channel}")
        fall_through(session, alert, row, policy)
        return row
    row.not_before = escalation.held_back(policy, severity=alert.severity, channel=channel, at=now)
    event = outbox.emit(session, TOPIC, aggregate_type="alert", aggregate_id=alert.id,
                        payload={"delivery_id": row.id})
    if row.not_before is not None:
        event.available_at = row.not_before
    journal.record(session, alert.id, "queued", delivery_id=row.id, step=step, channel=channel,
                   to=row.recipient, note=note,
                   quiet_until=row.not_before.isoformat() if row.not_before else None)
    return row


def skip_queued(session: Session, alert_id: int, *, reason: str) -> int:
    """Messages not yet sent when the alert closed: they will not go (the handler checks too)."""
    result = session.execute(update(DELIVERIES)
                             .where(DELIVERIES.c.alert_id == alert_id,
                                    DELIVERIES.c.status == "queued")
                             .values(status="skipped", error=f"alert {reason}"))
    return result.rowcount


@outbox.handler(TOPIC, name="alerts.deliver")
def deliver(session: Session, event: OutboxEvent) -> None:
    row = session.get(AlertDelivery, int(event.payload["delivery_id"]))
    if row is None or row.status != "queued":
        return  # sent before, or skipped because the alert was acknowledged
    alert = session.get(Alert, row.alert_id)
    assert alert is not None  # deliveries go with their alert (ON DELETE CASCADE)
    if alert.status != "open":
        _finish(session, row, status="skipped", error=f"alert {alert.status}")
        return
    row.attempts = event.attempts
    try:
        notifier = notifier_for(session, row.channel)
        provider_id = notifier.send(session, message_for(session, alert, row))
    except NotifierError as exc:
        if exc.retryable and event.attempts < ALERTS_MAX_TRIES:
            raise  # the outbox tries again later; this transaction (and attempt) rolls back
        _finish(session, row, status="failed", error=exc.message)
        fall_through(session, alert, row, escalation.load_policy(session))
        return
    row.provider_id = str(provider_id)[:200] if provider_id else None
    _finish(session, row, status="sent")


def _finish(session: Session, row: AlertDelivery, *, status: str, error: str | None = None) -> None:
    row.status, row.error = status, error
    if status == "sent":
        row.sent_at = clock.now()
    journal.record(session, row.alert_id, status, delivery_id=row.id, step=row.step,
                   channel=row.channel, to=row.recipient, attempts=row.attempts or None,
                   error=error)
    session.flush()


def fall_through(session: Session, alert: Alert, failed: AlertDelivery, policy: Policy) -> None:
    """Queue the channel after `failed` in the policy's fall-through order that this person has
    not been tried on at this step and can be reached on; none left: say so in the log."""
    person = recipients.person(session, failed.person_id)
    tried = set(session.scalars(select(AlertDelivery.channel).where(
        AlertDelivery.alert_id == alert.id, AlertDelivery.step == failed.step,
        AlertDelivery.person_id == failed.person_id)))
    order = policy.fallback
    start = order.index(failed.channel) + 1 if failed.channel in order else 0
    for channel in [*order[start:], *order[:start]]:
        if channel in tried or person is None or recipients.address(person, channel) is None:
            continue
        journal.record(session, alert.id, "fell_through", delivery_id=failed.id,
                       from_channel=failed.channel, to_channel=channel)
        queue(session, alert, step=failed.step, channel=channel, person=person, policy=policy,
              note=f"after {failed.channel} failed")
        return
    journal.record(session, alert.id, "undeliverable", delivery_id=failed.id,
                   channel=failed.channel, person_id=failed.person_id,
                   reason="every channel failed or cannot reach this person")


@outbox.handler(DEAD_LETTERED, name="alerts.deliver_dead_lettered")
def on_dead_delivery(session: Session, event: OutboxEvent) -> None:
    """The handler itself kept crashing (not a notifier error): fail the delivery and fall
    through, so the alert still reaches someone."""
    if event.payload.get("topic") != TOPIC:
        return
    original = session.get(OutboxEvent, int(event.payload["event_id"]))
    if original is None:
        return
    row = session.get(AlertDelivery, int(original.payload["delivery_id"]))
    if row is None or row.status != "queued":
        return
    row.attempts = int(event.payload.get("attempts") or row.attempts)
    _finish(session, row, status="failed", error=str(event.payload.get("error", ""))[:2000])
    alert = session.get(Alert, row.alert_id)
    if alert is not None and alert.status == "open":
        fall_through(session, alert, row, escalation.load_policy(session))


# --- the message ----------------------------------------------------------------------------


def ack_url(policy: Policy, alert: Alert) -> str | None:
    if not alert.ack_token_sealed:
        return None
    try:
        token = unseal(alert.ack_token_sealed)["token"]
    except (SecretsUnreadable, KeyError):
        return None  # the key changed: the message still goes, without a link
    return f"{policy.public_url.rstrip('/')}/alerts/ack/{token}"


def message_for(session: Session, alert: Alert, row: AlertDelivery) -> Message:
    policy = escalation.load_policy(session)
    person = recipients.person(session, row.person_id)
    link = ack_url(policy, alert)
    lines = [alert.title]
    if alert.body:
        lines.append(alert.body)
    if row.step > 0:
        lines.append(f"第 {row.step} 级升级：已 {policy.steps[row.step].after_minutes} 分钟无人确认")
    if link:
        lines.append(f"确认处理：{link}")
    return Message(alert_id=alert.id, severity=alert.severity, title=alert.title,
                   text="\n".join(lines), ack_url=link,
                   to_name=person.name if person else "",
                   to_user_id=person.user_id if person else None,
                   to_phone=(person.phone or None) if person else None,
                   to_email=(person.email or None) if person else None,
                   to_wecom_userid=(person.wecom_userid or None) if person else None,
                   to_dingtalk_mobile=(person.dingtalk_mobile or None) if person else None)
