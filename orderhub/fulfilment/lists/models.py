"""The one table of lists: every WMS import with its rows as read and each row's outcome, so a
person can see what shipped and what is left to correct."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from orderhub.core import clock
from orderhub.core.db import Base, JSONType
from orderhub.core.models import BigId

ROW_STATUSES = ("shipped", "already_shipped", "skipped", "bad")


class WmsImport(Base):
    """One uploaded WMS file. `rows` holds each row as read ({"row", "order_no", "cells",
    "status", "error"}): the file stays readable after it is gone from the uploader's disk."""

    __tablename__ = "wms_imports"
    __table_args__ = (Index("ix_wms_imports_created_at", "created_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    file_name: Mapped[str] = mapped_column(String(255))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    shipped: Mapped[int] = mapped_column(Integer, default=0)  # orders
    already_shipped: Mapped[int] = mapped_column(Integer, default=0)  # orders
    skipped_rows: Mapped[int] = mapped_column(Integer, default=0)  # no tracking number filled in
    bad_rows: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
