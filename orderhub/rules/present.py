"""Rules, firings, approvals and queue rows as plain dicts for the API (JSON contract)."""

from __future__ import annotations

from typing import Any

from orderhub.core.money import to_major
from orderhub.orders.present import hold_dict
from orderhub.rules.approvals import ApprovalRow
from orderhub.rules.exceptions import HoldRow
from orderhub.rules.models import Rule, RuleFiring, RuleVersion
from orderhub.rules.service import DryRun


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def rule_dict(rule: Rule) -> dict[str, Any]:
    return {"id": rule.id, "key": rule.key, "name": rule.name, "description": rule.description,
            "triggers": rule.triggers, "condition": rule.condition, "actions": rule.actions,
            "severity": rule.severity, "priority": rule.priority, "enabled": rule.enabled,
            "version": rule.version, "updated_at": _iso(rule.updated_at),
            "updated_by": rule.updated_by}


def version_dict(version: RuleVersion) -> dict[str, Any]:
    return {"version": version.version, "at": _iso(version.created_at), "by": version.created_by,
            "rule": version.snapshot}


def firing_dict(firing: RuleFiring) -> dict[str, Any]:
    return {"id": firing.id, "rule_id": firing.rule_id, "version": firing.rule_version,
            "trigger": firing.trigger, "severity": firing.severity, "saw": firing.saw,
            "did": firing.did, "at": _iso(firing.at)}


def dry_run_dict(result: DryRun) -> dict[str, Any]:
    return {"days": result.days, "checked": result.checked, "errors": result.errors,
            "matched_count": len(result.matched),
            "matched": [{"order_no": m.order_no, "status": m.status,
                         "created_at": _iso(m.created_at), "saw": m.saw, "would_do": m.would_do}
                        for m in result.matched]}


def approval_dict(row: ApprovalRow) -> dict[str, Any]:
    a, o = row.approval, row.order
    return {"id": a.id, "order_no": o.order_no, "order_status": o.status,
            "total": to_major(o.total, o.currency), "currency": o.currency, "role": a.role,
            "reason": a.reason, "on_reject": a.on_reject, "status": a.status,
            "comment": a.comment, "requested_at": _iso(a.requested_at),
            "decided_by": a.decided_by, "decided_at": _iso(a.decided_at), "rule_id": a.rule_id}


def queue_row_dict(row: HoldRow) -> dict[str, Any]:
    return {"hold": hold_dict(row.hold), "order_no": row.order.order_no,
            "channel": row.order.channel, "status": row.order.status,
            "total": to_major(row.order.total, row.order.currency),
            "currency": row.order.currency}
