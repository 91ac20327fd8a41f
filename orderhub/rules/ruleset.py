"""The enabled rules, loaded and compiled once per process, never stale after an edit.

Loading and compiling the rules (ORM rows, rule-engine parsing, action validation) costs far more
than evaluating them, so the compiled set is kept per database. Every evaluation first reads a
stamp of the rules table in the caller's transaction — count, sum of versions, max id and max
updated_at, one aggregate over a table of a few hundred rows at most — and reuses the cached set
only when the stamp is the same. Every save of a rule (editing.py: create, update, enable,
disable, import) bumps a version, so any edit committed by any process, or made earlier in the
same transaction, changes the stamp. Rules are never deleted. Saving in this process also drops
the cache at once (so a database wiped and refilled with the same ids cannot be mistaken).

The same statement reads the carrier areas setting the context needs. An evaluation does not
send it alone: it is one subquery of the one statement that also reads the SKU facts and the
history the rules reference (lookup.py). Which history to read is decided from the set this
process last used (`latest`); the stamp in the same row then says whether that set is still
current, and if it is not, the current one is loaded and any history it needs beyond the
guess is read by a second statement. So a stale set is never run; a guess only saves a trip.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orderhub.core.models import Setting
from orderhub.rules import actions as act
from orderhub.rules import history
from orderhub.rules.context import CARRIER_SETTING, DEFAULT_CARRIER_AREAS
from orderhub.rules.expressions import Compiled, compile_condition
from orderhub.rules.models import Rule

log = logging.getLogger("orderhub.rules")
UPDATED = "order.updated"
CHANGES = frozenset({"order.address_changed", "order.remark_changed", "order.refund_changed",
                     "order.lines_changed"})
KEEP = 8  # stamps kept per database (transactions that see different rule states at once)


@dataclass(frozen=True)
class RuleRef:
    """What evaluation and the actions need of a rule (plain data, shared between sessions)."""

    id: int
    key: str
    name: str
    version: int
    severity: str
    priority: int
    triggers: frozenset[str]


@dataclass(frozen=True)
class Loaded:
    rule: RuleRef
    compiled: Compiled
    actions: list[Any]


@dataclass(frozen=True)
class Snapshot:
    rules: tuple[Loaded, ...]  # in run order: priority (higher first), then oldest
    by_trigger: dict[str, tuple[Loaded, ...]]
    parts: dict[str, frozenset[str]] = field(default_factory=dict)  # history parts, by trigger

    def for_trigger(self, trigger: str) -> tuple[Loaded, ...]:
        """Rules on "order.updated" listen to every kind of change (address, remark, …)."""
        found = self.by_trigger.get(trigger)
        if found is None:
            listening = {trigger, UPDATED} if trigger in CHANGES else {trigger}
            found = tuple(item for item in self.rules if listening & item.rule.triggers)
            self.by_trigger[trigger] = found
        return found

    def history_parts(self, trigger: str) -> frozenset[str]:
        """The parts of history.py that the rules for `trigger` read."""
        found = self.parts.get(trigger)
        if found is None:
            fields = frozenset().union(*(item.compiled.history_fields
                                         for item in self.for_trigger(trigger)))
            found = self.parts[trigger] = history.parts_for(fields)
        return found


_STAMP = select(func.count(Rule.id).label("rules"),
                func.coalesce(func.sum(Rule.version), 0).label("rule_versions"),
                func.max(Rule.id).label("last_rule"), func.max(Rule.updated_at).label("rules_at"),
                select(Setting.value).where(Setting.key == CARRIER_SETTING).scalar_subquery()
                .label("carrier_areas"))
STAMP_COLUMNS = ("rules", "rule_versions", "last_rule", "rules_at")
_cache: dict[str, dict[tuple, Snapshot]] = {}
_last: dict[str, Snapshot] = {}  # per database: the set the latest evaluation ran
_lock = threading.Lock()


def stamp_subquery():
    """The stamp and the carrier areas as a one-row subquery (columns STAMP_COLUMNS and
    "carrier_areas")."""
    return _STAMP.subquery("stamp")


def invalidate() -> None:
    """Forget every loaded rule set (called on every save of a rule in this process)."""
    with _lock:
        _cache.clear()
        _last.clear()


def current(session: Session) -> tuple[Snapshot, dict]:
    """The enabled rules as this transaction sees them, and the carrier areas setting."""
    session.flush()  # this transaction's own edits count (the statement skips the ORM layer)
    row = session.connection().execute(_STAMP).one()._mapping
    return for_stamp(session, row), areas_of(row["carrier_areas"])


def areas_of(value: dict | None) -> dict:
    return DEFAULT_CARRIER_AREAS if value is None else value


def latest(session: Session) -> Snapshot | None:
    """The rule set this process last found current for this database: a guess, to be checked
    against the stamp read in the same statement (for_stamp) before anything relies on it."""
    return _last.get(_database(session))


def for_stamp(session: Session, row: Any) -> Snapshot:
    """The rule set of the stamp in `row` (a row mapping read in this transaction), loaded if
    not cached."""
    count, versions, last_id, updated = (row[name] for name in STAMP_COLUMNS)
    stamp = (count, int(versions), last_id, updated)
    database = _database(session)
    with _lock:
        snapshot = _cache.get(database, {}).get(stamp)
    if snapshot is None:
        snapshot = _load(session)
        with _lock:
            kept = _cache.setdefault(database, {})
            if len(kept) >= KEEP:
                kept.pop(next(iter(kept)))
            kept[stamp] = snapshot
    _last[database] = snapshot
    return snapshot


def _database(session: Session) -> str:
    return str(session.get_bind().engine.url)


def _load(session: Session) -> Snapshot:
    rows = session.execute(select(Rule.id, Rule.key, Rule.name, Rule.version, Rule.severity,
                                  Rule.priority, Rule.triggers, Rule.condition, Rule.actions)
                           .where(Rule.enabled.is_(True))
                           .order_by(Rule.priority.desc(), Rule.id))
    loaded = []
    for row in rows:
        ref = RuleRef(id=row.id, key=row.key, name=row.name, version=row.version,
                      severity=row.severity, priority=row.priority,
                      triggers=frozenset(row.triggers or []))
        try:
            loaded.append(Loaded(ref, compile_condition(row.condition),
                                 act.parse_actions(row.actions)))
        except Exception as exc:  # noqa: BLE001 — a rule saved by an older version: skip, say so
            log.error("rule %s (%s) cannot run: %s", row.id, row.name, exc)
    return Snapshot(rules=tuple(loaded), by_trigger={})
