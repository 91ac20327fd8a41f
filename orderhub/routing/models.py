"""Tables of routing: region rules, the decisions made for each order, the backorder queue, the
manual routing queue and today's allocations per warehouse (for the load factor).

Warehouses are referred to by code, never by a foreign key into the inventory's tables: the
capabilities meet only through the inventory's service functions.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from orderhub.core import clock
from orderhub.core.db import Base, JSONType
from orderhub.core.models import BigId


class RegionRule(Base):
    """Orders to these provinces ship from this warehouse when it can cover them. Lower
    priority numbers are tried first."""

    __tablename__ = "routing_region_rules"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    provinces: Mapped[list[str]] = mapped_column(JSONType, default=list)
    warehouse_code: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    version: Mapped[int] = mapped_column(Integer, default=1)


class RoutingDecision(Base):
    """One routing decision for an order, with every candidate's factors; the newest is current."""

    __tablename__ = "routing_decisions"
    __table_args__ = (Index("ix_routing_decisions_order", "order_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(20))  # allocated | awaiting_stock | manual | ...
    policy: Mapped[str] = mapped_column(String(20))  # rule | region_rule | score | split | ...
    reason: Mapped[str] = mapped_column(String(40))
    warehouse_code: Mapped[str | None] = mapped_column(String(40))
    shipments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    weights: Mapped[dict[str, float]] = mapped_column(JSONType, default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Backorder(Base):
    """A paid order waiting for stock: activated FIFO by paid time, VIP first."""

    __tablename__ = "routing_backorders"
    __table_args__ = (Index("ix_routing_backorders_queue", "status", "vip", "paid_at", "order_id"),)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                          primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default="waiting")  # waiting|activated|cancelled
    vip: Mapped[bool] = mapped_column(default=False)
    paid_at: Mapped[datetime] = mapped_column()
    queued_at: Mapped[datetime] = mapped_column(default=clock.now)
    skus: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)  # units needed per SKU
    promised_date: Mapped[date | None] = mapped_column(Date)
    resolved_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class BackorderSku(Base):
    """Which waiting orders need a SKU (components of bundles), so a receipt finds them fast."""

    __tablename__ = "routing_backorder_skus"
    order_id: Mapped[int] = mapped_column(ForeignKey("routing_backorders.order_id", ondelete="CASCADE"),
                                          primary_key=True)
    sku: Mapped[str] = mapped_column(String(120), primary_key=True, index=True)


class ManualRouting(Base):
    """An order the router could not decide, waiting for a person to pick a warehouse."""

    __tablename__ = "routing_manual_queue"
    __table_args__ = (
        Index("uq_routing_manual_open", "order_id", unique=True,
              postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
        Index("ix_routing_manual_status", "status", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | resolved
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(Text)
    warehouse_code: Mapped[str | None] = mapped_column(String(40))


class DailyLoad(Base):
    """Orders allocated to a warehouse on a day (seller's zone), spread over a few shard rows so
    concurrent allocations to one warehouse do not queue on a single row lock."""

    __tablename__ = "routing_daily_load"
    warehouse_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    allocated: Mapped[int] = mapped_column(Integer, default=0)
