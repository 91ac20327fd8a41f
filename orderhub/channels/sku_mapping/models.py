"""The sku_mappings table, and the index on order lines that finds the lines still unmapped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from orderhub.core import clock
from orderhub.core.db import Base
from orderhub.core.models import BigId
from orderhub.orders.models import OrderLine

# Lines without an internal SKU are few (they wait for a person), so a partial index on them
# keeps "which lines wait for platform SKU X" and the waiting list cheap however many lines
# there are. Declared here because this capability is the one that asks.
_unmapped = OrderLine.__table__.c.sku.is_(None)
Index("ix_order_lines_unmapped", OrderLine.platform_sku, OrderLine.order_id,
      sqlite_where=_unmapped, postgresql_where=_unmapped)


class SkuMapping(Base):
    """platform_sku -> sku (our code) for one shop, or for every shop when shop_id is NULL.

    NULLs are distinct in a unique constraint (on SQLite and PostgreSQL alike), so
    UNIQUE (platform_sku, shop_id) alone would allow any number of all-shops rows for one
    platform SKU. The partial unique index on platform_sku WHERE shop_id IS NULL closes that on
    both databases (PostgreSQL 15's NULLS NOT DISTINCT has no SQLite equivalent)."""

    __tablename__ = "sku_mappings"
    __table_args__ = (
        # Leading platform_sku: the pipeline looks up (platform_sku IN …, this shop or all).
        Index("uq_sku_mappings_shop", "platform_sku", "shop_id", unique=True),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    platform_sku: Mapped[str] = mapped_column(String(120))
    sku: Mapped[str] = mapped_column(String(120))  # our SKU code (inventory's skus.code)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_by: Mapped[str] = mapped_column(String(200))


_all_shops = SkuMapping.__table__.c.shop_id.is_(None)
Index("uq_sku_mappings_all_shops", SkuMapping.platform_sku, unique=True,
      sqlite_where=_all_shops, postgresql_where=_all_shops)
