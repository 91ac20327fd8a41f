"""Bodies of routing's write routes. Unknown fields are refused."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Province = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Provinces = Annotated[list[Province], Field(min_length=1, max_length=40)]
Priority = Annotated[int, Field(ge=0, le=1_000_000)]


class RegionRuleIn(BaseModel):
    """A region rule: orders to these provinces ship from this warehouse when it can cover them.
    Lower priority numbers are tried first."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    provinces: Provinces
    warehouse_code: Code
    priority: Priority = 100
    enabled: bool = True


class RegionRulePatch(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    provinces: Provinces | None = None
    warehouse_code: Code | None = None
    priority: Priority | None = None
    enabled: bool | None = None


class SettingsPatch(BaseModel):
    """weights: stock, delivery, load, error — each 0..1, summing to 1."""

    model_config = ConfigDict(extra="forbid")
    weights: dict[str, float] | None = None
    allow_split: bool | None = None
    transfer_days: Annotated[int, Field(ge=0, le=60)] | None = None


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    warehouse: Code


class RetryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
