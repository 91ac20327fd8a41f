"""Request bodies of the channels API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orderhub.channels.models import DEFAULT_PULL_SECONDS, MIN_PULL_SECONDS
from orderhub.channels.service import SHOP_CHANNELS

Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Secret = Annotated[str, StringConstraints(max_length=2000)]
Channel = Literal[SHOP_CHANNELS]  # type: ignore[valid-type]
Interval = Annotated[int, Field(ge=MIN_PULL_SECONDS, le=86_400)]


class ShopIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    channel: Channel
    display_name: Short = ""
    app_key: Short = ""
    app_secret: Secret = ""
    access_token: Secret = ""
    base_url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    extra: dict[str, Short] = Field(default_factory=dict)
    pull_interval_seconds: Interval = DEFAULT_PULL_SECONDS
    field_overrides: dict[Short, Short] = Field(default_factory=dict)


class ShopPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    app_key: Short | None = None
    app_secret: Secret | None = None
    access_token: Secret | None = None
    base_url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    extra: dict[str, Short] | None = None
    pull_interval_seconds: Interval | None = None
    field_overrides: dict[Short, Short] | None = None


class SyncIn(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReprocessIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    raw: Annotated[str, StringConstraints(max_length=1_000_000)] | None = None
