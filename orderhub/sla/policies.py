"""Which deadline applies to an order entering a stage.

Precedence, most specific first (the first rule that matches wins):
presale (the promised date) > channel (a platform's ship-by promise) > vip > high_value >
category > default. A rule applies to one stage; the editor lists them in this order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import audit, clock
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput
from orderhub.core.settings import get_settings
from orderhub.inventory.catalog import sku_info
from orderhub.orders.models import Order
from orderhub.sla.models import SlaRule, SlaSettings

STAGES = ("accept", "print", "ship", "first_scan")
KINDS = ("presale", "channel", "vip", "high_value", "category", "default")  # precedence order
MODES = ("minutes", "same_day", "promised")
VIP_TAG = "vip"  # no customer table yet: an order tagged "vip" is a VIP customer's
DEFAULT_WARN_SHARE = 0.75
# SPEC §7 and the seeds (migration 0008_sla writes the same rows): (stage, kind, match, mode,
# minutes, min_total in minor units).
DEFAULT_RULES = (
    ("accept", "default", "", "minutes", 240, None),
    ("accept", "vip", "", "minutes", 60, None),
    ("accept", "high_value", "", "minutes", 60, 100000),
    ("print", "default", "", "minutes", 120, None),
    ("ship", "default", "", "same_day", None, None),
    ("ship", "presale", "", "promised", None, None),
    ("first_scan", "default", "", "minutes", 1440, None),
)


@dataclass(frozen=True)
class Deadline:
    deadline: datetime
    warn_at: datetime
    rule_id: int | None
    note: str


def rules(session: Session, *, active_only: bool = True) -> list[SlaRule]:
    stmt = select(SlaRule)
    if active_only:
        stmt = stmt.where(SlaRule.active.is_(True))
    found = list(session.scalars(stmt))
    return sorted(found, key=lambda r: (STAGES.index(r.stage) if r.stage in STAGES else 99,
                                        KINDS.index(r.kind) if r.kind in KINDS else 99,
                                        r.match, r.id))


def warn_share(session: Session) -> float:
    row = session.get(SlaSettings, 1)
    return row.warn_share if row is not None else DEFAULT_WARN_SHARE


def deadline_for(session: Session, *, order: Order, stage: str, started_at: datetime) -> Deadline:
    """The deadline of `stage` for `order` entering it at `started_at`, and when to warn."""
    facts = _facts(session, order)
    for rule in rules(session):
        if rule.stage == stage and _matches(rule, order, facts):
            at = _compute(rule, order, started_at)
            if at is not None:
                return _with_warning(session, started_at, at, rule.id, describe(rule))
    # No rule (an emptied table): the SPEC's defaults, so an order never goes unwatched.
    at = _compute(_builtin(stage), order, started_at)
    assert at is not None
    return _with_warning(session, started_at, at, None, "built-in default")


def _with_warning(session: Session, start: datetime, deadline: datetime, rule_id: int | None,
                  note: str) -> Deadline:
    span = max(deadline - start, timedelta(0))
    return Deadline(deadline=deadline, warn_at=start + span * warn_share(session), rule_id=rule_id,
                    note=note)


@dataclass(frozen=True)
class _Facts:
    categories: frozenset[str]
    vip: bool


def _facts(session: Session, order: Order) -> _Facts:
    codes = [line.sku for line in order.lines if line.sku]
    categories = frozenset(i.category for i in sku_info(session, codes).values() if i.category)
    tags = {str(t).strip().lower() for t in (order.tags or [])}
    return _Facts(categories=categories, vip=VIP_TAG in tags)


def _matches(rule: SlaRule, order: Order, facts: _Facts) -> bool:
    if rule.kind == "default":
        return True
    if rule.kind == "presale":
        return order.presale and order.promised_ship_at is not None
    if rule.kind == "channel":
        return order.channel == rule.match
    if rule.kind == "vip":
        return facts.vip
    if rule.kind == "high_value":
        return rule.min_total is not None and order.total >= rule.min_total
    if rule.kind == "category":
        return rule.match in facts.categories
    return False


def _compute(rule: SlaRule, order: Order, started_at: datetime) -> datetime | None:
    if rule.mode == "promised":
        return order.promised_ship_at
    if rule.mode == "same_day":
        zone = ZoneInfo(get_settings().timezone)
        day = started_at.astimezone(zone).date()
        return datetime.combine(day, time(23, 59, 59), tzinfo=zone).astimezone(started_at.tzinfo)
    # A platform's promise counts from payment; everything else from the stage's start.
    base = order.paid_at if rule.kind == "channel" and order.paid_at else started_at
    return base + timedelta(minutes=rule.minutes or 0)


def _builtin(stage: str) -> SlaRule:
    minutes = {"accept": 240, "print": 120, "first_scan": 1440}.get(stage)
    return SlaRule(stage=stage, kind="default", match="", mode="same_day" if minutes is None else "minutes",
                   minutes=minutes)


def describe(rule: SlaRule) -> str:
    """What the order page and alerts say about why a deadline is what it is, e.g. "vip 60 min"."""
    what = rule.kind if not rule.match else f"{rule.kind} {rule.match}"
    if rule.mode == "same_day":
        return f"{what} same day"
    if rule.mode == "promised":
        return f"{what} promised date"
    return f"{what} {rule.minutes} min"


def check_rule(*, stage: str, kind: str, match: str, mode: str, minutes: int | None,
               min_total: int | None) -> None:
    """Refuse a rule that could never compute a deadline, with the field at fault."""
    problems: dict[str, str] = {}
    if stage not in STAGES:
        problems["stage"] = f"one of {', '.join(STAGES)}"
    if kind not in KINDS:
        problems["kind"] = f"one of {', '.join(KINDS)}"
    if mode not in MODES:
        problems["mode"] = f"one of {', '.join(MODES)}"
    if mode == "minutes" and (minutes is None or minutes <= 0):
        problems["minutes"] = "a positive number of minutes"
    if kind in ("category", "channel") and not match.strip():
        problems["match"] = f"the {kind} this rule is for"
    if kind == "high_value" and (min_total is None or min_total <= 0):
        problems["min_total"] = "the order total from which an order is high value"
    if problems:
        raise InvalidInput("the SLA rule is incomplete: " + "; ".join(
            f"{k}: {v}" for k, v in problems.items()), details=problems)


def save_rule(session: Session, *, rule_id: int | None, stage: str, kind: str, match: str = "",
              mode: str = "minutes", minutes: int | None = None, min_total: int | None = None,
              active: bool = True, actor: Actor) -> SlaRule:
    check_rule(stage=stage, kind=kind, match=match, mode=mode, minutes=minutes,
               min_total=min_total)
    rule = session.get(SlaRule, rule_id) if rule_id else None
    if rule_id and rule is None:
        raise InvalidInput(f"no SLA rule {rule_id}", details={"rule_id": rule_id})
    if rule is None:
        rule = SlaRule()
        session.add(rule)
    rule.stage, rule.kind, rule.match, rule.mode = stage, kind, match.strip(), mode
    rule.minutes = minutes if mode == "minutes" else None
    rule.min_total = min_total if kind == "high_value" else None
    rule.active, rule.updated_by, rule.updated_at = active, actor.name, clock.now()
    session.flush()
    audit.record(session, actor=actor, entity_type="sla_rule", entity_id=rule.id,
                 action="sla.rule_saved", after={"stage": stage, "kind": kind, "match": rule.match,
                                                 "mode": mode, "minutes": rule.minutes,
                                                 "min_total": rule.min_total, "active": active})
    return rule


def delete_rule(session: Session, *, rule_id: int, actor: Actor) -> None:
    rule = session.get(SlaRule, rule_id)
    if rule is None:
        raise InvalidInput(f"no SLA rule {rule_id}", details={"rule_id": rule_id})
    audit.record(session, actor=actor, entity_type="sla_rule", entity_id=rule_id,
                 action="sla.rule_deleted", before={"note": describe(rule), "stage": rule.stage})
    session.delete(rule)
    session.flush()


def install_defaults(session: Session, *, actor: Actor) -> int:
    """The default rules and warning share, when there are no rules at all; returns how many
    rules it added (0 when an installation has its own)."""
    if session.get(SlaSettings, 1) is None:
        session.add(SlaSettings(id=1, warn_share=DEFAULT_WARN_SHARE))
    if session.scalar(select(SlaRule.id).limit(1)) is not None:
        session.flush()
        return 0
    for stage, kind, match, mode, minutes, min_total in DEFAULT_RULES:
        session.add(SlaRule(stage=stage, kind=kind, match=match, mode=mode, minutes=minutes,
                            min_total=min_total, active=True, updated_at=clock.now(),
                            updated_by=actor.name))
    session.flush()
    return len(DEFAULT_RULES)


def set_warn_share(session: Session, *, share: float, actor: Actor) -> None:
    if not 0 < share < 1:
        raise InvalidInput("the warning share must be between 0 and 1 (e.g. 0.75)",
                           details={"warn_share": share})
    row = session.get(SlaSettings, 1)
    if row is None:
        session.add(SlaSettings(id=1, warn_share=share))
    else:
        row.warn_share = share
    audit.record(session, actor=actor, entity_type="sla_settings", entity_id=1,
                 action="sla.settings_saved", after={"warn_share": share})
    session.flush()
