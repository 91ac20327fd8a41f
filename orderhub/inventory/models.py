"""Tables of the stock pool. Stock is changed only by the services (conditional statements),
every change leaves a StockMovement row, and CHECK constraints back the invariants."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from orderhub.core import clock
from orderhub.core.db import Base, JSONType
from orderhub.core.models import BigId

MOVEMENT_KINDS = ("receipt", "reserve", "release", "ship", "adjust", "transfer_out", "transfer_in",
                  "return", "set")
RESERVATION_STATUSES = ("active", "released", "consumed")


class Sku(Base):
    __tablename__ = "skus"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(60), default="")
    barcode: Mapped[str | None] = mapped_column(String(64))
    weight_g: Mapped[int] = mapped_column(Integer, default=0)
    purchase_limited: Mapped[bool] = mapped_column(default=False)
    presale: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    __table_args__ = (CheckConstraint("weight_g >= 0", name="weight_not_negative"),)


class BundleComponent(Base):
    """Selling one bundle SKU takes `ratio` units of each component."""

    __tablename__ = "bundle_components"
    __table_args__ = (UniqueConstraint("bundle_sku_id", "component_sku_id"),
                      CheckConstraint("ratio > 0", name="ratio_positive"),
                      CheckConstraint("bundle_sku_id <> component_sku_id", name="not_itself"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bundle_sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"), index=True)
    component_sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    ratio: Mapped[int] = mapped_column(Integer)


class Warehouse(Base):
    __tablename__ = "warehouses"
    __table_args__ = (CheckConstraint("error_rate >= 0 AND error_rate <= 1", name="error_rate_range"),
                      CheckConstraint("daily_capacity >= 0", name="capacity_not_negative"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    province: Mapped[str] = mapped_column(String(40), default="")
    city: Mapped[str] = mapped_column(String(60), default="")
    daily_capacity: Mapped[int] = mapped_column(Integer, default=0)
    # Province names this warehouse ships to; empty means every province.
    serves_provinces: Mapped[list[str]] = mapped_column(JSONType, default=list)
    delivery_days: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)  # province -> days
    error_rate: Mapped[float] = mapped_column(Float, default=0.0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class StockLevel(Base):
    """One row per (SKU, warehouse). available = on_hand - reserved, never negative."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("sku_id", "warehouse_id"),
        Index("ix_stock_levels_warehouse", "warehouse_id", "sku_id"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
        CheckConstraint("in_transit >= 0", name="in_transit_not_negative"),
        CheckConstraint("safety_stock >= 0", name="safety_not_negative"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    in_transit: Mapped[int] = mapped_column(Integer, default=0)
    in_transit_expected_at: Mapped[datetime | None] = mapped_column()
    safety_stock: Mapped[int] = mapped_column(Integer, default=0)


class StockMovement(Base):
    """The ledger: levels are the sums of the deltas (see ledger.rebuild)."""

    __tablename__ = "stock_movements"
    # Few indexes: every reservation writes a row here (the sweep reads by time, replenishment
    # by SKU and time). Time is a BRIN index on PostgreSQL (migration 0018): rows come in time
    # order, and a B-tree would have every reservation insert into its rightmost page.
    __table_args__ = (Index("ix_stock_movements_sku_at", "sku_id", "at"),
                      Index("ix_stock_movements_at", "at", postgresql_using="brin"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    # The database checks these foreign keys on SQLite only: on PostgreSQL migration 0018 dropped
    # them (per reservation two row locks on master data; the pair is always a stock_levels row's).
    # Declared here for both, so the tables' dependency order stays that of the schema.
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    kind: Mapped[str] = mapped_column(String(20))
    on_hand_delta: Mapped[int] = mapped_column(Integer, default=0)
    reserved_delta: Mapped[int] = mapped_column(Integer, default=0)
    in_transit_delta: Mapped[int] = mapped_column(Integer, default=0)
    order_id: Mapped[int | None] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(200), default="")
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str] = mapped_column(String(200))


class Reservation(Base):
    __tablename__ = "reservations"
    __table_args__ = (
        # At most one active reservation per (order, warehouse, SKU): a concurrent double reserve
        # of the same order fails here instead of taking stock twice. It is also the index of
        # "the order's active reservations" (release, consume, confirm).
        Index("uq_reservations_active", "order_id", "warehouse_id", "sku_id", unique=True,
              postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'")),
        # Only unpaid reservations carry a TTL: the expiry sweep's index holds just those.
        Index("ix_reservations_expiry", "expires_at",
              postgresql_where=text("status = 'active' AND expires_at IS NOT NULL"),
              sqlite_where=text("status = 'active' AND expires_at IS NOT NULL")),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(BigInteger)
    # Foreign keys checked on SQLite only (see StockMovement, migration 0018).
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="active")
    expires_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    closed_at: Mapped[datetime | None] = mapped_column()


class Stocktake(Base):
    """A count of one warehouse: draft -> submitted -> approved (posted to the ledger) | rejected."""

    __tablename__ = "stocktakes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    submitted_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_comment: Mapped[str | None] = mapped_column(Text)


class StocktakeLine(Base):
    __tablename__ = "stocktake_lines"
    __table_args__ = (UniqueConstraint("stocktake_id", "sku_id"),
                      CheckConstraint("counted >= 0", name="counted_not_negative"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    system_on_hand: Mapped[int] = mapped_column(Integer)  # when counted
    counted: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200), default="")


class ChannelStockRule(Base):
    """Which warehouses feed a shop's sellable stock, and the share of it offered there."""

    __tablename__ = "channel_stock_rules"
    __table_args__ = (CheckConstraint("share_pct >= 0 AND share_pct <= 100", name="share_range"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop: Mapped[str] = mapped_column(String(80), unique=True)
    warehouse_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)  # empty = all
    share_pct: Mapped[int] = mapped_column(Integer, default=100)
    # Whether the warehouses' safety stock is held back from this channel (the usual case).
    use_safety_stock: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)


class SellableSnapshot(Base):
    """The sellable quantity last announced per (shop, SKU): a push happens only on a change."""

    __tablename__ = "sellable_snapshots"
    __table_args__ = (UniqueConstraint("shop", "sku_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop: Mapped[str] = mapped_column(String(80))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class InventoryMark(Base):
    """Named timestamps the inventory jobs keep (e.g. how far the sellable sweep has looked)."""

    __tablename__ = "inventory_marks"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    at: Mapped[datetime] = mapped_column()
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


TRANSFER_STATUSES = ("requested", "shipped", "received", "cancelled")


class TransferRequest(Base):
    """Moving stock between warehouses: requested -> shipped (source on hand leaves, the
    destination counts it in transit until the expected date) -> received (on hand there);
    a request not yet shipped can be cancelled."""

    __tablename__ = "transfer_requests"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),
                      CheckConstraint("from_warehouse_id <> to_warehouse_id", name="two_warehouses"),
                      Index("ix_transfer_requests_status", "status", "id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    from_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    to_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    expected_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(12), default="requested")
    note: Mapped[str] = mapped_column(String(200), default="")
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    shipped_at: Mapped[datetime | None] = mapped_column()
    received_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
