"""The escalation policy as data (editable in the console and API), its defaults, quiet hours.

Stored as one audited setting, `alerts.escalation`. Step n is due `after_minutes` after the
alert was raised (not after the step before), so a worker that was down catches up to exactly
the step the clock says. A severity climbs only up to its `top_step`: a warning before the
deadline reaches the assignee in-app and on WeCom, a breach goes all the way to the manager.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import audit
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput
from orderhub.core.models import Setting
from orderhub.core.settings import get_settings

SETTING_KEY = "alerts.escalation"
CHANNELS = ("inapp", "wecom", "dingtalk", "sms", "email")
EXTERNAL = frozenset(CHANNELS) - {"inapp"}
Channel = Literal["inapp", "wecom", "dingtalk", "sms", "email"]
Target = Literal["assignee", "supervisor", "manager"]


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after_minutes: int = Field(ge=0, le=7 * 24 * 60)
    to: Target
    channels: list[Channel] = Field(min_length=1)
    # At this step the order (or task) moves to the assignee's backup, who gets step 0 again.
    reassign_to_backup: bool = False


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = "22:00"
    end: str = "08:00"

    @field_validator("start", "end")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        try:
            time.fromisoformat(value)
        except ValueError:
            raise ValueError("a time of day as HH:MM") from None
        return value


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: list[Step] = Field(min_length=1, max_length=12)
    top_step: dict[Literal["info", "warning", "critical"], int]
    fallback: list[Channel] = Field(min_length=1)
    quiet_hours: QuietHours | None = None
    # Who hears of alerts that concern no assigned person (a shop, a SKU, an event): a role.
    recipients: dict[str, str] = Field(default_factory=dict)
    # The console's address as people's phones reach it, for the acknowledge link.
    public_url: str = "http://localhost:8000"

    @model_validator(mode="after")
    def _ordered(self) -> Policy:
        waits = [s.after_minutes for s in self.steps]
        if waits[0] != 0:
            raise ValueError("the first step goes out at once (after_minutes 0)")
        if waits != sorted(waits) or len(set(waits)) != len(waits):
            raise ValueError("steps come in order of after_minutes, each later than the one before")
        for severity, top in self.top_step.items():
            if not 0 <= top < len(self.steps):
                raise ValueError(f"top_step of {severity} is not a step")
        return self


DEFAULT_POLICY = Policy(
    steps=[Step(after_minutes=0, to="assignee", channels=["inapp"]),
           Step(after_minutes=5, to="assignee", channels=["wecom"]),
           Step(after_minutes=10, to="assignee", channels=["sms"]),
           Step(after_minutes=15, to="supervisor", channels=["inapp", "wecom", "sms"],
                reassign_to_backup=True),
           Step(after_minutes=30, to="manager", channels=["inapp", "wecom", "sms"])],
    top_step={"info": 0, "warning": 1, "critical": 4},
    fallback=["wecom", "sms", "dingtalk", "email", "inapp"],
    quiet_hours=QuietHours(start="22:00", end="08:00"),
    recipients={"shop_unhealthy": "ops", "pull_failing": "ops", "ship_confirm_failed": "ops",
                "low_stock": "warehouse", "tracking_exception": "cs", "dead_letter": "ops",
                "rule_notify": "supervisor", "sla_warning": "supervisor",
                "sla_breach": "supervisor"},
)


def load_policy(session: Session) -> Policy:
    """The stored policy, or the default when none is stored or it no longer validates."""
    stored = session.scalar(select(Setting.value).where(Setting.key == SETTING_KEY))
    if stored is None:
        return DEFAULT_POLICY
    try:
        return Policy.model_validate(stored)
    except ValidationError:
        return DEFAULT_POLICY


def save_policy(session: Session, *, actor: Actor, data: dict[str, Any]) -> Policy:
    """Replace the policy (audited); bad data is refused with every problem listed."""
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("not a valid escalation policy",
                           details={"errors": [{"at": ".".join(str(p) for p in e["loc"]),
                                                "problem": e["msg"]} for e in exc.errors()]}
                           ) from None
    audit.put_setting(session, actor=actor, key=SETTING_KEY, value=policy.model_dump(mode="json"))
    session.flush()
    return policy


def due_at(policy: Policy, *, created_at: datetime, step: int, severity: str) -> datetime | None:
    """When step `step` of an alert raised at created_at is due; None past the severity's top."""
    if step > policy.top_step.get(severity, 0) or step >= len(policy.steps):  # type: ignore[call-overload]
        return None
    return created_at + timedelta(minutes=policy.steps[step].after_minutes)


# --- quiet hours ----------------------------------------------------------------------------


def quiet_until(policy: Policy, at: datetime) -> datetime | None:
    """If `at` falls in quiet hours (seller's zone), the UTC moment they end; else None."""
    quiet = policy.quiet_hours
    if quiet is None:
        return None
    zone = ZoneInfo(get_settings().timezone)
    local = at.astimezone(zone)
    start, end = time.fromisoformat(quiet.start), time.fromisoformat(quiet.end)
    now = local.time()
    if start == end:
        return None
    if start < end:  # e.g. 12:00-14:00, within one day
        inside = start <= now < end
        end_day = local.date()
    else:  # e.g. 22:00-08:00, across midnight
        inside = now >= start or now < end
        end_day = local.date() + timedelta(days=1) if now >= start else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(at.tzinfo)


def held_back(policy: Policy, *, severity: str, channel: str, at: datetime) -> datetime | None:
    """When a message may go: None = at once. Critical alerts and the in-app inbox ignore
    quiet hours; other external messages wait for them to end."""
    if severity == "critical" or channel not in EXTERNAL:
        return None
    return quiet_until(policy, at)
