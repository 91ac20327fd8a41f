"""JSON shapes of alerts for the API (the console renders the same objects)."""

from __future__ import annotations

from typing import Any

from orderhub.alerts.models import Alert, AlertDelivery, AlertLog


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def alert_dict(alert: Alert) -> dict[str, Any]:
    return {"id": alert.id, "kind": alert.kind, "severity": alert.severity,
            "status": alert.status, "title": alert.title, "body": alert.body,
            "subject_type": alert.subject_type, "subject_id": alert.subject_id,
            "cause_key": alert.cause_key, "person_id": alert.person_id, "team_id": alert.team_id,
            "step": alert.step, "next_step_at": _iso(alert.next_step_at),
            "created_at": _iso(alert.created_at), "acknowledged_at": _iso(alert.acknowledged_at),
            "acknowledged_by": alert.acknowledged_by, "ack_via": alert.ack_via,
            "reassigned_to": alert.reassigned_to}


def delivery_dict(d: AlertDelivery) -> dict[str, Any]:
    return {"id": d.id, "step": d.step, "channel": d.channel, "person_id": d.person_id,
            "recipient": d.recipient, "status": d.status, "attempts": d.attempts,
            "error": d.error, "not_before": _iso(d.not_before), "created_at": _iso(d.created_at),
            "sent_at": _iso(d.sent_at)}


def log_dict(entry: AlertLog) -> dict[str, Any]:
    return {"at": _iso(entry.at), "action": entry.action, "actor": entry.actor,
            "details": entry.details}


def detail_dict(alert: Alert, deliveries: list[AlertDelivery],
                log: list[AlertLog]) -> dict[str, Any]:
    return {**alert_dict(alert), "deliveries": [delivery_dict(d) for d in deliveries],
            "log": [log_dict(e) for e in log]}
