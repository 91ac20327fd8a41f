"""The enabled rules, loaded and compiled once per process, never stale after an edit.

Loading and compiling the rules (ORM rows, rule-engine parsing, action validation) costs far more
than evaluating them, so the compiled set is kept per database. Every evaluation first reads a
stamp of the rules table in the caller's transaction — count, sum of versions, max id and max
updated_at, one aggregate over a table of a few hundred rows at most — and reuses the cached set
only when the stamp is the same. Every save of a rule (editing.py: create, update, enable,
disable, import) bumps a version, so any edit committed by any process, or made earlier in the
same transaction, changes the stamp. Rules are never deleted. Saving in this process also drops
the cache at once (so a database wiped and refilled with the same ids cannot be mistaken).

The same statement reads the carrier areas setting the context needs, so an order none of the
rules match costs three statements in all: this one, the SKU facts, and the history.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orderhub.core.models import Setting
from orderhub.rules import actions as act
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

    def for_trigger(self, trigger: str) -> tuple[Loaded, ...]:
        """Rules on "order.updated" listen to every kind of change (address, remark, …)."""
        found = self.by_trigger.get(trigger)
        if found is None:
            listening = {trigger, UPDATED} if trigger in CHANGES else {trigger}
            found = tuple(item for item in self.rules if listening & item.rule.triggers)
            self.by_trigger[trigger] = found
        return found


_STAMP = select(func.count(Rule.id), func.coalesce(func.sum(Rule.version), 0), func.max(Rule.id),
                func.max(Rule.updated_at),
                select(Setting.value).where(Setting.key == CARRIER_SETTING).scalar_subquery())
_cache: dict[str, dict[tuple, Snapshot]] = {}
_lock = threading.Lock()


def invalidate() -> None:
    """Forget every loaded rule set (called on every save of a rule in this process)."""
    with _lock:
        _cache.clear()


def current(session: Session) -> tuple[Snapshot, dict]:
    """The enabled rules as this transaction sees them, and the carrier areas setting."""
    session.flush()  # this transaction's own edits count (the statement skips the ORM layer)
    count, versions, last_id, updated, areas = session.connection().execute(_STAMP).one()
    stamp = (count, int(versions), last_id, updated)
    database = str(session.get_bind().engine.url)
    with _lock:
        snapshot = _cache.get(database, {}).get(stamp)
    if snapshot is None:
        snapshot = _load(session)
        with _lock:
            kept = _cache.setdefault(database, {})
            if len(kept) >= KEEP:
                kept.pop(next(iter(kept)))
            kept[stamp] = snapshot
    return snapshot, (DEFAULT_CARRIER_AREAS if areas is None else areas)


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
