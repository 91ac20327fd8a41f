"""Rules in and out: what a person or an import sends to save a rule, a dry run, a decision."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80,
                                       pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
Condition = Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class RuleIn(BaseModel):
    """A rule as saved from the console, the API or a YAML import."""

    model_config = ConfigDict(extra="forbid")
    key: Key | None = None  # generated from the id when left out
    name: Name
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    triggers: Annotated[list[str], Field(min_length=1, max_length=12)]
    condition: Condition
    actions: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=20)]
    severity: Literal["info", "warning", "critical"] = "warning"
    priority: Annotated[int, Field(ge=-10_000, le=10_000)] = 100
    enabled: bool = True


class ValidateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    condition: Annotated[str, StringConstraints(max_length=4000)]


class DryRunIn(BaseModel):
    """A saved rule (rule_id) or a draft (condition + actions + triggers)."""

    model_config = ConfigDict(extra="forbid")
    rule_id: int | None = None
    condition: Condition | None = None
    actions: Annotated[list[dict[str, Any]], Field(max_length=20)] | None = None
    triggers: Annotated[list[str], Field(max_length=12)] | None = None
    days: Annotated[int, Field(ge=1, le=90)] = 7
    limit: Annotated[int, Field(ge=1, le=2000)] = 500


class EnableIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "reject"]
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class CloseTaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class BulkResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hold_ids: Annotated[list[int], Field(min_length=1, max_length=500)]
    resolution: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                 max_length=2000)]
