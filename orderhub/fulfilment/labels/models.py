"""Label batches: what one print run selected, printed, reprinted, and left waiting or skipped.

The PDF itself is not stored: `entries` keeps, in print order, each order's waybill and the
ship deadline and marks as they were at print time, so rendering the batch again gives the
same labels.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from orderhub.core import clock
from orderhub.core.db import Base, JSONType
from orderhub.core.models import BigId


class LabelBatch(Base):
    __tablename__ = "label_batches"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    # {"order_nos": [...]} or {"warehouse": "WH-HZ", "due_before": iso}
    selection: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    order_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)  # print order
    # [{"order_id", "order_no", "waybill_id", "deadline", "urgent", "reprint"}], print order
    entries: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    count: Mapped[int] = mapped_column(Integer, default=0)
    printed: Mapped[int] = mapped_column(Integer, default=0)  # allocated -> label_printed now
    reprinted: Mapped[int] = mapped_column(Integer, default=0)  # were label_printed already
    waiting: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)  # order_no -> why
    skipped: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)  # order_no -> why
