"""What POST /api/v1/labels/print takes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from orderhub.fulfilment.labels.service import MAX_BATCH


class PrintIn(BaseModel):
    """Either `order_nos`, or `warehouse` (optionally with `due_before`: ship deadline before
    it; a time without a zone is in Asia/Shanghai)."""

    model_config = ConfigDict(extra="forbid")
    order_nos: list[str] | None = Field(default=None, min_length=1, max_length=MAX_BATCH)
    warehouse: str | None = Field(default=None, min_length=1, max_length=40)
    due_before: datetime | None = None
    limit: int = Field(default=MAX_BATCH, ge=1, le=MAX_BATCH)
