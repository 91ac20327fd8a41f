"""Request bodies of the carriers API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Source = Literal["cainiao", "pdd", "douyin", "direct"]
Code = Annotated[str, Field(min_length=1, max_length=10)]
Name = Annotated[str, Field(min_length=1, max_length=120)]


class Sender(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = ""
    mobile: str = ""
    phone: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    detail: str = ""


class AccountIn(BaseModel):
    """A carrier account. `secrets` (app_secret, access_token) are sealed and never shown again."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    carrier: Code
    source: Source
    base_url: str = Field(default="", max_length=300)
    app_key: str = Field(default="", max_length=200)
    secrets: dict[str, str] = Field(default_factory=dict)
    sender: Sender = Field(default_factory=Sender)
    monthly_account: str = Field(default="", max_length=60)
    branch: str = Field(default="", max_length=120)
    active: bool = True


class AccountPatch(BaseModel):
    """Only the fields given change; empty `secrets` keep the stored ones."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    carrier: Code | None = None
    source: Source | None = None
    base_url: str | None = Field(default=None, max_length=300)
    app_key: str | None = Field(default=None, max_length=200)
    secrets: dict[str, str] | None = None
    sender: Sender | None = None
    monthly_account: str | None = Field(default=None, max_length=60)
    branch: str | None = Field(default=None, max_length=120)
    active: bool | None = None


class RuleIn(BaseModel):
    """A carrier rule; empty lists and missing bounds match everything. Values in minor units."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    carrier: Code
    priority: int = Field(default=100, ge=0, le=100_000)
    provinces: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)
    warehouses: list[str] = Field(default_factory=list)
    min_weight_g: int | None = Field(default=None, ge=0)
    max_weight_g: int | None = Field(default=None, ge=0)
    min_value: int | None = Field(default=None, ge=0)
    max_value: int | None = Field(default=None, ge=0)
    is_default: bool = False
    active: bool = True


class RulePatch(RuleIn):
    name: Name | None = None  # type: ignore[assignment]
    carrier: Code | None = None  # type: ignore[assignment]
    priority: int | None = Field(default=None, ge=0, le=100_000)  # type: ignore[assignment]
    provinces: list[str] | None = None  # type: ignore[assignment]
    channels: list[str] | None = None  # type: ignore[assignment]
    warehouses: list[str] | None = None  # type: ignore[assignment]
    is_default: bool | None = None  # type: ignore[assignment]
    active: bool | None = None  # type: ignore[assignment]


class WaybillsIn(BaseModel):
    """Orders (by order number) to take waybills for; those that have one keep it."""

    model_config = ConfigDict(extra="forbid")
    order_nos: list[str] = Field(min_length=1, max_length=1000)
