"""Sellable stock per channel (shop): available over the warehouses serving it, minus their
safety stock, times the shop's share. A bundle sells as many as its scarcest component allows.

Nothing is pushed from the reservation hot path. A scheduled sweep (tasks.sync_sellable) reads
which SKUs moved in the ledger since its last run (with an overlap, so late commits are not
missed), recomputes their sellable figures per shop, and emits one coalesced
`stock.sellable_changed` event per shop listing only the figures that changed since the last
announcement; channel connectors send it to the platforms.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from orderhub.core import audit, clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput, NotFound
from orderhub.inventory.models import (
    BundleComponent,
    ChannelStockRule,
    InventoryMark,
    SellableSnapshot,
    Sku,
    StockLevel,
    StockMovement,
    Warehouse,
)

SWEEP_MARK = "sellable_sweep"
OVERLAP = timedelta(seconds=120)


def upsert_channel_rule(session: Session, *, shop: str, warehouse_codes: list[str], share_pct: int,
                        actor: Actor, use_safety_stock: bool = True, active: bool = True,
                        only_if_missing: bool = False) -> ChannelStockRule:
    """Create or replace the shop's rule (warehouse codes: empty = every active warehouse)."""
    shop = (shop or "").strip()
    if not shop or len(shop) > 80:
        raise InvalidInput("a shop name is 1 to 80 characters", details={"field": "shop"})
    if not isinstance(share_pct, int) or isinstance(share_pct, bool) or not 0 <= share_pct <= 100:
        raise InvalidInput("share_pct is a whole percentage 0-100", details={"field": "share_pct"})
    known = set(session.scalars(select(Warehouse.code)))
    unknown = sorted(set(warehouse_codes) - known)
    if unknown:
        raise InvalidInput(f"unknown warehouse {', '.join(unknown)}", details={"unknown": unknown})
    rule = session.scalar(select(ChannelStockRule).where(ChannelStockRule.shop == shop))
    if rule is not None and only_if_missing:
        return rule
    for name, flag in (("use_safety_stock", use_safety_stock), ("active", active)):
        if not isinstance(flag, bool):
            raise InvalidInput(f"{name} must be true or false", details={"field": name})
    before = None if rule is None else _rule_dict(rule)
    if rule is None:
        rule = ChannelStockRule(shop=shop)
        session.add(rule)
    rule.warehouse_codes, rule.share_pct = sorted(set(warehouse_codes)), share_pct
    rule.use_safety_stock, rule.active = use_safety_stock, active
    session.flush()
    audit.record(session, actor=actor, entity_type="channel_stock", entity_id=shop,
                 action="channel_stock.rule_set", before=before, after=_rule_dict(rule))
    # The next sweep recomputes every SKU for every shop.
    session.execute(delete(InventoryMark).where(InventoryMark.name == SWEEP_MARK))
    return rule


def _rule_dict(rule: ChannelStockRule) -> dict[str, Any]:
    return {"warehouse_codes": list(rule.warehouse_codes), "share_pct": rule.share_pct,
            "use_safety_stock": rule.use_safety_stock, "active": rule.active}


def _warehouse_ids(session: Session, rule: ChannelStockRule | None) -> list[int]:
    stmt = select(Warehouse.id).where(Warehouse.active.is_(True))
    if rule is not None and rule.warehouse_codes:
        stmt = stmt.where(Warehouse.code.in_(rule.warehouse_codes))
    return list(session.scalars(stmt))


def sellable(session: Session, *, shop: str, sku_ids: list[int] | None = None) -> dict[str, int]:
    """SKU code -> sellable quantity on the shop's channel (bundles included)."""
    rule = session.scalar(select(ChannelStockRule).where(ChannelStockRule.shop == shop))
    share = 100 if rule is None else rule.share_pct
    wh_ids = _warehouse_ids(session, rule)
    pools = _pools(session, wh_ids, safety=rule is None or rule.use_safety_stock)
    parts = defaultdict(list)
    for bundle_id, part_id, ratio in session.execute(
            select(BundleComponent.bundle_sku_id, BundleComponent.component_sku_id, BundleComponent.ratio)):
        parts[bundle_id].append((part_id, ratio))
    stmt = select(Sku.id, Sku.code).where(Sku.active.is_(True))
    if sku_ids is not None:
        stmt = stmt.where(Sku.id.in_(sku_ids))
    out = {}
    for sku_id, code in session.execute(stmt):
        if sku_id in parts:
            pool = min(pools.get(p, 0) // r for p, r in parts[sku_id])
        else:
            pool = pools.get(sku_id, 0)
        out[code] = max(pool, 0) * share // 100
    return out


def _pools(session: Session, wh_ids: list[int], *, safety: bool = True) -> dict[int, int]:
    if not wh_ids:
        return {}
    held_back = StockLevel.safety_stock if safety else 0
    stmt = (select(StockLevel.sku_id,
                   func.sum(StockLevel.on_hand - StockLevel.reserved - held_back))
            .where(StockLevel.warehouse_id.in_(wh_ids)).group_by(StockLevel.sku_id))
    return {int(s): max(int(v or 0), 0) for s, v in session.execute(stmt)}


def _changed_skus(session: Session, since: datetime | None) -> list[int] | None:
    """SKU ids whose stock moved since `since` (None = all), and the bundles that contain them."""
    if since is None:
        return None
    moved = set(session.scalars(select(StockMovement.sku_id).where(StockMovement.at >= since).distinct()))
    if not moved:
        return []
    bundles = set(session.scalars(select(BundleComponent.bundle_sku_id)
                                  .where(BundleComponent.component_sku_id.in_(moved))))
    return sorted(moved | bundles)


def sync_sellable(session: Session, *, actor: Actor) -> dict[str, dict[str, int]]:
    """The sweep: shop -> {sku: new quantity} for the figures that changed (and were announced)."""
    started = clock.now()
    mark = session.get(InventoryMark, SWEEP_MARK)
    since = None if mark is None else mark.at - OVERLAP
    sku_ids = _changed_skus(session, since)
    announced: dict[str, dict[str, int]] = {}
    if sku_ids != []:
        codes = dict(session.execute(select(Sku.code, Sku.id)).all())
        for rule in session.scalars(select(ChannelStockRule).where(ChannelStockRule.active.is_(True))
                                    .order_by(ChannelStockRule.shop)):
            changes = _announce(session, rule.shop, sellable(session, shop=rule.shop, sku_ids=sku_ids),
                                codes, started)
            if changes:
                announced[rule.shop] = changes
                outbox.emit(session, "stock.sellable_changed", aggregate_type="shop",
                            aggregate_id=rule.shop, actor=actor,
                            payload={"shop": rule.shop, "changes": changes})
    if mark is None:
        session.add(InventoryMark(name=SWEEP_MARK, at=started, data={}))
    else:
        mark.at = started
    session.flush()
    return announced


def _announce(session: Session, shop: str, figures: dict[str, int], codes: dict[str, int],
              at: datetime) -> dict[str, int]:
    snaps = {s.sku_id: s for s in session.scalars(
        select(SellableSnapshot).where(SellableSnapshot.shop == shop,
                                       SellableSnapshot.sku_id.in_([codes[c] for c in figures])))}
    changes = {}
    for code, quantity in sorted(figures.items()):
        snap = snaps.get(codes[code])
        if snap is None:
            session.add(SellableSnapshot(shop=shop, sku_id=codes[code], quantity=quantity, updated_at=at))
        elif snap.quantity != quantity:
            snap.quantity, snap.updated_at = quantity, at
        else:
            continue
        changes[code] = quantity
    return changes


def channel_rules(session: Session) -> list[ChannelStockRule]:
    return list(session.scalars(select(ChannelStockRule).order_by(ChannelStockRule.shop)))


def channel_rule(session: Session, shop: str) -> ChannelStockRule:
    rule = session.scalar(select(ChannelStockRule).where(ChannelStockRule.shop == shop))
    if rule is None:
        raise NotFound(f"no stock rule for shop {shop!r}", details={"shop": shop})
    return rule


def snapshot_rows(session: Session, shop: str) -> list[dict[str, Any]]:
    stmt = (select(Sku.code, SellableSnapshot.quantity, SellableSnapshot.updated_at)
            .join(Sku, Sku.id == SellableSnapshot.sku_id).where(SellableSnapshot.shop == shop)
            .order_by(Sku.code))
    return [{"sku": c, "quantity": q, "updated_at": u} for c, q, u in session.execute(stmt)]


def sellable_grid(session: Session, *, q: str = "", limit: int = 50,
                  offset: int = 0) -> tuple[list[str], list[dict[str, Any]], bool]:
    """The current sellable figure per active SKU (code or name containing `q`) for every shop
    with a rule: (shops, [{sku, name, figures: {shop: qty}}], more rows after these)."""
    shops = [r.shop for r in channel_rules(session) if r.active]
    stmt = select(Sku.id, Sku.code, Sku.name).where(Sku.active.is_(True)).order_by(Sku.code)
    if q:
        stmt = stmt.where(Sku.code.contains(q, autoescape=True) | Sku.name.contains(q, autoescape=True))
    page = session.execute(stmt.offset(offset).limit(limit + 1)).all()
    more, page = len(page) > limit, page[:limit]
    ids = [i for i, _, _ in page]
    per_shop = {shop: sellable(session, shop=shop, sku_ids=ids) for shop in shops}
    rows = [{"sku": code, "name": name, "figures": {shop: per_shop[shop].get(code, 0) for shop in shops}}
            for _, code, name in page]
    return shops, rows, more
