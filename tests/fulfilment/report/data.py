"""A hand-built week of parcels for the logistics report tests, with the figures worked out by
hand in EXPECTED (hours and rates). Period: 2026-11-01 .. 2026-11-07 in Asia/Shanghai, i.e.
[2026-10-31 16:00Z, 2026-11-07 16:00Z)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from orderhub.channels.tasks import SHIP_CONFIRM
from orderhub.core import clock, outbox
from orderhub.fulfilment.tracking.models import TrackedShipment
from orderhub.fulfilment.tracking.service import EXCEPTION_TOPIC
from orderhub.routing.models import RoutingDecision
from tests.builders import make_order

FIRST, LAST = "2026-11-01", "2026-11-07"
START, END = datetime(2026, 10, 31, 16, tzinfo=UTC), datetime(2026, 11, 7, 16, tzinfo=UTC)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


# name: carrier, warehouse(s) routed (last wins), shipped, delivered after hours, exception,
# write-back outcome(s) in order.
PARCELS: dict[str, dict[str, Any]] = {
    "P1": {"carrier": "ZTO", "routes": ["SH", "HZ"], "shipped": at(2, 2), "transit": 24, "wb": ["ok"]},
    "P2": {"carrier": "ZTO", "routes": ["HZ"], "shipped": at(3, 2), "transit": 48, "wb": ["failed"]},
    "P3": {"carrier": "ZTO", "routes": ["SH"], "shipped": at(4, 2), "exception": "returned", "wb": ["pending"]},
    "P4": {"carrier": "SF", "routes": ["HZ"], "shipped": at(5, 2), "transit": 12, "wb": ["ok"]},
    "P5": {"carrier": "SF", "routes": [], "shipped": at(6, 2), "exception": "stale", "wb": ["none"]},
    "P6": {"carrier": "ZTO", "routes": ["HZ"], "shipped": at(6, 3), "transit": 36,
           "exception": "event", "wb": ["failed", "ok"]},
    "E1": {"carrier": "ZTO", "routes": ["HZ"], "shipped": START, "transit": 30, "wb": ["ok"]},  # first instant
    "E2": {"carrier": "ZTO", "routes": ["HZ"], "shipped": END, "transit": 1, "wb": ["ok"]},  # next day: out
    "E3": {"carrier": "YTO", "routes": ["HZ"], "shipped": START - timedelta(seconds=1), "wb": ["ok"]},  # out
}

_ROW = ("shipped", "delivered", "delivered_rate", "avg_transit_hours", "median_transit_hours",
        "exceptions", "exception_rate", "writeback_ok", "writeback_failed", "writeback_pending",
        "writeback_rate")


def _expect(*values: Any) -> dict[str, Any]:
    return dict(zip(_ROW, values, strict=True))


EXPECTED = {
    "carrier": {
        ("ZTO", None): _expect(5, 4, 0.8, 34.5, 33.0, 2, 0.4, 3, 1, 1, 0.6),
        ("SF", None): _expect(2, 1, 0.5, 12.0, 12.0, 1, 0.5, 1, 0, 0, 1.0),
    },
    "warehouse": {
        (None, "HZ"): _expect(5, 5, 1.0, 30.0, 30.0, 1, 0.2, 4, 1, 0, 0.8),
        (None, "SH"): _expect(1, 0, 0.0, None, None, 1, 1.0, 0, 0, 1, 0.0),
        (None, ""): _expect(1, 0, 0.0, None, None, 1, 1.0, 0, 0, 0, None),
    },
    "both": {
        ("ZTO", "HZ"): _expect(4, 4, 1.0, 34.5, 33.0, 1, 0.25, 3, 1, 0, 0.75),
        ("ZTO", "SH"): _expect(1, 0, 0.0, None, None, 1, 1.0, 0, 0, 1, 0.0),
        ("SF", "HZ"): _expect(1, 1, 1.0, 12.0, 12.0, 0, 0.0, 1, 0, 0, 1.0),
        ("SF", ""): _expect(1, 0, 0.0, None, None, 1, 1.0, 0, 0, 0, None),
    },
    "total": _expect(7, 5, round(5 / 7, 4), 30.0, 30.0, 3, round(3 / 7, 4), 4, 1, 1, round(4 / 6, 4)),
}


def build_week(session: Session) -> dict[str, int]:
    """The parcels above, their orders, routing decisions and outbox events; name -> order id."""
    ids = {}
    for n, (name, p) in enumerate(PARCELS.items()):
        order = make_order(session)
        ids[name] = order.id
        for warehouse in p["routes"]:
            session.add(RoutingDecision(order_id=order.id, outcome="allocated", policy="rule",
                                        reason="test", warehouse_code=warehouse, actor_kind="system",
                                        actor_name="test", created_at=clock.now()))
            session.flush()  # ids in insertion order: the last one is the latest decision
        shipped = p["shipped"]
        parcel = TrackedShipment(order_id=order.id, carrier=p["carrier"], company="x",
                                 tracking_no=f"{p['carrier']}{n:010d}", sealed_salt="-", shipped_at=shipped)
        if "transit" in p:
            parcel.delivered_at = shipped + timedelta(hours=p["transit"])
        if p.get("exception") == "returned":
            parcel.exception_at, parcel.exception_reason = shipped + timedelta(days=2), "快递退回"
        if p.get("exception") == "stale":
            parcel.stale_alerted_at = shipped + timedelta(hours=49)
        session.add(parcel)
        if p.get("exception") == "event":  # the 48 h mark was cleared by a later scan; the event stays
            outbox.emit(session, EXCEPTION_TOPIC, aggregate_type="order", aggregate_id=order.id)
        for outcome in p["wb"]:
            _writeback(session, order.id, outcome)
    session.flush()
    return ids


def _writeback(session: Session, order_id: int, outcome: str) -> None:
    request = outbox.emit(session, SHIP_CONFIRM, aggregate_type="order", aggregate_id=order_id)
    request.status = "pending" if outcome == "pending" else "done"
    if outcome in ("ok", "failed"):
        topic = "channel.ship_confirmed" if outcome == "ok" else "channel.ship_confirm_failed"
        outbox.emit(session, topic, aggregate_type="order", aggregate_id=order_id).status = "done"
