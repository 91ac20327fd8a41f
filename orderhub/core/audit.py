"""Audit log: who changed what, when, with the values before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.core.actor import Actor
from orderhub.core.models import AuditEntry, Setting


def record(session: Session, *, actor: Actor, entity_type: str, entity_id: object, action: str,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditEntry:
    entry = AuditEntry(**row(actor=actor, entity_type=entity_type, entity_id=entity_id,
                             action=action, before=before, after=after))
    session.add(entry)
    return entry


def row(*, actor: Actor, entity_type: str, entity_id: object, action: str,
        before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> dict[str, Any]:
    """The columns of the audit row record() adds, for a caller that inserts it itself (in one
    statement with rows of its own: routing's allocation on PostgreSQL)."""
    return {"at": clock.now(), "actor_kind": actor.kind, "actor_id": actor.id,
            "actor_name": actor.name, "entity_type": entity_type, "entity_id": str(entity_id),
            "action": action, "before": before, "after": after}


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the keys whose value differs, so audit rows say what changed rather than everything."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def history(session: Session, entity_type: str, entity_id: object) -> list[AuditEntry]:
    stmt = (select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.id))
    return list(session.scalars(stmt))


def get_setting(session: Session, key: str, default: Any = None) -> Any:
    row = session.get(Setting, key)
    return default if row is None else row.value


def put_setting(session: Session, *, actor: Actor, key: str, value: Any) -> None:
    row = session.get(Setting, key)
    before = None if row is None else {"value": row.value}
    if row is None:
        session.add(Setting(key=key, value=value, updated_at=clock.now()))
    else:
        row.value = value
        row.updated_at = clock.now()
    record(session, actor=actor, entity_type="setting", entity_id=key, action="setting.changed",
           before=before, after={"value": value})
