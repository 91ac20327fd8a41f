"""Everything an evaluation reads from the database, in one statement (one round trip).

On PostgreSQL each round trip costs a few tenths of a millisecond even on an idle machine, more
when the server competes for the CPU: reading the rules stamp, the SKU facts and the history as
three statements cost more than evaluating fifty conditions. So they are one row:

    stamp      the rules table's stamp and the carrier areas setting        (ruleset.py)
    SKU facts  the order's SKUs as one JSON array (json_agg / json_group_array)
    history    the single-row aggregates the rules reference                 (history.py)

each part present only when asked for. The statement is built once per combination of parts
(and dialect) and reused with bound values; PostgreSQL then runs it as a prepared statement.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ARRAY, JSON, String, any_, bindparam, func, select, true
from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.inventory.catalog import SkuInfo
from orderhub.inventory.models import BundleComponent, Sku
from orderhub.orders.models import Order, Shop
from orderhub.rules import history

NO_PARTS: frozenset[str] = frozenset()
_STATEMENTS: dict[tuple, Any] = {}
_LIMITED: dict[str, bool] = {}  # SKU code -> purchase-limited, as this process last read it
LIMITED_KEPT = 50_000


@dataclass
class Found:
    """What one lookup read; a part not asked for is None (history: the fields asked for)."""

    stamp: Any = None  # the row, for ruleset.for_stamp
    areas: dict | None = None
    skus: dict[str, SkuInfo] | None = None
    history: dict[str, Any] = field(default_factory=dict)
    shop_name: str = ""


def _codes_in(dialect: str) -> Callable[[Any], Any]:
    """"column is one of the order's SKU codes", as one bound value (an array on PostgreSQL, a
    JSON array on SQLite) rather than an expanding IN list: the statement's text is then the
    same for any number of lines, and is not re-rendered on every execution."""
    if dialect == "postgresql":
        return lambda column: column == any_(bindparam("codes", type_=ARRAY(String)))
    each = func.json_each(bindparam("codes_json", type_=String)).table_valued("value")
    return lambda column: column.in_(select(each.c.value))


def _sku_facts(dialect: str) -> Any:
    """The order's SKUs as one JSON array of [code, name, category, limited, presale, weight,
    is_bundle] (NULL when none of the codes is known)."""
    bundle = select(BundleComponent.id).where(BundleComponent.bundle_sku_id == Sku.id).exists()
    fields = (Sku.code, Sku.name, Sku.category, Sku.purchase_limited, Sku.presale, Sku.weight_g,
              bundle)
    if dialect == "postgresql":
        facts = func.json_agg(func.json_build_array(*fields), type_=JSON)
    else:  # SQLite's JSON1 functions (built in)
        facts = func.json_group_array(func.json_array(*fields), type_=JSON)
    return (select(facts).where(_codes_in(dialect)(Sku.code))
            .scalar_subquery().label("sku_facts"))


_SHOP_NAME = (select(Shop.name).where(Shop.id == bindparam("shop_id")).scalar_subquery()
              .label("shop_name"))


def loaded_shop_name(order: Order) -> str | None:
    """The order's shop name if the session has it loaded, else None (to be read with the rest:
    after a commit the shop is expired, and `order.shop.name` would cost a round trip)."""
    shop = order.__dict__.get("shop")
    if shop is not None and "name" in shop.__dict__:
        return shop.name
    if shop is None and ("shop" in order.__dict__ or order.shop_id is None):
        return ""
    return None


def statement(dialect: str, *, stamp: bool, skus: bool, parts: frozenset[str],
              limited: bool, shop: bool = False) -> Any:
    """The one statement for this combination (built once, then reused)."""
    key = (dialect, stamp, skus, parts, limited, shop)
    if key not in _STATEMENTS:
        # Imported here: ruleset imports context, which imports this module.
        from orderhub.rules import ruleset

        froms = ([ruleset.stamp_subquery()] if stamp else []) + history.subqueries(
            parts, limited, _codes_in(dialect), dialect)
        columns = [c for sq in froms for c in sq.c]
        if skus:
            columns.append(_sku_facts(dialect))
        if shop:
            columns.append(_SHOP_NAME)
        stmt = select(*columns)
        if froms:
            stmt = stmt.select_from(froms[0])
            for sq in froms[1:]:
                stmt = stmt.join(sq, true())
        _STATEMENTS[key] = stmt
    return _STATEMENTS[key]


@dataclass(frozen=True)
class _Direct:
    """A statement compiled once for one dialect, with its types' bind and result processors."""

    compiled: Any
    sql: str
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]
    results: tuple[Callable[[Any], Any] | None, ...]


_DIRECT: dict[tuple[int, int], _Direct] = {}


def _direct(stmt: Any, dialect: Any) -> _Direct:
    """The statement compiled for this engine's dialect (its options shape the text)."""
    key = (id(stmt), id(dialect))
    found = _DIRECT.get(key)
    if (found is None or found.compiled.statement is not stmt
            or found.compiled.dialect is not dialect):
        compiled = stmt.compile(dialect=dialect)
        binds = tuple((name, process) for bind, name in compiled.bind_names.items()
                      for process in [bind.type.dialect_impl(dialect).bind_processor(dialect)]
                      if process is not None)
        results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                        for column in stmt.selected_columns)
        found = _DIRECT[key] = _Direct(compiled, compiled.string, binds, results)
    return found


def one_row(session: Session, stmt: Any, bound: dict[str, Any]) -> Any:
    """The one row of `stmt` (a mapping by column name), on the session's connection.

    On PostgreSQL the statement's text and its types' processors are taken once and the text is
    sent as it is (`exec_driver_sql`: the engine's events still see it): SQLAlchemy's execute
    would compute the statement's cache key, look up its compiled form and build an execution
    context on every call (~0.1 ms of client CPU here). The values are the ones `execute`
    returns: the same processors are applied (tests/rules/test_evaluation_cost.py)."""
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":  # SQLite's dates are text: keep the full path there
        return connection.execute(stmt, bound).one()._mapping
    direct = _direct(stmt, dialect)
    params = direct.compiled.construct_params(bound)
    for name, process in direct.binds:
        params[name] = process(params[name])
    result = connection.exec_driver_sql(direct.sql, params)
    names = result.keys()
    values = result.one()
    return {name: value if process is None else process(value)
            for name, value, process in zip(names, values, direct.results, strict=True)}


def fetch(session: Session, order: Order, *, stamp: bool = False, skus: bool = True,
          parts: frozenset[str] = NO_PARTS) -> Found:
    """Read the asked parts for `order` in one statement (plus one for duplicates' lines when
    the receiver has candidates), and its shop name unless loaded. Runs on the session's
    connection: flush first."""
    codes = sorted({line.sku for line in order.lines if line.sku})
    found = Found(skus={} if skus and not codes else None)
    skus = skus and bool(codes)
    shop_name = loaded_shop_name(order)
    if shop_name is not None:
        found.shop_name = shop_name
    if not (stamp or skus or parts or shop_name is None):
        return found
    limited = "phone" in parts and bool(codes)
    # Counting the limited SKUs' orders costs the server more planning than the rest of the
    # phone part; most orders have no limited SKU. So when the SKU facts come in the same row,
    # the count is asked only if the facts this process last read make it possible; the fresh
    # facts then decide, and a SKU made limited since costs one more statement.
    guessed = limited and (not skus or any(_LIMITED.get(code, True) for code in codes))
    bound = history.params(order, clock.now()) if parts else {}
    bound["codes"] = codes
    bound["shop_id"] = order.shop_id
    dialect = session.get_bind().dialect.name
    if dialect != "postgresql":
        bound["codes_json"] = json.dumps(codes)
    stmt = statement(dialect, stamp=stamp, skus=skus, parts=parts, limited=guessed,
                     shop=shop_name is None)
    row = one_row(session, stmt, bound)
    if shop_name is None:
        found.shop_name = row["shop_name"] or ""
    if stamp:
        found.stamp = row
        found.areas = row["carrier_areas"]
    if skus:
        found.skus = {item[0]: SkuInfo(code=item[0], name=item[1], category=item[2],
                                       purchase_limited=bool(item[3]), presale=bool(item[4]),
                                       weight_g=item[5], is_bundle=bool(item[6]))
                      for item in row["sku_facts"] or ()}
        _LIMITED.update((code, code in found.skus and found.skus[code].purchase_limited)
                        for code in codes)
        if len(_LIMITED) > LIMITED_KEPT:
            _LIMITED.clear()  # a hint only: start again rather than grow without bound
    if parts:
        if limited and not guessed and any(info.purchase_limited for info in found.skus.values()):
            phone = statement(dialect, stamp=False, skus=False, parts=history.PHONE_PART,
                              limited=True)
            row = dict(row) | dict(one_row(session, phone, bound))
            guessed = True
        found.history = history.values(session, order, parts, row, guessed, bound)
    return found
