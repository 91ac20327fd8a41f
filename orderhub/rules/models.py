"""Tables of the rules capability: rules and their versions, firings, approvals, tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orderhub.core import clock
from orderhub.core.db import Base, JSONType
from orderhub.core.models import BigId
from orderhub.orders.models import Order

# The buyer-history look-ups of rules/context.py (orders of one buyer account in a window, and
# accounts seen at one address in a window) walk these instead of scanning the orders table.
# Declared here, on the orders table, because this capability is the one that needs them.
Index("ix_orders_buyer_history", Order.buyer_id, Order.channel, Order.created_at)
Index("ix_orders_address_history", Order.receiver_detail, Order.created_at)

SEVERITIES = ("info", "warning", "critical")


class Rule(Base):
    """The current version of a rule. Every save writes a RuleVersion with the same number."""

    __tablename__ = "rules"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # Stable name used by the default pack and by export/import between installations.
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    triggers: Mapped[list[str]] = mapped_column(JSONType, default=list)
    condition: Mapped[str] = mapped_column(Text)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    severity: Mapped[str] = mapped_column(String(10), default="warning")
    priority: Mapped[int] = mapped_column(Integer, default=100)  # higher runs first
    enabled: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class RuleVersion(Base):
    """What a rule was at one version (kept forever: firings point at it)."""

    __tablename__ = "rule_versions"
    __table_args__ = (UniqueConstraint("rule_id", "version"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by: Mapped[str] = mapped_column(String(200), default="")


class RuleFiring(Base):
    """A rule matched an order on a trigger: what it saw and what it did. The unique key makes
    evaluation idempotent per (rule version, order, trigger event)."""

    __tablename__ = "rule_firings"
    __table_args__ = (
        UniqueConstraint("rule_id", "rule_version", "order_id", "trigger", "event_key",
                         name="uq_rule_firings_event"),
        Index("ix_rule_firings_order", "order_id", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"))
    rule_version: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(60))
    event_key: Mapped[str] = mapped_column(String(80))
    severity: Mapped[str] = mapped_column(String(10))
    saw: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    did: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    at: Mapped[datetime] = mapped_column(default=clock.now)


class Approval(Base):
    """A decision a role must take before a held order may continue."""

    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_status_role", "status", "role", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("holds.id", ondelete="CASCADE"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("rules.id", ondelete="SET NULL"))
    role: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    on_reject: Mapped[str] = mapped_column(String(20), default="cancel")  # cancel | return_to_cs
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|approved|rejected
    comment: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(default=clock.now)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column()


class Task(Base):
    """A piece of work for a person or a role, opened by a rule (or a person)."""

    __tablename__ = "rule_tasks"
    __table_args__ = (Index("ix_rule_tasks_status_role", "status", "role", "id"),
                      Index("ix_rule_tasks_status_assignee", "status", "assignee", "id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                                 index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("rules.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    role: Mapped[str | None] = mapped_column(String(20))
    assignee: Mapped[str | None] = mapped_column(String(80))  # a username
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | done
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    done_at: Mapped[datetime | None] = mapped_column()
    done_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)  # what the person who closed it wrote
