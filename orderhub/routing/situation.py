"""Everything the router needs to decide about one order, read in three prebuilt queries (the
allocation hot path): settings + region rules; the order's SKUs with bundle components and their
available stock; active warehouses with today's load. Stock in transit is read only when needed."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.core.models import Setting
from orderhub.core.settings import get_settings
from orderhub.inventory import catalog
from orderhub.inventory import service as inventory
from orderhub.inventory.models import Warehouse
from orderhub.orders.models import Order
from orderhub.routing import policy, regions
from orderhub.routing.config import KEYS, RoutingConfig, config_from
from orderhub.routing.models import DailyLoad, RegionRule
from orderhub.routing.scoring import Site

REFUNDED = "refunded"


def today() -> date:
    """The seller's calendar day: load counts reset at local midnight."""
    return clock.now().astimezone(ZoneInfo(get_settings().timezone)).date()


def route_lines(session: Session, order: Order
                ) -> tuple[list[policy.Line], list[str], dict[tuple[str, int], int]]:
    """The order's lines still to ship (refunded ones left out), each with the component units it
    needs; the SKU codes the catalogue does not know; available stock of the components. One
    query (catalog.line_stock) for all of it."""
    lines = [l for l in order.lines if l.refund_status != REFUNDED]
    codes = {l.sku for l in lines if l.sku}
    seen = catalog.line_stock(session, codes)
    parts = seen.parts
    unknown = sorted(codes - seen.known)
    out = []
    for line in lines:
        needs: dict[str, int] = defaultdict(int)
        if line.sku in parts:
            for part, ratio in parts[line.sku]:
                needs[part] += ratio * line.quantity
        elif line.sku:
            needs[line.sku] += line.quantity
        out.append(policy.Line(line_no=line.line_no, sku=line.sku, quantity=line.quantity,
                               needs=dict(needs)))
    return out, unknown, seen.available


_WH = Warehouse.__table__
_SITES_AND_LOAD = (
    select(_WH.c.id, _WH.c.code, _WH.c.name, _WH.c.serves_provinces, _WH.c.delivery_days,
           _WH.c.daily_capacity, _WH.c.error_rate,
           select(func.sum(DailyLoad.allocated))
           .where(DailyLoad.warehouse_code == _WH.c.code, DailyLoad.day == bindparam("day"))
           .scalar_subquery())
    .where(_WH.c.active.is_(True)).order_by(_WH.c.id))


def sites_and_load(session: Session) -> tuple[list[Site], dict[str, int]]:
    """Active warehouses (by id) as Sites and the orders allocated to each today, in one query."""
    sites, load = [], {}
    for wid, code, name, serves, days, capacity, error_rate, allocated in session.execute(
            _SITES_AND_LOAD, {"day": today()}):
        sites.append(Site(id=wid, code=code, name=name, serves=tuple(serves or ()),
                          delivery_days=dict(days or {}), daily_capacity=capacity or 0,
                          error_rate=error_rate or 0.0, active=True))
        if allocated:
            load[code] = int(allocated)
    return sites, load


def in_transit(session: Session, skus: list[str],
               sites: list[Site]) -> dict[tuple[str, int], tuple[int, date | None]]:
    """Stock on its way per (SKU, warehouse), read only when no warehouse covers an order."""
    zone = ZoneInfo(get_settings().timezone)
    out: dict[tuple[str, int], tuple[int, date | None]] = {}
    for sku in skus:
        for site in sites:
            level = inventory.level_of(session, sku, site.id)
            if level is not None and level.in_transit > 0:
                expected = level.in_transit_expected_at
                out[(sku, site.id)] = (level.in_transit,
                                       expected.astimezone(zone).date() if expected else None)
    return out


def rule_warehouse(order: Order) -> str | None:
    """The warehouse code a rule put on the order, if any."""
    code = (order.attributes or {}).get("warehouse")
    return code.strip() if isinstance(code, str) and code.strip() else None


# Routing settings and enabled region rules in one round trip (same answers as
# config.load_config and regions.enabled_for_routing): kind, key or rule name, JSON value or
# provinces, rule id, priority, warehouse code.
_SETTINGS_AND_RULES = union_all(
    select(literal("s", String), Setting.key, Setting.value, null().cast(Integer),
           null().cast(Integer), null().cast(String)).where(Setting.key.in_(KEYS)),
    select(literal("r", String), RegionRule.name, RegionRule.provinces, RegionRule.id,
           RegionRule.priority, RegionRule.warehouse_code).where(RegionRule.enabled.is_(True)))


def settings_and_rules(session: Session) -> tuple[RoutingConfig, list[policy.RegionRule]]:
    stored, rules = {}, []
    for kind, key, value, rule_id, priority, warehouse in session.execute(_SETTINGS_AND_RULES):
        if kind == "s":
            stored[key] = value
        else:
            rules.append(policy.RegionRule(id=rule_id, priority=priority, provinces=tuple(value or ()),
                                           warehouse_code=warehouse, name=key))
    rules.sort(key=lambda r: (r.priority, r.id))
    return config_from(stored), rules


def gather(session: Session, order: Order, *, config: RoutingConfig | None = None,
           with_transit: bool = False) -> policy.Situation:
    return gather_with_config(session, order, config=config, with_transit=with_transit)[0]


def gather_with_config(session: Session, order: Order, *, config: RoutingConfig | None = None,
                       with_transit: bool = False) -> tuple[policy.Situation, RoutingConfig]:
    """The situation and the routing config it was read with (4 queries in all)."""
    if config is None:
        config, rules = settings_and_rules(session)
    else:
        rules = regions.enabled_for_routing(session)
    lines, unknown, stock = route_lines(session, order)
    sites, load = sites_and_load(session)
    needs = sorted({sku for line in lines for sku in line.needs} - set(unknown))
    return policy.Situation(
        province=order.receiver_province, lines=lines, sites=sites, stock=stock, today=today(),
        in_transit=in_transit(session, needs, sites) if with_transit else {},
        load=load, rules=rules, rule_warehouse=rule_warehouse(order),
        weights=config.weights, allow_split=config.allow_split,
        transfer_days=config.transfer_days, unknown_skus=unknown), config
