"""SKU mapping use cases: look up (the intake pipeline), map, unmap, and the lists people work from.

Which internal SKU a line gets, best first: a mapping for the order's shop, a mapping for every
shop, then the identity (the platform SKU is one of our codes). Mapping a SKU also fills the
waiting lines of open orders and resolves their `unmapped_sku` holds, so those orders go on by
themselves (resolving the last hold emits order.released, which routing allocates on).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from orderhub.channels.sku_mapping.models import SkuMapping
from orderhub.core import audit, clock
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput, NotFound
from orderhub.inventory.catalog import sku_info
from orderhub.inventory.errors import UnknownSku
from orderhub.inventory.models import Sku
from orderhub.orders import lifecycle as lc
from orderhub.orders.holds import open_holds, resolve_hold
from orderhub.orders.models import Order, OrderLine, Shop
from orderhub.orders.service import find_shop
from orderhub.rules.service import evaluate

HOLD_REASON = "unmapped_sku"  # the default rule pack's hold (rules/pack.py, "unmapped-sku")
# Orders whose lines may still change SKU: not yet shipped, cancelled or closed.
OPEN_STATUSES = (lc.PENDING_PAYMENT, lc.PAID, lc.ON_HOLD, lc.ALLOCATED, lc.AWAITING_STOCK,
                 lc.LABEL_PRINTED)
MAX_CODE = 120


def _resolve_statement():
    # One round trip for the whole order on the intake hot path: the mappings for this shop
    # (rank 0) or every shop (rank 1), and our own SKU codes (rank 2, the identity). The catalog
    # is read directly here rather than through inventory.catalog.sku_info to save that query.
    codes, shop_id = bindparam("codes", expanding=True), bindparam("shop_id")
    m, s = SkuMapping.__table__, Sku.__table__
    mapped = (select(m.c.platform_sku, m.c.sku, case((m.c.shop_id.is_(None), 1), else_=0))
              .where(m.c.platform_sku.in_(codes), or_(m.c.shop_id == shop_id, m.c.shop_id.is_(None))))
    identity = select(s.c.code, s.c.code, literal(2)).where(s.c.code.in_(codes))
    return union_all(mapped, identity)


_RESOLVE = _resolve_statement()


def resolve_skus(session: Session, *, shop_id: int, platform_skus: Iterable[str]) -> dict[str, str]:
    """platform SKU -> our SKU code for those that map (shop's mapping, then all shops', then
    identity); unmapped ones are absent."""
    wanted = sorted(set(platform_skus))
    if not wanted:
        return {}
    best: dict[str, tuple[int, str]] = {}
    for platform_sku, sku, rank in session.execute(_RESOLVE, {"codes": wanted, "shop_id": shop_id}):
        if platform_sku not in best or rank < best[platform_sku][0]:
            best[platform_sku] = (rank, sku)
    return {platform_sku: sku for platform_sku, (_, sku) in best.items()}


@dataclass
class Mapped:
    mapping: SkuMapping
    created: bool
    lines: int = 0  # waiting lines that got the SKU now
    released: list[str] = field(default_factory=list)  # orders whose unmapped_sku holds were resolved


def _code(value: str | None, name: str) -> str:
    text = (value or "").strip()
    if not text or len(text) > MAX_CODE:
        raise InvalidInput(f"{name} must be 1 to {MAX_CODE} characters", details={"field": name})
    return text


def _shop(session: Session, name: str | None) -> Shop | None:
    return find_shop(session, name.strip()) if name and name.strip() else None


def _find(session: Session, platform_sku: str, shop_id: int | None) -> SkuMapping | None:
    shop_match = SkuMapping.shop_id.is_(None) if shop_id is None else SkuMapping.shop_id == shop_id
    return session.scalar(select(SkuMapping).where(SkuMapping.platform_sku == platform_sku, shop_match))


def _label(platform_sku: str, shop: Shop | None) -> str:
    return f"{shop.name if shop else '*'}/{platform_sku}"


def map_sku(session: Session, *, platform_sku: str, sku: str, shop: str | None = None,
            actor: Actor) -> Mapped:
    """Map `platform_sku` (in `shop`, or in every shop) to our SKU `sku`, then fill the lines of
    open orders that wait for it and release the orders that have nothing unmapped left."""
    platform_sku, sku = _code(platform_sku, "platform_sku"), _code(sku, "sku")
    if not sku_info(session, [sku]):
        raise UnknownSku(f"no SKU with code {sku!r}: create it first (商品 page or `orderhub skus import`)",
                         details={"field": "sku", "sku": sku})
    target = _shop(session, shop)
    shop_id = target.id if target else None
    mapping, created, before = _upsert(session, platform_sku=platform_sku, sku=sku, shop_id=shop_id,
                                       actor=actor)
    audit.record(session, actor=actor, entity_type="sku_mapping", entity_id=_label(platform_sku, target),
                 action="sku_mapping.created" if created else "sku_mapping.updated",
                 before=None if created else {"sku": before},
                 after={"platform_sku": platform_sku, "shop": target.name if target else None, "sku": sku})
    result = Mapped(mapping=mapping, created=created)
    _apply(session, result, platform_sku=platform_sku, shop_id=shop_id, actor=actor)
    return result


def _upsert(session: Session, *, platform_sku: str, sku: str, shop_id: int | None,
            actor: Actor) -> tuple[SkuMapping, bool, str | None]:
    mapping = _find(session, platform_sku, shop_id)
    if mapping is None:
        mapping = SkuMapping(platform_sku=platform_sku, shop_id=shop_id, sku=sku, created_at=clock.now(),
                             created_by=actor.name, updated_at=clock.now(), updated_by=actor.name)
        try:
            with session.begin_nested():  # a concurrent insert of the same key becomes an update
                session.add(mapping)
        except IntegrityError:
            mapping = _find(session, platform_sku, shop_id)
            if mapping is None:
                raise
        else:
            return mapping, True, None
    before = mapping.sku
    mapping.sku, mapping.updated_at, mapping.updated_by = sku, clock.now(), actor.name
    session.flush()
    return mapping, False, before


def _waiting_orders(session: Session, *, platform_sku: str, shop_id: int | None) -> list[Order]:
    """Open orders with a line of `platform_sku` still without a SKU, locked in id order. An
    all-shops mapping skips shops that have their own mapping for this platform SKU."""
    waiting = select(OrderLine.order_id).where(OrderLine.sku.is_(None), OrderLine.platform_sku == platform_sku)
    stmt = select(Order).where(Order.id.in_(waiting), Order.status.in_(OPEN_STATUSES))
    if shop_id is not None:
        stmt = stmt.where(Order.shop_id == shop_id)
    else:
        own = exists().where(SkuMapping.platform_sku == platform_sku, SkuMapping.shop_id == Order.shop_id)
        stmt = stmt.where(~own)
    stmt = stmt.order_by(Order.id).options(selectinload(Order.lines), selectinload(Order.holds))
    return list(session.scalars(stmt.with_for_update(of=Order)))


def _apply(session: Session, result: Mapped, *, platform_sku: str, shop_id: int | None,
           actor: Actor) -> None:
    sku = result.mapping.sku
    for order in _waiting_orders(session, platform_sku=platform_sku, shop_id=shop_id):
        filled = [line for line in order.lines if line.sku is None and line.platform_sku == platform_sku]
        for line in filled:
            line.sku = sku
        result.lines += len(filled)
        audit.record(session, actor=actor, entity_type="order", entity_id=order.order_no,
                     action="lines.sku_mapped",
                     after={"platform_sku": platform_sku, "sku": sku, "line_nos": [x.line_no for x in filled]})
        if any(line.sku is None for line in order.lines):
            continue  # another line still waits for its own mapping: the hold stays
        # Rules that read SKU attributes (presale, purchase-limited…) could not see these lines
        # at intake: they see them now, before the order is let go.
        evaluate(session, order=order, trigger="order.lines_changed", actor=actor)
        holds = [h for h in open_holds(order) if h.reason_code == HOLD_REASON]
        for hold in holds:
            resolve_hold(session, order_no=order.order_no, hold_id=hold.id, actor=actor,
                         resolution=f"商品已对应 SKU mapped: {platform_sku} → {sku}")
        if holds:
            result.released.append(order.order_no)
    session.flush()


def unmap(session: Session, *, platform_sku: str, shop: str | None = None, actor: Actor) -> None:
    """Remove a mapping. Lines that already carry the SKU keep it; new orders no longer map."""
    platform_sku = _code(platform_sku, "platform_sku")
    target = _shop(session, shop)
    mapping = _find(session, platform_sku, target.id if target else None)
    if mapping is None:
        raise NotFound(f"no mapping for {platform_sku!r} in {target.name if target else 'every shop'}",
                       details={"platform_sku": platform_sku, "shop": shop})
    _remove(session, mapping, actor=actor)


def unmap_by_id(session: Session, *, mapping_id: int, actor: Actor) -> None:
    mapping = session.get(SkuMapping, mapping_id)
    if mapping is None:
        raise NotFound(f"no SKU mapping {mapping_id}", details={"mapping_id": mapping_id})
    _remove(session, mapping, actor=actor)


def _remove(session: Session, mapping: SkuMapping, *, actor: Actor) -> None:
    shop = session.get(Shop, mapping.shop_id) if mapping.shop_id is not None else None
    audit.record(session, actor=actor, entity_type="sku_mapping", entity_id=_label(mapping.platform_sku, shop),
                 action="sku_mapping.deleted",
                 before={"platform_sku": mapping.platform_sku, "shop": shop.name if shop else None,
                         "sku": mapping.sku})
    session.delete(mapping)
    session.flush()


def shop_names(session: Session) -> list[str]:
    """Active shops by name, for a mapping's shop picker."""
    return list(session.scalars(select(Shop.name).where(Shop.active.is_(True)).order_by(Shop.name)))


@dataclass(frozen=True)
class MappingRow:
    id: int
    platform_sku: str
    shop: str | None  # None = every shop
    sku: str
    sku_name: str | None  # None: the SKU is gone from the catalog
    updated_at: datetime
    updated_by: str


def mappings(session: Session, *, q: str = "", limit: int = 200) -> list[MappingRow]:
    """Mappings by platform SKU, all-shops first; `q` filters on platform SKU or our code."""
    stmt = (select(SkuMapping, Shop.name, Sku.name)
            .outerjoin(Shop, Shop.id == SkuMapping.shop_id)
            .outerjoin(Sku, Sku.code == SkuMapping.sku)
            .order_by(SkuMapping.platform_sku, SkuMapping.shop_id.is_not(None), Shop.name)
            .limit(limit))
    if q.strip():
        term = q.strip()
        stmt = stmt.where(or_(SkuMapping.platform_sku.contains(term, autoescape=True),
                              SkuMapping.sku.contains(term, autoescape=True)))
    return [MappingRow(id=m.id, platform_sku=m.platform_sku, shop=shop, sku=m.sku, sku_name=name,
                       updated_at=m.updated_at, updated_by=m.updated_by)
            for m, shop, name in session.execute(stmt)]


@dataclass(frozen=True)
class WaitingSku:
    """待匹配商品: a platform SKU that open orders of one shop wait on."""

    platform_sku: str
    shop: str
    title: str  # as the platform named it on a line
    orders: int
    lines: int
    oldest: datetime  # the earliest such order, as created on the platform


def waiting(session: Session, *, limit: int = 200) -> list[WaitingSku]:
    """Unmapped platform SKUs of open orders, most orders first, then the oldest first."""
    orders = func.count(func.distinct(OrderLine.order_id))
    stmt = (select(OrderLine.platform_sku, Shop.name, func.max(OrderLine.title), orders,
                   func.count(), func.min(Order.created_at))
            .join(Order, and_(Order.id == OrderLine.order_id, Order.status.in_(OPEN_STATUSES)))
            .join(Shop, Shop.id == Order.shop_id)
            .where(OrderLine.sku.is_(None))
            .group_by(OrderLine.platform_sku, Shop.name)
            .order_by(orders.desc(), func.min(Order.created_at), OrderLine.platform_sku)
            .limit(limit))
    return [WaitingSku(platform_sku=p, shop=shop, title=title or "", orders=n, lines=lines, oldest=oldest)
            for p, shop, title, n, lines, oldest in session.execute(stmt)]
