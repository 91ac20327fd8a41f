"""Tables of spreadsheet import: saved column mappings, batches, every row read, and uploads
waiting for their mapping step in the console.

A shop is referred to by name, as in OrderIn: the orders capability owns the shops table and is
asked through `find_shop`, never joined.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from orderhub.core import clock
from orderhub.core.db import Base, JSONType
from orderhub.core.models import BigId

ROW_STATUSES = ("bad", "fixed", "imported")


class ImportTemplate(Base):
    """How one kind of sheet maps onto the canonical order: {field: column header}."""

    __tablename__ = "import_templates"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    shop: Mapped[str] = mapped_column(String(80))
    mapping: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class ImportBatch(Base):
    """One file imported with one template. The mapping is copied in, so a row fixed later is
    read the way its file was, even if the template has changed since."""

    __tablename__ = "import_batches"
    __table_args__ = (Index("ix_import_batches_created_at", "created_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    file_name: Mapped[str] = mapped_column(String(255))
    encoding: Mapped[str] = mapped_column(String(20), default="")
    template: Mapped[str] = mapped_column(String(80))
    shop: Mapped[str] = mapped_column(String(80))
    mapping: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    headers: Mapped[list[str]] = mapped_column(JSONType, default=list)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    orders_created: Mapped[int] = mapped_column(Integer, default=0)
    orders_updated: Mapped[int] = mapped_column(Integer, default=0)
    bad_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class ImportRow(Base):
    """Every row of a batch as read (header -> text), so a bad row can be corrected and its
    whole order sent again with the rows that were fine."""

    __tablename__ = "import_rows"
    __table_args__ = (UniqueConstraint("batch_id", "row_number"),
                      Index("ix_import_rows_batch_status", "batch_id", "status"),
                      Index("ix_import_rows_batch_order", "batch_id", "order_key"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(Integer)
    order_key: Mapped[str] = mapped_column(String(80), default="")  # platform order id as read
    raw: Mapped[dict[str, str]] = mapped_column(JSONType)
    error: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10))
    order_no: Mapped[str | None] = mapped_column(String(40), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class ImportUpload(Base):
    """A file uploaded in the console, kept between the upload and the mapping step (the
    server is stateless: the next request may reach another process)."""

    __tablename__ = "import_uploads"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    file_name: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

