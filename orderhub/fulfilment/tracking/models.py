"""Tables of tracking: the Kuaidi100 account, the parcels we follow and their scans."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orderhub.core import clock
from orderhub.core.db import Base
from orderhub.core.models import BigId


class Kuaidi100Account(Base):
    """The one Kuaidi100 account (row id 1); the key is sealed like shops' secrets."""

    __tablename__ = "kuaidi100_accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    base_url: Mapped[str] = mapped_column(String(300))
    customer: Mapped[str] = mapped_column(String(120))
    sealed_key: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class TrackedShipment(Base):
    """One parcel followed through Kuaidi100. The salt signs its pushes, so it is sealed."""

    __tablename__ = "tracked_shipments"
    __table_args__ = (
        Index("ix_tracked_shipments_watch", "delivered_at", "stale_alerted_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    carrier: Mapped[str] = mapped_column(String(20))  # our code: SF, ZTO, …
    company: Mapped[str] = mapped_column(String(40))  # Kuaidi100's code: shunfeng, zhongtong, …
    tracking_no: Mapped[str] = mapped_column(String(40), unique=True)
    sealed_salt: Mapped[str] = mapped_column(Text)
    subscription: Mapped[str] = mapped_column(String(16), default="pending")  # pending|active|aborted
    subscribed_at: Mapped[datetime | None] = mapped_column()
    state: Mapped[str | None] = mapped_column(String(4))  # Kuaidi100 state code, "3" = 签收
    shipped_at: Mapped[datetime] = mapped_column(default=clock.now)
    first_scan_at: Mapped[datetime | None] = mapped_column()
    last_event_at: Mapped[datetime | None] = mapped_column()
    last_update_at: Mapped[datetime | None] = mapped_column()  # last push or query that worked
    delivered_at: Mapped[datetime | None] = mapped_column()
    exception_reason: Mapped[str | None] = mapped_column(Text)
    exception_at: Mapped[datetime | None] = mapped_column()
    # Set when the 48 h no-scan exception fired; cleared by the next scan, so it fires once per lull.
    stale_alerted_at: Mapped[datetime | None] = mapped_column()


class TrackingEvent(Base):
    """One scan as Kuaidi100 reported it; a repeated push finds the row already there."""

    __tablename__ = "tracking_events"
    __table_args__ = (UniqueConstraint("tracking_no", "time", "context"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("tracked_shipments.id", ondelete="CASCADE"),
                                             index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    tracking_no: Mapped[str] = mapped_column(String(40))
    time: Mapped[datetime] = mapped_column()
    context: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="")  # 在途, 揽收, 签收, …
    area: Mapped[str] = mapped_column(String(120), default="")
    state: Mapped[str | None] = mapped_column(String(4))
    received_at: Mapped[datetime] = mapped_column(default=clock.now)
