"""Carrier accounts, carrier rules, issued e-waybills and orders waiting for one.

The carriers themselves are the fixed list `orderhub.channels.base.CARRIERS` (codes the
platforms' ship APIs know), so they are not a table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orderhub.core import clock
from orderhub.core.db import Base, JSONType
from orderhub.core.models import BigId

SOURCES = ("cainiao", "pdd", "douyin", "direct")


class CarrierAccount(Base):
    """One account with which waybill numbers are taken: a carrier, the e-waybill source it
    is used through, the sender printed on the label, and sealed credentials."""

    __tablename__ = "carrier_accounts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    carrier: Mapped[str] = mapped_column(String(10), index=True)  # a CARRIERS code
    source: Mapped[str] = mapped_column(String(10))  # one of SOURCES
    base_url: Mapped[str] = mapped_column(String(300), default="")
    app_key: Mapped[str] = mapped_column(String(200), default="")
    sealed_secrets: Mapped[str] = mapped_column(Text, default="")  # app secret / access token
    sender: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    monthly_account: Mapped[str] = mapped_column(String(60), default="")  # 月结账号
    branch: Mapped[str] = mapped_column(String(120), default="")  # 网点
    active: Mapped[bool] = mapped_column(default=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class CarrierRule(Base):
    """"Orders matching these conditions go by this carrier". Empty lists and missing bounds
    match everything; lower priority numbers are tried first; a default rule catches the rest."""

    __tablename__ = "carrier_rules"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    carrier: Mapped[str] = mapped_column(String(10))
    provinces: Mapped[list[str]] = mapped_column(JSONType, default=list)
    channels: Mapped[list[str]] = mapped_column(JSONType, default=list)
    warehouses: Mapped[list[str]] = mapped_column(JSONType, default=list)
    min_weight_g: Mapped[int | None] = mapped_column(Integer)
    max_weight_g: Mapped[int | None] = mapped_column(Integer)  # inclusive
    min_value: Mapped[int | None] = mapped_column(BigInteger)  # order total, minor units
    max_value: Mapped[int | None] = mapped_column(BigInteger)
    is_default: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Waybill(Base):
    """A waybill number issued for an order; voided ones stay for the record."""

    __tablename__ = "waybills"
    __table_args__ = (Index("ix_waybills_order_status", "order_id", "status"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("carrier_accounts.id"))
    carrier: Mapped[str] = mapped_column(String(10))
    tracking_no: Mapped[str] = mapped_column(String(40), index=True)
    sort_code: Mapped[str] = mapped_column(String(60), default="")  # 三段码 / 大头笔
    print_data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="issued")  # issued | void
    rule: Mapped[str] = mapped_column(String(200), default="")  # why this carrier
    issued_at: Mapped[datetime] = mapped_column(default=clock.now)
    voided_at: Mapped[datetime | None] = mapped_column()


class WaybillWait(Base):
    """Why an order has no waybill yet: `retrying` (carrier down; an outbox event tries again)
    or `refused` (wrong credentials, no account, bad address: a person must act)."""

    __tablename__ = "waybill_waits"
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                          primary_key=True)
    carrier: Mapped[str] = mapped_column(String(10), default="")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("carrier_accounts.id"))
    kind: Mapped[str] = mapped_column(String(10))  # retrying | refused
    reason: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
