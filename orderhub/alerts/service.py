"""Use cases of alerts: raise one, climb the escalation chain, acknowledge, resolve by cause.

Timers are rows: an open alert carries `next_step_at`, and the `alerts.escalate` job moves due
alerts on with one conditional UPDATE on (id, step, next_step_at) each. Only the transaction that
changed the row queues that step's messages, so two workers, or a worker restarted mid-scan,
never send a step twice; a worker that was down catches up step by step, in order.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from orderhub.alerts import delivery, escalation, journal, recipients
from orderhub.alerts.escalation import Policy
from orderhub.alerts.models import SEVERITIES, Alert
from orderhub.channels.secrets import seal
from orderhub.core import clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.errors import Conflict, InvalidInput, NotFound
from orderhub.sla import service as sla

ALERTS = Alert.__table__
ESCALATOR = Actor.system("alerts.escalate")
SCAN_BATCH = 200


class AlertNotFound(NotFound):
    code = "alert_not_found"


class AlertNotOpen(Conflict):
    """Acknowledged or resolved already: the link is single use, the chain has stopped."""

    code = "alert_not_open"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- raising --------------------------------------------------------------------------------


def raise_alert(session: Session, *, kind: str, severity: str, title: str, body: str = "",
                cause_key: str | None = None, subject_type: str | None = None,
                subject_id: object = None, person_id: int | None = None,
                team_id: int | None = None, actor: Actor = ESCALATOR) -> Alert:
    """Open an alert and send its first step at once. While an alert of the same kind and cause
    is open, raising it again only notes the repeat: one problem, one chain of messages."""
    if severity not in SEVERITIES:
        raise InvalidInput(f"unknown severity {severity!r}", details={"allowed": list(SEVERITIES)})
    if cause_key:
        existing = session.scalar(select(Alert).where(Alert.cause_key == cause_key,
                                                      Alert.kind == kind, Alert.status == "open"))
        if existing is not None:
            journal.record(session, existing.id, "repeated", actor=actor.name, title=title)
            return existing
    if team_id is None and person_id is not None:
        assignee = recipients.person(session, person_id)
        team_id = assignee.team_id if assignee is not None else None
    policy = escalation.load_policy(session)
    now = clock.now()
    token = secrets.token_urlsafe(24)
    alert = Alert(kind=kind, severity=severity, title=title[:300], body=body,
                  cause_key=cause_key, subject_type=subject_type,
                  subject_id=None if subject_id is None else str(subject_id),
                  person_id=person_id, team_id=team_id, status="open", step=0, created_at=now,
                  next_step_at=escalation.due_at(policy, created_at=now, step=1,
                                                 severity=severity),
                  ack_token_hash=token_hash(token), ack_token_sealed=seal({"token": token}))
    session.add(alert)
    session.flush()
    journal.record(session, alert.id, "raised", actor=actor.name, kind=kind, severity=severity,
                   person_id=person_id, team_id=team_id, cause_key=cause_key)
    queue_step(session, alert, step=0, policy=policy)
    session.flush()
    return alert


# --- escalating -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    id: int
    step: int
    next_step_at: datetime


def due_alerts(session: Session, *, now: datetime, limit: int = SCAN_BATCH) -> list[Due]:
    """Open alerts whose next step has come (the partial index ix_alerts_next_step)."""
    rows = session.execute(
        select(ALERTS.c.id, ALERTS.c.step, ALERTS.c.next_step_at)
        .where(ALERTS.c.status == "open", ALERTS.c.next_step_at <= now)
        .order_by(ALERTS.c.next_step_at, ALERTS.c.id).limit(limit)).all()
    return [Due(*row) for row in rows]


def advance_due(session: Session, *, limit: int = SCAN_BATCH) -> int:
    """Advance every due alert one step at a time until none is due (catching up after a
    pause, steps still go out in order); returns how many steps this call took."""
    taken = 0
    for _ in range(len(escalation.load_policy(session).steps)):
        due = due_alerts(session, now=clock.now(), limit=limit)
        if not due:
            break
        taken += sum(advance(session, alert_id=d.id, step=d.step, next_step_at=d.next_step_at)
                     for d in due)
    return taken


def advance(session: Session, *, alert_id: int, step: int, next_step_at: datetime) -> bool:
    """Move the alert from `step` to the next, if it is still open, still at `step` and due at
    the time we read: True for exactly one caller, who queues the step's messages."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        return False
    policy = escalation.load_policy(session)
    new_step = step + 1
    if new_step >= len(policy.steps):  # the policy was shortened since: the chain ends here
        session.execute(update(ALERTS).where(ALERTS.c.id == alert_id, ALERTS.c.step == step)
                        .values(next_step_at=None))
        return False
    following = escalation.due_at(policy, created_at=alert.created_at, step=new_step + 1,
                                  severity=alert.severity)
    won = session.execute(
        update(ALERTS).where(ALERTS.c.id == alert_id, ALERTS.c.step == step,
                             ALERTS.c.next_step_at == next_step_at, ALERTS.c.status == "open")
        .values(step=new_step, next_step_at=following)).rowcount == 1
    if not won:
        return False
    session.refresh(alert)
    journal.record(session, alert.id, "escalated", actor=ESCALATOR.name, step=new_step,
                   to=policy.steps[new_step].to, due=next_step_at.isoformat())
    queue_step(session, alert, step=new_step, policy=policy)
    session.flush()
    return True


def queue_step(session: Session, alert: Alert, *, step: int, policy: Policy) -> None:
    """Queue the messages of `step`: each channel of the step to the step's target person; at
    the reassigning step, the task also moves to the backup, who gets step 0."""
    spec = policy.steps[step]
    chain = recipients.chain(session, alert.person_id)
    target = _target(session, alert, chain, spec.to)
    if target is None:
        journal.record(session, alert.id, "no_recipient", step=step, to=spec.to)
    else:
        for channel in spec.channels:
            delivery.queue(session, alert, step=step, channel=channel, person=target,
                           policy=policy)
    if spec.reassign_to_backup:
        _reassign(session, alert, chain, policy)


def _target(session: Session, alert: Alert, chain: sla.Chain, to: str):
    """The person a step goes to; up the chain when a link is missing (no supervisor: the
    manager), and someone with the alert kind's role when the alert has no assignee."""
    if to == "assignee":
        if chain.person is not None:
            return chain.person
        return recipients.for_role(session, escalation.load_policy(session).recipients
                                   .get(alert.kind, "supervisor"), at=clock.now())
    if to == "supervisor":
        return chain.supervisor or chain.manager or (
            None if chain.person is not None else recipients.for_role(session, "supervisor",
                                                                      at=clock.now()))
    return chain.manager or (None if chain.person is not None
                             else recipients.for_role(session, "manager", at=clock.now()))


def _reassign(session: Session, alert: Alert, chain: sla.Chain, policy: Policy) -> None:
    backup = chain.backup
    if backup is None or not backup.active:
        journal.record(session, alert.id, "reassign_skipped", reason="no active backup",
                       person_id=alert.person_id)
        return
    if alert.subject_type == "order" and alert.kind.startswith("sla_"):
        try:
            sla.reassign(session, order_id=int(alert.subject_id or 0), to_person_id=backup.id,
                         actor=ESCALATOR, reason=f"alert {alert.id} not acknowledged")
        except NotFound:
            # The stage was left meanwhile: nothing to move, the alert will resolve by cause.
            journal.record(session, alert.id, "reassign_skipped", reason="stage closed")
            return
    alert.reassigned_to = backup.id
    journal.record(session, alert.id, "reassigned", actor=ESCALATOR.name,
                   from_person_id=alert.person_id, to_person_id=backup.id, to_name=backup.name)
    for channel in policy.steps[0].channels:
        delivery.queue(session, alert, step=0, channel=channel, person=backup, policy=policy,
                       note="reassigned")


# --- acknowledging --------------------------------------------------------------------------


def get_alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertNotFound(f"no alert {alert_id}", details={"alert_id": alert_id})
    return alert


def acknowledge(session: Session, *, alert_id: int, actor: Actor, via: str = "console",
                note: str = "") -> Alert:
    """Someone has it in hand: the chain stops here (messages not yet sent are skipped)."""
    alert = get_alert(session, alert_id)
    _close(session, alert, status="acknowledged", actor=actor, via=via, reason=note)
    return alert


def alert_for_token(session: Session, token: str) -> Alert:
    alert = session.scalar(select(Alert).where(Alert.ack_token_hash == token_hash(token)))
    if alert is None:
        raise AlertNotFound("this acknowledge link is not valid", details={})
    return alert


def acknowledge_by_token(session: Session, *, token: str) -> Alert:
    """The link in a message: the token is the authority, good for one acknowledgement."""
    alert = alert_for_token(session, token)
    who = recipients.person(session, alert.reassigned_to or alert.person_id)
    actor = Actor(kind="link", name=f"{who.name}（链接）" if who else "link")
    _close(session, alert, status="acknowledged", actor=actor, via="link")
    return alert


def resolve_cause(session: Session, *, cause_key: str, actor: Actor, reason: str = "") -> int:
    """The cause went away (the order left the stage…): its open alerts are done, by cause."""
    alerts = list(session.scalars(select(Alert).where(Alert.cause_key == cause_key,
                                                      Alert.status == "open")))
    for alert in alerts:
        _close(session, alert, status="resolved", actor=actor, via="cause", reason=reason)
    return len(alerts)


def _close(session: Session, alert: Alert, *, status: str, actor: Actor, via: str,
           reason: str = "") -> None:
    now = clock.now()
    won = session.execute(
        update(ALERTS).where(ALERTS.c.id == alert.id, ALERTS.c.status == "open")
        .values(status=status, acknowledged_at=now, acknowledged_by=actor.name, ack_via=via,
                next_step_at=None)).rowcount == 1
    if not won:
        session.refresh(alert)
        raise AlertNotOpen(f"alert {alert.id} is {alert.status} already",
                           details={"alert_id": alert.id, "status": alert.status,
                                    "by": alert.acknowledged_by, "via": alert.ack_via})
    session.refresh(alert)
    skipped = delivery.skip_queued(session, alert.id, reason=status)
    journal.record(session, alert.id, status, actor=actor.name, via=via, reason=reason or None,
                   skipped_deliveries=skipped or None,
                   seconds=int((now - alert.created_at).total_seconds()))
    outbox.emit(session, f"alert.{status}", aggregate_type="alert", aggregate_id=alert.id,
                actor=actor, payload={"alert_id": alert.id, "via": via})
    session.flush()
