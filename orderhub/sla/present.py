"""JSON shapes of SLA rules, people, teams and an order's stage."""

from __future__ import annotations

from typing import Any

from orderhub.core import clock
from orderhub.core.money import to_major
from orderhub.sla.models import OrderSla, Person, SlaRule, Team
from orderhub.sla.policies import describe


def rule_dict(rule: SlaRule) -> dict[str, Any]:
    return {"id": rule.id, "stage": rule.stage, "kind": rule.kind, "match": rule.match,
            "mode": rule.mode, "minutes": rule.minutes,
            "min_total": to_major(rule.min_total, "CNY") if rule.min_total is not None else None,
            "active": rule.active, "note": describe(rule), "updated_by": rule.updated_by,
            "updated_at": rule.updated_at.isoformat() if rule.updated_at else None}


def team_dict(team: Team) -> dict[str, Any]:
    return {"id": team.id, "name": team.name, "stages": team.stages, "strategy": team.strategy,
            "manager_id": team.manager_id}


def person_dict(person: Person) -> dict[str, Any]:
    return {"id": person.id, "name": person.name, "user_id": person.user_id, "role": person.role,
            "phone": person.phone, "email": person.email, "wecom_userid": person.wecom_userid,
            "dingtalk_mobile": person.dingtalk_mobile, "team_id": person.team_id,
            "backup_id": person.backup_id, "supervisor_id": person.supervisor_id,
            "shift": person.shift, "active": person.active}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def sla_dict(row: OrderSla | None) -> dict[str, Any] | None:
    if row is None:
        return None
    remaining = None if row.closed_at else int((row.deadline - clock.now()).total_seconds())
    return {"stage": row.stage, "started_at": _iso(row.started_at), "deadline": _iso(row.deadline),
            "warn_at": _iso(row.warn_at), "warned_at": _iso(row.warned_at),
            "breached_at": _iso(row.breached_at), "closed_at": _iso(row.closed_at),
            "late": row.late, "seconds_left": remaining, "person_id": row.person_id,
            "team_id": row.team_id, "policy": row.policy_note}
