"""Recording routing decisions on the order, today's load per warehouse, and the manual queue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached

from orderhub.core import audit, clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.db import is_postgres
from orderhub.orders.models import Order
from orderhub.routing.models import DailyLoad, ManualRouting, RoutingDecision
from orderhub.routing.policy import Plan, Shipment
from orderhub.routing.situation import today

LOAD_SHARDS = 8
_LOAD = DailyLoad.__table__
_BUMP = {
    name: dialect.insert(_LOAD).on_conflict_do_update(
        index_elements=["warehouse_code", "day", "shard"],
        set_={"allocated": _LOAD.c.allocated + 1})
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


# The decision row is written with this Core statement rather than an ORM flush of a new object
# (the flush's bookkeeping for four JSON columns was a noticeable share of allocate()'s CPU).
_INSERT_DECISION = insert(RoutingDecision.__table__).returning(RoutingDecision.__table__.c.id)

_LATEST = (select(RoutingDecision).where(RoutingDecision.order_id == bindparam("order_id"))
           .order_by(RoutingDecision.id.desc()).limit(1))


def latest(session: Session, order_id: int) -> RoutingDecision | None:
    return session.scalar(_LATEST, {"order_id": order_id})


def history(session: Session, order_id: int, limit: int = 50) -> list[RoutingDecision]:
    return list(session.scalars(select(RoutingDecision).where(RoutingDecision.order_id == order_id)
                                .order_by(RoutingDecision.id.desc()).limit(limit)))


def plan_fields(plan: Plan, shipments: Sequence[Shipment] | None = None,
                weights: dict[str, float] | None = None) -> dict[str, Any]:
    """A Plan as the columns of a decision (shipments default to the plan's own)."""
    chosen = list(plan.shipments if shipments is None else shipments)
    details: dict[str, Any] = dict(plan.details)
    if plan.moves:
        details["moves"] = [m.as_dict() for m in plan.moves]
    if plan.promised_date:
        details["promised_date"] = plan.promised_date.isoformat()
    return {"policy": plan.policy, "reason": plan.reason,
            "warehouse": chosen[0].warehouse if chosen else plan.warehouse,
            "shipments": [{**s.as_dict(), "warehouse_id": s.warehouse_id} for s in chosen],
            "candidates": [c.as_dict() for c in plan.candidates], "weights": dict(weights or {}),
            "details": details}


def copy_fields(decision: RoutingDecision, **changes: Any) -> dict[str, Any]:
    fields = {"policy": decision.policy, "reason": decision.reason,
              "warehouse": decision.warehouse_code, "shipments": list(decision.shipments),
              "candidates": list(decision.candidates), "weights": dict(decision.weights),
              "details": dict(decision.details)}
    return {**fields, **changes}


def record(session: Session, *, order: Order, outcome: str, actor: Actor, policy: str,
           reason: str, warehouse: str | None, shipments: list[dict[str, Any]],
           candidates: list[dict[str, Any]], weights: dict[str, float],
           details: dict[str, Any]) -> RoutingDecision:
    """Store the decision, note its outcome on the order (attributes["routing"], for the next
    allocate and for other capabilities) and audit it."""
    values = {"order_id": order.id, "outcome": outcome, "policy": policy, "reason": reason,
              "warehouse_code": warehouse, "shipments": shipments, "candidates": candidates,
              "weights": weights, "details": details, "actor_kind": actor.kind,
              "actor_name": actor.name, "created_at": clock.now()}
    decision_id = session.connection().execute(_INSERT_DECISION, values).scalar_one()
    # The row exists now: the object joins the session as persistent (as if loaded), not new.
    decision = RoutingDecision(id=decision_id, **values)
    make_transient_to_detached(decision)
    session.add(decision)
    order.attributes = {**(order.attributes or {}), "routing": outcome}
    summary = {"outcome": outcome, "policy": policy, "reason": reason, "warehouse": warehouse}
    if len(shipments) > 1:
        summary["shipments"] = [s["warehouse"] for s in shipments]
    if details.get("promised_date"):
        summary["promised_date"] = details["promised_date"]
    audit.record(session, actor=actor, entity_type="order", entity_id=order.order_no,
                 action="routing.decided", after=summary)
    return decision


def count_allocation(session: Session, *, order: Order, codes: Sequence[str]) -> None:
    """One more order allocated today to each warehouse (the load factor reads the sum)."""
    stmt = _BUMP["postgresql" if is_postgres(session) else "sqlite"]
    # On the connection: this table has no ORM objects in play, so no autoflush is needed here.
    session.connection().execute(stmt, [{"warehouse_code": code, "day": today(), "shard": order.id % LOAD_SHARDS,
                            "allocated": 1} for code in dict.fromkeys(codes)])


def open_manual(session: Session, order_id: int) -> ManualRouting | None:
    return session.scalar(select(ManualRouting).where(ManualRouting.order_id == order_id,
                                                      ManualRouting.status == "open"))


def to_manual(session: Session, *, order: Order, reason: str, details: dict[str, Any],
              actor: Actor) -> tuple[ManualRouting, bool]:
    """Queue the order for a person (once: an open entry is updated); True when newly queued."""
    entry = open_manual(session, order.id)
    if entry is not None:
        entry.reason, entry.details = reason, details
        return entry, False
    entry = ManualRouting(order_id=order.id, reason=reason, details=details, status="open",
                          created_at=clock.now())
    session.add(entry)
    session.flush()
    outbox.emit(session, "order.routing_manual", aggregate_type="order", aggregate_id=order.id,
                actor=actor, payload={"order_no": order.order_no, "reason": reason,
                                      "details": details, "queue_id": entry.id})
    return entry, True


def close_manual(session: Session, *, order_id: int, actor: Actor, resolution: str,
                 warehouse: str | None = None) -> bool:
    result = session.execute(
        update(ManualRouting).where(ManualRouting.order_id == order_id,
                                    ManualRouting.status == "open")
        .values(status="resolved", resolved_at=clock.now(), resolved_by=actor.name,
                resolution=resolution, warehouse_code=warehouse)
        .execution_options(synchronize_session="fetch"))
    return bool(result.rowcount)


def manual_queue(session: Session, *, status: str = "open",
                 limit: int = 200) -> list[tuple[ManualRouting, Order]]:
    """Entries of the manual routing queue, oldest first."""
    stmt = (select(ManualRouting, Order).join(Order, Order.id == ManualRouting.order_id)
            .where(ManualRouting.status == status).order_by(ManualRouting.id).limit(limit))
    return [(entry, order) for entry, order in session.execute(stmt)]
