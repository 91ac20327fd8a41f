"""JSON shapes of routing for the API (and the numbers the console shows)."""

from __future__ import annotations

from typing import Any

from orderhub.orders.models import Order
from orderhub.routing.models import (
    Backorder,
    ManualRouting,
    RegionRule,
    RoutingDecision,
)


def decision_dict(d: RoutingDecision) -> dict[str, Any]:
    return {"id": d.id, "outcome": d.outcome, "policy": d.policy, "reason": d.reason,
            "warehouse": d.warehouse_code, "shipments": d.shipments, "candidates": d.candidates,
            "weights": d.weights, "details": d.details,
            "actor": {"kind": d.actor_kind, "name": d.actor_name},
            "created_at": d.created_at.isoformat()}


def rule_dict(r: RegionRule) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "priority": r.priority, "provinces": list(r.provinces or []),
            "warehouse_code": r.warehouse_code, "enabled": r.enabled, "version": r.version,
            "updated_at": r.updated_at.isoformat()}


def manual_dict(entry: ManualRouting, order: Order) -> dict[str, Any]:
    return {"id": entry.id, "order_no": order.order_no, "order_status": order.status,
            "reason": entry.reason, "details": entry.details, "status": entry.status,
            "created_at": entry.created_at.isoformat(),
            "resolved_at": entry.resolved_at.isoformat() if entry.resolved_at else None,
            "resolved_by": entry.resolved_by, "resolution": entry.resolution,
            "warehouse": entry.warehouse_code}


def backorder_dict(entry: Backorder, order: Order, position: int | None = None) -> dict[str, Any]:
    return {"order_no": order.order_no, "order_status": order.status, "status": entry.status,
            "position": position, "vip": entry.vip, "paid_at": entry.paid_at.isoformat(),
            "queued_at": entry.queued_at.isoformat(), "skus": entry.skus,
            "promised_date": entry.promised_date.isoformat() if entry.promised_date else None,
            "attempts": entry.attempts}
