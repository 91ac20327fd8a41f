"""Bodies of the SLA write routes. Unknown fields are refused."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class RuleIn(BaseModel):
    """A deadline rule for one stage. kind: default, category, vip, high_value, channel, presale;
    mode: minutes, same_day, promised. min_total (high_value) is a decimal amount in CNY."""

    model_config = ConfigDict(extra="forbid")
    stage: str
    kind: str
    match: Text = ""
    mode: str = "minutes"
    minutes: Annotated[int, Field(ge=1, le=60 * 24 * 365)] | None = None
    min_total: str | None = None
    active: bool = True


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    warn_share: Annotated[float, Field(gt=0, lt=1)]


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    stages: list[str] = []
    strategy: str = "round_robin"
    manager_id: int | None = None


class PersonIn(BaseModel):
    """shift: {"days": [1-7], "start": "09:00", "end": "18:00"} in the seller's zone; none means
    always on duty."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    user_id: int | None = None
    role: Text = "agent"
    phone: Text = ""
    email: Text = ""
    wecom_userid: Text = ""
    dingtalk_mobile: Text = ""
    team_id: int | None = None
    backup_id: int | None = None
    supervisor_id: int | None = None
    shift: dict[str, Any] | None = None
    active: bool = True


class ReassignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: int
    reason: Text = ""
