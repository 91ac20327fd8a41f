"""Everything the router needs to decide about one order, read in a handful of queries: SKU
facts and bundles, active warehouses, available stock, today's load, region rules, settings."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.core.settings import get_settings
from orderhub.inventory import catalog
from orderhub.inventory import service as inventory
from orderhub.inventory.models import Warehouse
from orderhub.orders.models import Order
from orderhub.routing import policy, regions
from orderhub.routing.config import RoutingConfig, load_config
from orderhub.routing.models import DailyLoad
from orderhub.routing.scoring import Site

REFUNDED = "refunded"


def today() -> date:
    """The seller's calendar day: load counts reset at local midnight."""
    return clock.now().astimezone(ZoneInfo(get_settings().timezone)).date()


def site_of(warehouse: Warehouse) -> Site:
    return Site(id=warehouse.id, code=warehouse.code, name=warehouse.name,
                serves=tuple(warehouse.serves_provinces or ()),
                delivery_days=dict(warehouse.delivery_days or {}),
                daily_capacity=warehouse.daily_capacity or 0,
                error_rate=warehouse.error_rate or 0.0, active=warehouse.active)


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


_LOAD_TODAY = (select(DailyLoad.warehouse_code, func.sum(DailyLoad.allocated))
               .where(DailyLoad.day == bindparam("day")).group_by(DailyLoad.warehouse_code))


def load_today(session: Session) -> dict[str, int]:
    return {code: int(total or 0) for code, total in session.execute(_LOAD_TODAY, {"day": today()})}


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


def gather(session: Session, order: Order, *, config: RoutingConfig | None = None,
           with_transit: bool = False) -> policy.Situation:
    config = config or load_config(session)
    lines, unknown, stock = route_lines(session, order)
    sites, load = sites_and_load(session)
    needs = sorted({sku for line in lines for sku in line.needs} - set(unknown))
    return policy.Situation(
        province=order.receiver_province, lines=lines, sites=sites, stock=stock, today=today(),
        in_transit=in_transit(session, needs, sites) if with_transit else {},
        load=load, rules=regions.enabled_for_routing(session),
        rule_warehouse=rule_warehouse(order),
        weights=config.weights, allow_split=config.allow_split,
        transfer_days=config.transfer_days, unknown_skus=unknown)
