"""JSON shapes and display text of SKU mappings, shared by the API, the console and the CLI."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from orderhub.channels.sku_mapping.service import Mapped, MappingRow, WaitingSku
from orderhub.core.settings import get_settings


def when(at: datetime) -> str:
    """In the seller's time zone, to the minute."""
    return at.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M")


def mapping_dict(row: MappingRow) -> dict[str, Any]:
    return {"id": row.id, "platform_sku": row.platform_sku, "shop": row.shop, "sku": row.sku,
            "sku_name": row.sku_name, "updated_at": row.updated_at.isoformat(),
            "updated_by": row.updated_by}


def waiting_dict(row: WaitingSku) -> dict[str, Any]:
    return {"platform_sku": row.platform_sku, "shop": row.shop, "title": row.title,
            "orders": row.orders, "lines": row.lines, "oldest": row.oldest.isoformat()}


def mapped_dict(done: Mapped, shop: str | None) -> dict[str, Any]:
    m = done.mapping
    return {"id": m.id, "platform_sku": m.platform_sku, "shop": shop, "sku": m.sku,
            "created": done.created, "lines_mapped": done.lines, "orders_released": done.released}
