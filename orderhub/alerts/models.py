"""Tables of alerts: the alert itself, each message sent for it, and its log.

person_id / team_id / reassigned_to point at the SLA capability's `people` and `teams`. They are
plain integers, not foreign keys: that schema is another migration branch, and an alert about a
person who has since been removed must stay readable for the performance review.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from orderhub.core import clock
from orderhub.core.db import Base, JSONType
from orderhub.core.models import BigId

SEVERITIES = ("info", "warning", "critical")
STATUSES = ("open", "acknowledged", "resolved")
ACK_VIA = ("console", "link", "cause", "api")
DELIVERY_STATUSES = ("queued", "sent", "failed", "skipped")


class Alert(Base):
    """Something a person must react to. While open it climbs the escalation chain: `step` is
    the step reached, `next_step_at` when the next one is due (None at the top of the chain)."""

    __tablename__ = "alerts"
    __table_args__ = (
        # The escalation scan reads only open alerts that still have a step to come.
        Index("ix_alerts_next_step", "next_step_at",
              postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
        Index("ix_alerts_cause", "cause_key", "status"),
        Index("ix_alerts_person_created", "person_id", "created_at"),
        Index("ix_alerts_created", "created_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(16))
    subject_type: Mapped[str | None] = mapped_column(String(20))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    cause_key: Mapped[str | None] = mapped_column(String(160))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    person_id: Mapped[int | None] = mapped_column(BigInteger)
    team_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="open")
    step: Mapped[int] = mapped_column(Integer, default=0)
    next_step_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    ack_via: Mapped[str | None] = mapped_column(String(16))
    reassigned_to: Mapped[int | None] = mapped_column(BigInteger)
    ack_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The link's token itself, sealed (channels/secrets.py): messages sent later (escalation
    # steps, retries) must carry the same link, and the database alone must not reveal it.
    ack_token_sealed: Mapped[str | None] = mapped_column(Text)


class AlertDelivery(Base):
    """One message of an alert on one channel to one person: queued -> sent | failed | skipped.
    Sent by the `alert.deliver` event handler (orderhub.alerts.delivery)."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_alert", "alert_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int | None] = mapped_column(BigInteger)
    recipient: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(200))
    not_before: Mapped[datetime | None] = mapped_column()  # held back by quiet hours
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column()


class AlertLog(Base):
    """Everything that happened to an alert, in order: raised, queued, sent, failed, fell
    through, escalated, reassigned, acknowledged, resolved. The performance review reads it."""

    __tablename__ = "alert_log"
    __table_args__ = (Index("ix_alert_log_alert", "alert_id", "id"),
                      Index("ix_alert_log_action_at", "action", "at"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=clock.now)
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200), default="system")
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
