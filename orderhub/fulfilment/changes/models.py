"""The record of every address change made in OrderHub: before, after, who, when, why, and
what it cost (a voided waybill, compensation given to the buyer)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orderhub.core import clock
from orderhub.core.db import Base, JSONType
from orderhub.core.models import BigId

KINDS = ("in_window", "override")  # inside the change window, or a supervisor after it


class AddressChange(Base):
    __tablename__ = "address_changes"
    __table_args__ = (Index("ix_address_changes_order", "order_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    order_no: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(12))  # one of KINDS
    status_at_change: Mapped[str] = mapped_column(String(20))
    before: Mapped[dict[str, Any]] = mapped_column(JSONType)
    after: Mapped[dict[str, Any]] = mapped_column(JSONType)
    reason: Mapped[str] = mapped_column(Text)
    # A change after the waybill was taken voids it; the label is printed again.
    voided_carrier: Mapped[str | None] = mapped_column(String(10))
    voided_tracking_no: Mapped[str | None] = mapped_column(String(40))
    compensation_amount: Mapped[int | None] = mapped_column(BigInteger)  # minor units
    compensation_currency: Mapped[str | None] = mapped_column(String(3))
    compensation_note: Mapped[str] = mapped_column(String(200), default="")
    window_closes_at: Mapped[datetime] = mapped_column()
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
