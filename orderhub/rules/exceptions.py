"""The exception queue: open holds grouped by reason with counts, filtered, resolved in bulk."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orderhub.core.actor import Actor
from orderhub.core.errors import DomainError, InvalidInput
from orderhub.orders import holds
from orderhub.orders.models import Hold, Order, Shop


@dataclass(frozen=True)
class QueueFilter:
    reason_code: str | None = None
    channel: str | None = None
    shop: str | None = None
    raised_by_kind: str | None = None  # rule | user | api_key | system


@dataclass(frozen=True)
class HoldRow:
    hold: Hold
    order: Order


def _filtered(stmt, flt: QueueFilter):
    stmt = stmt.where(Hold.status == "open")
    if flt.channel:
        stmt = stmt.where(Order.channel == flt.channel)
    if flt.shop:
        stmt = stmt.where(Order.shop_id.in_(select(Shop.id).where(Shop.name == flt.shop)))
    if flt.raised_by_kind:
        stmt = stmt.where(Hold.raised_by_kind == flt.raised_by_kind)
    return stmt


def groups(session: Session, flt: QueueFilter = QueueFilter()) -> list[tuple[str, int]]:
    """(reason code, open holds) for every reason with open holds, largest first."""
    stmt = _filtered(select(Hold.reason_code, func.count()).join(Order, Order.id == Hold.order_id),
                     flt).group_by(Hold.reason_code).order_by(func.count().desc(), Hold.reason_code)
    return [(code, int(n)) for code, n in session.execute(stmt)]


def open_holds(session: Session, flt: QueueFilter = QueueFilter(), *, limit: int = 100,
               before_id: int | None = None) -> list[HoldRow]:
    """Open holds, newest first (keyset on the hold id)."""
    if not 1 <= limit <= 500:
        raise InvalidInput("limit must be between 1 and 500", details={"limit": limit})
    stmt = _filtered(select(Hold, Order).join(Order, Order.id == Hold.order_id), flt)
    if flt.reason_code:
        stmt = stmt.where(Hold.reason_code == flt.reason_code)
    if before_id:
        stmt = stmt.where(Hold.id < before_id)
    stmt = stmt.order_by(Hold.id.desc()).limit(limit)
    return [HoldRow(hold=h, order=o) for h, o in session.execute(stmt)]


@dataclass
class BulkResult:
    resolved: list[int]
    skipped: dict[int, str]  # hold id -> why (already resolved, unknown…)


def bulk_resolve(session: Session, *, hold_ids: list[int], resolution: str, actor: Actor) -> BulkResult:
    """Resolve each hold (orders whose last hold goes continue by themselves); holds that are
    gone or already resolved are reported, not failed, so one stale row does not block the rest."""
    resolution = resolution.strip()
    if not resolution:
        raise InvalidInput("say how the holds were resolved", details={"field": "resolution"})
    if not hold_ids or len(hold_ids) > 500:
        raise InvalidInput("choose between 1 and 500 holds", details={"field": "hold_ids"})
    result = BulkResult(resolved=[], skipped={})
    rows = dict(session.execute(select(Hold.id, Order.order_no).join(Order, Order.id == Hold.order_id)
                                .where(Hold.id.in_(sorted(set(hold_ids))))).all())
    for hold_id in sorted(set(hold_ids)):
        order_no = rows.get(hold_id)
        if order_no is None:
            result.skipped[hold_id] = "not_found"
            continue
        try:
            with session.begin_nested():
                holds.resolve_hold(session, order_no=order_no, hold_id=hold_id,
                                   resolution=resolution, actor=actor)
        except DomainError as exc:
            result.skipped[hold_id] = exc.code
            continue
        result.resolved.append(hold_id)
    return result
