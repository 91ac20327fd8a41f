"""Tables of the canonical order: shops (channel accounts), orders, lines, holds, raw payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orderhub.core import clock
from orderhub.core.db import Base, JSONType
from orderhub.core.models import BigId

CHANNELS = ("taobao", "jd", "douyin", "pdd", "kuaishou", "shopify", "webhook", "spreadsheet")


class Shop(Base):
    """A channel account: one seller's shop on one platform (or the seller's own store)."""

    __tablename__ = "shops"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str] = mapped_column(String(120), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "platform_order_id"),
        Index("ix_orders_platform_order_id", "platform_order_id"),
        Index("ix_orders_status_id", "status", "id"),
        Index("ix_orders_phone_tail", "receiver_phone_tail"),
        Index("ix_orders_created_at", "created_at"),
        CheckConstraint("total >= 0", name="total_not_negative"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_no: Mapped[str] = mapped_column(String(20), unique=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    channel: Mapped[str] = mapped_column(String(20), index=True)
    platform_order_id: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))
    held_from: Mapped[str | None] = mapped_column(String(20))  # status to return to after holds
    platform_status: Mapped[str | None] = mapped_column(String(40))

    buyer_id: Mapped[str | None] = mapped_column(String(120))
    buyer_nick: Mapped[str | None] = mapped_column(String(120))
    receiver_name: Mapped[str] = mapped_column(String(120), default="")
    receiver_phone: Mapped[str] = mapped_column(String(40), default="")
    receiver_phone_tail: Mapped[str] = mapped_column(String(4), default="")
    receiver_province: Mapped[str] = mapped_column(String(40), default="")
    receiver_city: Mapped[str] = mapped_column(String(60), default="")
    receiver_district: Mapped[str] = mapped_column(String(60), default="")
    receiver_street: Mapped[str] = mapped_column(String(120), default="")
    receiver_detail: Mapped[str] = mapped_column(String(500), default="")
    receiver_zip: Mapped[str] = mapped_column(String(20), default="")
    receiver_country: Mapped[str] = mapped_column(String(2), default="CN")

    buyer_remark: Mapped[str] = mapped_column(Text, default="")
    seller_memo: Mapped[str] = mapped_column(Text, default="")

    currency: Mapped[str] = mapped_column(String(3))
    goods_total: Mapped[int] = mapped_column(BigInteger, default=0)  # sum of price x qty
    discount_total: Mapped[int] = mapped_column(BigInteger, default=0)  # line + order discounts
    shipping_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger)  # what the buyer pays

    created_at: Mapped[datetime] = mapped_column()  # on the platform
    paid_at: Mapped[datetime | None] = mapped_column()
    modified_at: Mapped[datetime | None] = mapped_column()  # on the platform
    presale: Mapped[bool] = mapped_column(default=False)
    promised_ship_at: Mapped[datetime | None] = mapped_column()
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    # Decisions other capabilities hand each other about this order, e.g. a rule's chosen
    # "warehouse" or "carrier" (codes) or "ship_by" (ISO time), read by routing and fulfilment.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    received_at: Mapped[datetime] = mapped_column(default=clock.now)  # first landed in OrderHub
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    version: Mapped[int] = mapped_column(Integer, default=1)

    shop: Mapped[Shop] = relationship(lazy="joined")
    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", order_by="OrderLine.line_no",
                                                  cascade="all, delete-orphan")
    holds: Mapped[list[Hold]] = relationship(back_populates="order", order_by="Hold.id",
                                             cascade="all, delete-orphan")


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    platform_line_id: Mapped[str | None] = mapped_column(String(80))
    platform_sku: Mapped[str] = mapped_column(String(120))
    sku: Mapped[str | None] = mapped_column(String(120))  # internal SKU once mapped
    title: Mapped[str] = mapped_column(String(500), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger, default=0)  # for the whole line
    status: Mapped[str] = mapped_column(String(20), default="normal")
    refund_status: Mapped[str] = mapped_column(String(20), default="none")

    order: Mapped[Order] = relationship(back_populates="lines")


class Hold(Base):
    __tablename__ = "holds"
    __table_args__ = (Index("ix_holds_open", "status", "order_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    reason_code: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | resolved
    raised_by_kind: Mapped[str] = mapped_column(String(16))
    raised_by: Mapped[str] = mapped_column(String(200))
    raised_at: Mapped[datetime] = mapped_column(default=clock.now)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolution: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship(back_populates="holds")


class RawPayload(Base):
    """Every payload a platform sent for an order, verbatim, for audit and for re-processing."""

    __tablename__ = "order_raw_payloads"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    received_at: Mapped[datetime] = mapped_column(default=clock.now)
    source: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
