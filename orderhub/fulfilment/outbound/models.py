"""The scan log: every scan at the outbound door, good or bad, as typed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from orderhub.core import clock
from orderhub.core.db import Base
from orderhub.core.models import BigId


class ScanLog(Base):
    """One scan. `code` is what the scanner typed (cut to 200 characters, control characters
    shown escaped), `kind` the outcome (see service.KINDS)."""

    __tablename__ = "scan_log"
    __table_args__ = (Index("ix_scan_log_station_id", "station", "id"),
                      Index("ix_scan_log_actor_id", "actor", "id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    ok: Mapped[bool] = mapped_column(default=False)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"),
                                                 index=True)
    order_no: Mapped[str] = mapped_column(String(20), default="")
    tracking_no: Mapped[str] = mapped_column(String(40), default="")
    actor: Mapped[str] = mapped_column(String(200))
    station: Mapped[str] = mapped_column(String(60), default="")
    scanned_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
