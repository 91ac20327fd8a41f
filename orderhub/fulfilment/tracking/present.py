"""Tracking as JSON for the API."""

from __future__ import annotations

from typing import Any

from orderhub.fulfilment.tracking.kuaidi100 import STATE_NAMES
from orderhub.fulfilment.tracking.models import TrackedShipment, TrackingEvent
from orderhub.fulfilment.tracking.service import Applied


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def shipment_dict(s: TrackedShipment) -> dict[str, Any]:
    return {"carrier": s.carrier, "company": s.company, "tracking_no": s.tracking_no,
            "subscription": s.subscription, "subscribed_at": _iso(s.subscribed_at),
            "state": s.state, "state_name": STATE_NAMES.get(s.state or ""),
            "shipped_at": _iso(s.shipped_at), "first_scan_at": _iso(s.first_scan_at),
            "last_event_at": _iso(s.last_event_at), "delivered_at": _iso(s.delivered_at),
            "exception_reason": s.exception_reason, "exception_at": _iso(s.exception_at)}


def event_dict(e: TrackingEvent) -> dict[str, Any]:
    return {"tracking_no": e.tracking_no, "time": _iso(e.time), "context": e.context,
            "status": e.status, "area": e.area, "state": e.state}


def tracking_dict(order_no: str, shipments: list[TrackedShipment],
                  events: list[TrackingEvent]) -> dict[str, Any]:
    return {"order_no": order_no, "shipments": [shipment_dict(s) for s in shipments],
            "events": [event_dict(e) for e in events]}


def applied_dict(a: Applied) -> dict[str, Any]:
    return {"tracking_no": a.tracking_no, "new_scans": a.new_scans, "first_scan": a.first_scan,
            "delivered": a.delivered, "exception": a.exception}
