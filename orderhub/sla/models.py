"""Tables of SLAs: the rules that set stage deadlines, each open order's current stage and
deadline, and the people and teams who answer for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from orderhub.core import clock
from orderhub.core.db import Base, JSONType
from orderhub.core.models import BigId

OPEN = text("closed_at IS NULL")


class SlaRule(Base):
    """One deadline rule for one stage: the default (kind "default") or an override (category,
    vip, high_value, channel, presale). `mode` says how the deadline is computed: "minutes" after
    the stage began (after payment for a channel's promise), "same_day" (end of the seller's day)
    or "promised" (the order's promised ship date)."""

    __tablename__ = "sla_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    stage: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    match: Mapped[str] = mapped_column(String(80), default="")  # category or channel
    mode: Mapped[str] = mapped_column(String(20), default="minutes")
    minutes: Mapped[int | None] = mapped_column(Integer)
    min_total: Mapped[int | None] = mapped_column(BigInteger)  # high value: minor units (CNY)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class SlaSettings(Base):
    """One row (id 1): settings that are not per rule."""

    __tablename__ = "sla_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warn_share: Mapped[float] = mapped_column(Float, default=0.75)


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    stages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    strategy: Mapped[str] = mapped_column(String(20), default="round_robin")
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", use_alter=True, ondelete="SET NULL",
                   name="fk_teams_manager_id_people"))
    rr_cursor: Mapped[int | None] = mapped_column(BigInteger)  # id of the last person picked


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                unique=True)
    role: Mapped[str] = mapped_column(String(40), default="agent")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    wecom_userid: Mapped[str] = mapped_column(String(80), default="")
    dingtalk_mobile: Mapped[str] = mapped_column(String(40), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"),
                                                index=True)
    backup_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    shift: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(default=True)


class OrderSla(Base):
    """The current stage of one order and its deadline. Rows stay after the order is done
    (closed_at set) so the list can show how late it was."""

    __tablename__ = "order_sla"
    __table_args__ = (
        # The two scans read only due, open rows: partial indexes keep them tiny.
        Index("ix_order_sla_warn_due", "warn_at",
              sqlite_where=text("warned_at IS NULL AND closed_at IS NULL"),
              postgresql_where=text("warned_at IS NULL AND closed_at IS NULL")),
        Index("ix_order_sla_breach_due", "deadline",
              sqlite_where=text("breached_at IS NULL AND closed_at IS NULL"),
              postgresql_where=text("breached_at IS NULL AND closed_at IS NULL")),
        Index("ix_order_sla_person_open", "person_id", sqlite_where=OPEN, postgresql_where=OPEN),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                          primary_key=True)
    stage: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column()
    deadline: Mapped[datetime] = mapped_column()
    warn_at: Mapped[datetime] = mapped_column()
    warned_at: Mapped[datetime | None] = mapped_column()
    breached_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    late: Mapped[bool] = mapped_column(default=False)  # the last stage left was left late
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    rule_id: Mapped[int | None] = mapped_column(BigInteger)
    policy_note: Mapped[str] = mapped_column(String(200), default="")
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0)  # ignores stale events
