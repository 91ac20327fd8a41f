"""JSON bodies of the import API."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Column = Annotated[str, StringConstraints(max_length=200)]


class TemplateIn(BaseModel):
    """An import template: which column holds each canonical field (see docs/channels.md)."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    shop: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    mapping: Annotated[dict[str, Column], Field(description='{"quantity": "购买数量", ...}')]
    options: dict[str, str] = Field(default_factory=dict,
                                    description="date_format (strptime), default_status")


class FixIn(BaseModel):
    """New text for some cells of a row (by column header); `retry` imports its order at once."""

    model_config = ConfigDict(extra="forbid")
    values: Annotated[dict[str, Annotated[str, StringConstraints(max_length=2000)]],
                      Field(min_length=1, max_length=100)]
    retry: bool = False
