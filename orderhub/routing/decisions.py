"""Recording routing decisions on the order, today's load per warehouse, and the manual queue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    String,
    bindparam,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from orderhub.core import audit, clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.db import JSONType, UTCDateTime, is_postgres
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order
from orderhub.orders.service import change_status
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
    audit.record(session, actor=actor, entity_type="order", entity_id=order.order_no,
                 action="routing.decided", after=_summary(values))
    return decision


def _summary(values: dict[str, Any]) -> dict[str, Any]:
    """The decision as its audit row tells it."""
    summary = {"outcome": values["outcome"], "policy": values["policy"],
               "reason": values["reason"], "warehouse": values["warehouse_code"]}
    if len(values["shipments"]) > 1:
        summary["shipments"] = [s["warehouse"] for s in values["shipments"]]
    if values["details"].get("promised_date"):
        summary["promised_date"] = values["details"]["promised_date"]
    return summary


# PostgreSQL, an order allocated: everything the allocation writes besides the reservation, in
# one round trip where the ORM path takes five (decision, today's load, then at the flush the
# order's UPDATE, the two audit rows and the event). Same rows, same values: the order's status
# change (orders.service.change_status, as transition() makes it) and the decision (as record()
# makes it), audit rows in the same order (status change, then decision).
_JSON = ("attributes", "s_before", "s_after", "d_before", "d_after", "payload", "event_actor",
         "shipments", "candidates", "weights", "details")
_PG_ALLOCATED = text("""
WITH o AS (
    UPDATE orders SET status = :status, held_from = :held_from, updated_at = :updated_at,
                      version = :version, attributes = :attributes
    WHERE id = :order_id RETURNING id),
d AS (
    INSERT INTO routing_decisions (order_id, outcome, policy, reason, warehouse_code, shipments,
                                   candidates, weights, details, actor_kind, actor_name, created_at)
    VALUES (:order_id, :outcome, :policy, :reason, :warehouse_code, :shipments, :candidates,
            :weights, :details, :actor_kind, :actor_name, :created_at) RETURNING id),
a AS (
    INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, entity_type, entity_id, action,
                           before, after)
    VALUES (:s_at, :actor_kind, :actor_id, :actor_name, :entity_type, :entity_id, :s_action,
            :s_before, :s_after),
           (:d_at, :actor_kind, :actor_id, :actor_name, :entity_type, :entity_id, :d_action,
            :d_before, :d_after)),
e AS (
    INSERT INTO outbox_events (topic, aggregate_type, aggregate_id, payload, actor, created_at,
                               status, attempts, available_at)
    VALUES (:topic, :aggregate_type, :aggregate_id, :payload, :event_actor, :event_at,
            'pending', 0, :event_at)),
l AS (
    INSERT INTO routing_daily_load (warehouse_code, day, shard, allocated)
    SELECT code, :day, :shard, 1 FROM unnest(:codes) AS code
    ON CONFLICT (warehouse_code, day, shard)
    DO UPDATE SET allocated = routing_daily_load.allocated + 1)
SELECT (SELECT id FROM d), (SELECT count(*) FROM o)
""").bindparams(
    *(bindparam(name, type_=JSONType) for name in _JSON),
    *(bindparam(name, type_=UTCDateTime()) for name in ("updated_at", "created_at", "s_at", "d_at",
                                                         "event_at")),
    bindparam("codes", type_=ARRAY(String)), bindparam("day", type_=Date()),
    bindparam("version", type_=Integer()), bindparam("shard", type_=Integer()))
_ORDER_COLUMNS = ("status", "held_from", "updated_at", "version", "attributes")


def record_allocated(session: Session, *, order: Order, actor: Actor, fields: dict[str, Any],
                     codes: Sequence[str], reason: str, payload: dict[str, Any]) -> RoutingDecision:
    """PostgreSQL: what transition(order -> allocated), record() of the decision, the order's
    new attributes and count_allocation() write, in one statement (_PG_ALLOCATED)."""
    # Whatever is pending (an event of the reservation, say) is written first, as a flush at
    # the end would have, so rows keep the order in which they were made.
    session.flush()
    change = change_status(order, lc.ALLOCATED, actor=actor, reason=reason, payload=payload)
    values = {"order_id": order.id, "outcome": "allocated", "policy": fields["policy"],
              "reason": fields["reason"], "warehouse_code": fields["warehouse"],
              "shipments": fields["shipments"], "candidates": fields["candidates"],
              "weights": fields["weights"], "details": fields["details"],
              "actor_kind": actor.kind, "actor_name": actor.name, "created_at": clock.now()}
    status_row = audit.row(**change.audit)
    decided_row = audit.row(actor=actor, entity_type="order", entity_id=order.order_no,
                            action="routing.decided", after=_summary(values))
    order.attributes = {**(order.attributes or {}), "routing": "allocated",
                        "allocated_warehouse": codes[0],
                        **({"split_warehouses": list(codes)} if len(codes) > 1 else {})}
    event_at = clock.now()
    params = {
        **values, **{name: getattr(order, name) for name in _ORDER_COLUMNS},
        "actor_id": status_row["actor_id"], "entity_type": status_row["entity_type"],
        "entity_id": status_row["entity_id"],
        "s_at": status_row["at"], "s_action": status_row["action"],
        "s_before": status_row["before"], "s_after": status_row["after"],
        "d_at": decided_row["at"], "d_action": decided_row["action"],
        "d_before": decided_row["before"], "d_after": decided_row["after"],
        "topic": change.topic, "aggregate_type": change.event["aggregate_type"],
        "aggregate_id": str(change.event["aggregate_id"]), "payload": change.event["payload"],
        "event_actor": actor.as_dict(), "event_at": event_at,
        "codes": list(dict.fromkeys(codes)), "day": today(), "shard": order.id % LOAD_SHARDS}
    decision_id, updated = session.connection().execute(_PG_ALLOCATED, params).one()
    if updated != 1:
        raise RuntimeError(f"order {order.id} vanished while being allocated")
    # The order's row holds these values now: the ORM is told so and will not write them again.
    for name in _ORDER_COLUMNS:
        set_committed_value(order, name, getattr(order, name))
    state = inspect(order)
    if not state.committed_state:
        # Nothing else changed (flushed above): the order is clean, as after a flush, so the
        # next flush skips it rather than walk the unit of work to find nothing (~0.5 ms).
        state._commit_all(state.dict, session.identity_map)
    decision = RoutingDecision(id=decision_id, **values)
    make_transient_to_detached(decision)
    session.add(decision)
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
