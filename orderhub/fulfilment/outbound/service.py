"""The outbound scan (SPEC §8): what a USB scanner typed → the order → shipped, or a clear no.

One scan is one transaction: the code is resolved (tracking number, order number, platform
order id), the order row is locked (`FOR UPDATE`, so two scans of one parcel at two doors
serialise and the second sees `shipped`), checked, and shipped through
`fulfilment.shipping.ship_order`. Whatever happens, the scan is written to the scan log in the
same transaction. A wrong scan is a normal answer (`ok=False` and a `kind` the page turns into
a sound), never an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.core.actor import Actor
from orderhub.core.errors import Conflict
from orderhub.core.models import OutboxEvent
from orderhub.core.settings import get_settings
from orderhub.fulfilment.carriers.models import Waybill
from orderhub.fulfilment.carriers.service import current_waybill
from orderhub.fulfilment.outbound.models import ScanLog
from orderhub.fulfilment.shipping import NoTrackingNumber, ship_order
from orderhub.inventory.errors import NothingReserved
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order, Shop
from orderhub.orders.service import get_order

KINDS = ("shipped", "unknown", "already_shipped", "on_hold", "cancelled", "refund", "not_printed",
         "voided_waybill", "not_ready", "ambiguous", "empty", "invalid")
MAX_CODE = 64  # longer than any tracking or order number: a scanner gone wrong, or a pasted text
CODE_CHARS = re.compile(r"[0-9A-Za-z._/#-]+")
WHITESPACE = re.compile(r"\s+")
# A second scan of a parcel within this window is the same parcel scanned twice, not a mix-up.
TWICE_WINDOW = timedelta(minutes=10)
BLOCKING_REFUNDS = frozenset({"requested", "refunding", "refunded"})
DONE = frozenset({lc.SHIPPED, lc.DELIVERED, lc.COMPLETED})
GONE = frozenset({lc.CANCELLED, lc.CLOSED})
LOG_CODE = 200
MAX_STATION = 60


@dataclass(frozen=True)
class ScanResult:
    """What the door shows and sounds. `message_key` + `params` are i18n (web/i18n.py)."""

    ok: bool
    kind: str
    message_key: str
    params: dict[str, Any] = field(default_factory=dict)
    code: str = ""
    order_no: str = ""
    status: str = ""
    carrier: str = ""
    tracking_no: str = ""
    receiver: str = ""  # masked: the door needs no more than the first character
    items: str = ""
    candidates: list[dict[str, str]] = field(default_factory=list)
    holds: list[dict[str, str]] = field(default_factory=list)
    shipped_at: datetime | None = None
    shipped_by: str = ""
    scan_id: int | None = None
    scanned_at: datetime | None = None


@dataclass(frozen=True)
class _Found:
    order_ids: list[int]
    waybill: Waybill | None = None  # the waybill the code named, issued or void


def scan(session: Session, *, code: str, actor: Actor, station: str | None = None) -> ScanResult:
    """Resolve, check and ship one scanned code; log the scan whatever the outcome."""
    station = (station or "").strip()[:MAX_STATION]
    cleaned, problem = normalize(code)
    if problem is not None:
        result = ScanResult(ok=False, kind=problem, message_key=f"scan.msg.{problem}", code=cleaned)
        return _log(session, result, typed=code, order_id=None, actor=actor, station=station)
    found = _find(session, cleaned)
    if not found.order_ids:
        result = ScanResult(ok=False, kind="unknown", message_key="scan.msg.unknown",
                            params={"code": cleaned}, code=cleaned)
        return _log(session, result, typed=code, order_id=None, actor=actor, station=station)
    if len(found.order_ids) > 1:
        result = _ambiguous(session, found.order_ids, cleaned)
        return _log(session, result, typed=code, order_id=None, actor=actor, station=station)
    order = _lock(session, found.order_ids[0])
    result = _decide(session, order, found, actor=actor)
    result = replace(result, code=cleaned, order_no=order.order_no, status=order.status,
                     receiver=result.receiver or mask_name(order.receiver_name),
                     items=result.items or item_summary(order))
    return _log(session, result, typed=code, order_id=order.id, actor=actor, station=station)


def normalize(code: str) -> tuple[str, str | None]:
    """The code without the scanner's whitespace (leading, trailing, the Enter), or why not.
    No identifier has spaces, so inner whitespace goes too."""
    cleaned = WHITESPACE.sub("", code or "")
    if not cleaned:
        return "", "empty"
    if len(cleaned) > MAX_CODE or not CODE_CHARS.fullmatch(cleaned):
        return printable(cleaned)[:MAX_CODE], "invalid"
    return cleaned, None


def printable(text: str) -> str:
    """Control characters escaped, so the log shows what the scanner really sent."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def recent_scans(session: Session, *, station: str | None = None, actor: str | None = None,
                 limit: int = 20) -> list[ScanLog]:
    """The newest scans, of one station when given, else of one person when given."""
    stmt = select(ScanLog).order_by(ScanLog.id.desc()).limit(max(1, min(limit, 500)))
    if station:
        stmt = stmt.where(ScanLog.station == station.strip()[:MAX_STATION])
    elif actor:
        stmt = stmt.where(ScanLog.actor == actor)
    return list(session.scalars(stmt))


def mask_name(name: str) -> str:
    name = (name or "").strip()
    return f"{name[0]}{'*' * min(max(len(name) - 1, 1), 3)}" if name else ""


def item_summary(order: Order, *, at_most: int = 3) -> str:
    parts = [f"{line.title or line.sku or line.platform_sku} ×{line.quantity}"
             for line in order.lines[:at_most]]
    more = len(order.lines) - at_most
    return "; ".join(parts) + (f" (+{more})" if more > 0 else "")


def _find(session: Session, code: str) -> _Found:
    """Tracking number first (what is on the label), then order number, then platform id."""
    candidates = sorted({code, code.upper()})
    waybills = list(session.scalars(select(Waybill).where(Waybill.tracking_no.in_(candidates))
                                    .order_by(Waybill.id.desc())))
    issued = [w for w in waybills if w.status == "issued"]
    if issued:
        return _Found(sorted({w.order_id for w in issued}), issued[0])
    if waybills:
        return _Found([waybills[0].order_id], waybills[0])
    by_no = list(session.scalars(select(Order.id).where(Order.order_no.in_(candidates))))
    if by_no:
        return _Found(by_no)
    by_platform = session.scalars(select(Order.id).where(Order.platform_order_id.in_(candidates))
                                  .order_by(Order.id).limit(20))
    return _Found(list(by_platform))


def _lock(session: Session, order_id: int) -> Order:
    """The order row locked for the rest of the scan: a concurrent scan of the same parcel waits
    here and then reads the status this one committed."""
    order_no = session.scalar(select(Order.order_no).where(Order.id == order_id))
    return get_order(session, order_no or "", for_update=True)


def _decide(session: Session, order: Order, found: _Found, *, actor: Actor) -> ScanResult:
    if found.waybill is not None and found.waybill.status != "issued" and order.status not in GONE:
        return _voided(session, order, found.waybill)
    if order.status in DONE:
        return _already_shipped(session, order)
    if order.status in GONE:
        return _no(order, "cancelled", "scan.msg.cancelled")
    refunding = sorted({line.refund_status for line in order.lines
                        if line.refund_status in BLOCKING_REFUNDS})
    if refunding:
        return _no(order, "refund", "scan.msg.refund", refund=", ".join(refunding))
    if order.status == lc.ON_HOLD:
        holds = [{"code": h.reason_code, "reason": h.reason or h.reason_code}
                 for h in order.holds if h.status == "open"]
        reasons = "; ".join(h["reason"] for h in holds)
        return replace(_no(order, "on_hold", "scan.msg.on_hold", reasons=reasons), holds=holds)
    if order.status == lc.ALLOCATED:
        return _no(order, "not_printed", "scan.msg.not_printed")
    if order.status != lc.LABEL_PRINTED:
        return _no(order, "not_ready", "scan.msg.not_ready", status=order.status)
    return _ship(session, order, actor=actor)


def _ship(session: Session, order: Order, *, actor: Actor) -> ScanResult:
    """Ship in a savepoint: a refusal half-way leaves nothing behind but the scan's log row."""
    try:
        with session.begin_nested():
            shipped = ship_order(session, order, actor=actor, via="scan")
    except NoTrackingNumber:
        return _no(order, "not_printed", "scan.msg.not_printed")
    except NothingReserved:
        return _no(order, "not_ready", "scan.msg.no_reservation")
    except Conflict:  # e.g. IllegalTransition: the lifecycle said no
        session.refresh(order)
        return _no(order, "not_ready", "scan.msg.not_ready", status=order.status)
    return ScanResult(ok=True, kind="shipped", message_key="scan.msg.shipped",
                      params={"order_no": shipped.order_no, "carrier": shipped.carrier,
                              "tracking_no": shipped.tracking_no},
                      carrier=shipped.carrier, tracking_no=shipped.tracking_no,
                      shipped_at=clock.now(), shipped_by=actor.name)


def _no(order: Order, kind: str, key: str, **params: Any) -> ScanResult:
    return ScanResult(ok=False, kind=kind, message_key=key,
                      params={"order_no": order.order_no, **params})


def _voided(session: Session, order: Order, dead: Waybill) -> ScanResult:
    """A voided label in hand: say which label is good now, or that one must be printed."""
    current = current_waybill(session, order.id)
    if current is not None:
        result = _no(order, "voided_waybill", "scan.msg.voided_current", voided=dead.tracking_no,
                     current=current.tracking_no)
        return replace(result, carrier=current.carrier, tracking_no=current.tracking_no)
    return replace(_no(order, "voided_waybill", "scan.msg.voided_reprint", voided=dead.tracking_no),
                   carrier=dead.carrier)


def _already_shipped(session: Session, order: Order) -> ScanResult:
    """When and by whom; a scan of the same parcel minutes ago is "scanned twice"."""
    last = session.scalar(select(ScanLog).where(ScanLog.order_id == order.id, ScanLog.ok.is_(True))
                          .order_by(ScanLog.id.desc()).limit(1))
    if last is not None:
        at, by, tracking_no = last.scanned_at, last.actor, last.tracking_no
        ago = clock.now() - at
        if ago <= TWICE_WINDOW:
            result = _no(order, "already_shipped", "scan.msg.scanned_twice", by=by,
                         minutes=max(0, int(ago.total_seconds() // 60)), when=_local(at))
            return replace(result, shipped_at=at, shipped_by=by, tracking_no=tracking_no)
    else:
        event = session.scalar(select(OutboxEvent).where(
            OutboxEvent.topic == "order.shipped", OutboxEvent.aggregate_type == "order",
            OutboxEvent.aggregate_id == str(order.id)).order_by(OutboxEvent.id.desc()).limit(1))
        at = event.created_at if event else None
        by = str((event.actor or {}).get("name", "")) if event else ""
        tracking_no = str((event.payload or {}).get("tracking_no") or "") if event else ""
    result = _no(order, "already_shipped", "scan.msg.already_shipped", by=by or "?",
                 when=_local(at) if at else "?")
    return replace(result, shipped_at=at, shipped_by=by, tracking_no=tracking_no)


def _ambiguous(session: Session, order_ids: list[int], code: str) -> ScanResult:
    rows = session.execute(select(Order.order_no, Shop.name, Order.status)
                           .join(Shop, Shop.id == Order.shop_id)
                           .where(Order.id.in_(order_ids)).order_by(Order.id)).all()
    candidates = [{"order_no": no, "shop": shop, "status": status} for no, shop, status in rows]
    listed = ", ".join(f"{c['order_no']} ({c['shop']})" for c in candidates)
    return ScanResult(ok=False, kind="ambiguous", message_key="scan.msg.ambiguous",
                      params={"code": code, "count": len(candidates), "orders": listed},
                      code=code, candidates=candidates)


def _local(at: datetime) -> str:
    return at.astimezone(ZoneInfo(get_settings().timezone)).strftime("%m-%d %H:%M")


def _log(session: Session, result: ScanResult, *, typed: str, order_id: int | None,
         actor: Actor, station: str) -> ScanResult:
    shown = WHITESPACE.sub("", typed or "") or typed or ""
    row = ScanLog(code=printable(shown)[:LOG_CODE], kind=result.kind, ok=result.ok,
                  order_id=order_id, order_no=result.order_no,
                  tracking_no=result.tracking_no[:40], actor=actor.name[:200], station=station,
                  scanned_at=clock.now())
    session.add(row)
    session.flush()
    return replace(result, scan_id=row.id, scanned_at=row.scanned_at)
