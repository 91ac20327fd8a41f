"""Everything the router needs to decide about one order, read in three prebuilt queries (the
allocation hot path): settings + region rules; the order's SKUs with bundle components and their
available stock; active warehouses with today's load. Stock in transit is read only when needed."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import lru_cache
from typing import Any
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
from orderhub.core.db import is_postgres, raise_as_sqlalchemy
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
    return _route_lines(order, catalog.line_stock(session, _codes(order)))


def _shipping(order: Order) -> list:
    return [l for l in order.lines if l.refund_status != REFUNDED]


def _codes(order: Order) -> set[str]:
    return {l.sku for l in _shipping(order) if l.sku}


def _route_lines(order: Order, seen: catalog.LineStock
                 ) -> tuple[list[policy.Line], list[str], dict[tuple[str, int], int]]:
    lines = _shipping(order)
    codes = {l.sku for l in lines if l.sku}
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
    return _sites_from(session.execute(_SITES_AND_LOAD, {"day": today()}))


def _sites_from(rows: Any) -> tuple[list[Site], dict[str, int]]:
    sites, load = [], {}
    for wid, code, name, serves, days, capacity, error_rate, allocated in rows:
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
    return _config_from(session.execute(_SETTINGS_AND_RULES))


def _config_from(rows: Any) -> tuple[RoutingConfig, list[policy.RegionRule]]:
    stored, rules = {}, []
    for kind, key, value, rule_id, priority, warehouse in rows:
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
    """The situation and the routing config it was read with (3 queries; on PostgreSQL sent
    together in one round trip)."""
    if config is None and is_postgres(session):
        (config, rules), (lines, unknown, stock), (sites, load) = _read_pipelined(session, order)
    else:
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


# --- PostgreSQL: the three reads in one round trip ---------------------------------------------
# psycopg's pipeline mode sends the three statements (the same ones as above, compiled once) and
# reads the three results after one sync, on the session's connection (same transaction). Also
# spares SQLAlchemy's per-statement execute and result machinery, most of these reads' CPU.


class _Read:
    """A statement compiled once for the pipeline: its SQL, fixed parameters and the type
    processing of the parameters (as SQLAlchemy's execute would apply it)."""

    def __init__(self, stmt: Any, dialect: Any) -> None:
        compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        self.sql, self.fixed = compiled.string, compiled.construct_params(_check=False)
        self.processors = dict(compiled._bind_processors)

    def params(self, **values: Any) -> dict[str, Any]:
        params = {**self.fixed, **values}
        for name, process in self.processors.items():
            if params.get(name) is not None:
                params[name] = process(params[name])
        return params


@lru_cache(maxsize=4)
def _compiled(dialect: Any) -> tuple[_Read, _Read, _Read]:
    return (_Read(_SETTINGS_AND_RULES, dialect), _Read(catalog.LINE_STOCK_PG, dialect),
            _Read(_SITES_AND_LOAD, dialect))


def _read_pipelined(session: Session, order: Order) -> tuple[Any, Any, Any]:
    if session.autoflush:
        session.flush()  # what session.execute would do first
    conn = session.connection()
    codes = sorted(_codes(order))
    rules_read, stock_read, sites_read = _compiled(conn.dialect)
    reads = [(rules_read.sql, rules_read.params()), (sites_read.sql, sites_read.params(day=today()))]
    if codes:
        reads.append((stock_read.sql, stock_read.params(codes=codes)))
    raw = conn.connection.driver_connection
    cursors: list[Any] = []
    try:
        with raw.pipeline():
            for sql, params in reads:
                cursor = raw.cursor()
                cursors.append(cursor)
                cursor.execute(sql, params)
        rows = [cursor.fetchall() for cursor in cursors]
    except conn.dialect.loaded_dbapi.Error as exc:
        raise_as_sqlalchemy(conn, exc, *reads[0])
    finally:
        for cursor in cursors:
            cursor.close()
    seen = catalog.line_stock_from(rows[2]) if codes else catalog.LineStock(frozenset(), {}, {})
    return _config_from(rows[0]), _route_lines(order, seen), _sites_from(rows[1])
