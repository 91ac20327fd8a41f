"""The buyer-history part of a rule's context, in as few statements as the rules allow.

Everything the enabled rules reference is counted by ONE statement: a row made of single-row
aggregates, each walking its own index —

    buyer      orders / returns of the buyer account in 24 h and 30 days  ix_orders_buyer_history
    phone      orders to this phone today (and of each limited SKU)       ix_orders_phone_tail
    address    buyer accounts at this address in 90 days                   ix_orders_address_history
    receiver   categories this receiver (name + phone) bought in 30 days   ix_orders_phone_tail
    duplicates open orders to this receiver in 24 h (candidates)           ix_orders_phone_tail

Only a receiver with candidate duplicates costs a second statement (their lines, compared with
this order's). These subqueries are joined into the one statement an evaluation sends, with the
rules stamp and the SKU facts (lookup.py); it is built once per combination and reused, the
values are bound parameters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, bindparam, case, func, select
from sqlalchemy.orm import Session

from orderhub.core.settings import get_settings
from orderhub.inventory.models import Sku
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order, OrderLine

RETURNED = "refunded"  # a line refunded counts as a return
SEPARATOR = "\x1f"  # between aggregated category names (a control character no name contains)

BUYER = frozenset({"buyer_orders_24h", "buyer_orders_30d", "buyer_returns_24h",
                   "buyer_returns_30d", "buyer_return_rate_24h", "buyer_return_rate_30d"})
PHONE = frozenset({"phone_orders_today", "limited_orders_today"})
RECEIVER = frozenset({"receiver_recent_categories", "repeat_categories"})
ADDRESS = frozenset({"address_accounts"})
DUPLICATES = frozenset({"duplicates_24h"})
PHONE_PART = frozenset({"phone"})
PARTS = (("buyer", BUYER), ("phone", PHONE), ("receiver", RECEIVER), ("address", ADDRESS),
         ("duplicates", DUPLICATES))


def parts_for(wanted: Iterable[str]) -> frozenset[str]:
    wanted = set(wanted)
    return frozenset(name for name, fields in PARTS if wanted & fields)


def _same_phone():
    return and_(Order.receiver_phone_tail == bindparam("phone_tail"),
                Order.receiver_phone == bindparam("phone"))


def _arrived():
    """Only orders that had arrived when this one did: a pulled page's orders are checked by
    the worker after the whole page is stored, and must not count the ones after them."""
    return Order.id <= bindparam("order_id")


def _buyer():
    returned = (select(OrderLine.id).where(OrderLine.order_id == Order.id,
                                           OrderLine.refund_status == RETURNED).exists())
    # One row per order of the last 30 days with its "returned" flag, so the flag's subquery
    # runs once per order, not once per count using it. OFFSET 0 keeps PostgreSQL from pulling
    # the derived table up into the counts (which would copy the subquery into each of them).
    orders = (select(Order.created_at.label("at"), returned.label("returned"))
              .where(Order.buyer_id == bindparam("buyer_id"),
                     Order.channel == bindparam("channel"),
                     Order.created_at >= bindparam("since_30d"), _arrived())
              .offset(0).subquery("buyer_orders"))
    recent = orders.c.at >= bindparam("since_24h")
    return (select(func.count(case((recent, 1))).label("orders_24h"),
                   func.count(case((and_(recent, orders.c.returned), 1))).label("returns_24h"),
                   func.count().label("orders_30d"),
                   func.count(case((orders.c.returned, 1))).label("returns_30d"))
            .subquery("buyer"))


def _phone(limited: bool, codes_in: Callable[[Any], Any]):
    today = and_(_same_phone(), Order.created_at >= bindparam("day_start"), _arrived())
    columns = [select(func.count()).select_from(Order).where(today)
               .scalar_subquery().label("orders_today")]
    if limited:  # the most orders today with one of this order's purchase-limited SKUs
        limited_codes = select(Sku.code).where(codes_in(Sku.code), Sku.purchase_limited.is_(True))
        per_sku = (select(func.count(func.distinct(OrderLine.order_id)).label("n"))
                   .join(Order, Order.id == OrderLine.order_id)
                   .where(today, OrderLine.sku.in_(limited_codes))
                   .group_by(OrderLine.sku).subquery("per_sku"))
        columns.append(select(func.max(per_sku.c.n)).scalar_subquery().label("limited_today"))
    return select(*columns).subquery("phone")


def _receiver(dialect: str):
    # Not DISTINCT (SQLite's group_concat takes no separator with it, and a sort per call is
    # planning and work for nothing): the names are de-duplicated when the row is read. The
    # separator is a bound value (aggregate_strings renders it into the text at each execution).
    separator = bindparam("separator", SEPARATOR, type_=String)
    joined = (func.string_agg(Sku.category, separator) if dialect == "postgresql"
              else func.group_concat(Sku.category, separator))
    return (select(joined.label("categories"))
            .join(OrderLine, OrderLine.sku == Sku.code)
            .join(Order, Order.id == OrderLine.order_id)
            .where(_same_phone(), Order.receiver_name == bindparam("receiver_name"),
                   Order.created_at >= bindparam("since_30d"),
                   Order.id != bindparam("order_id"), Sku.category != "", _arrived())
            .subquery("receiver"))


def _address():
    return (select(func.count(func.distinct(Order.buyer_id)).label("accounts"))
            .where(Order.receiver_detail == bindparam("detail"),
                   Order.created_at >= bindparam("since_90d"),
                   Order.receiver_district == bindparam("district"),
                   Order.receiver_city == bindparam("city"), Order.buyer_id.is_not(None),
                   _arrived())
            .subquery("address"))


def _candidates():
    return and_(_same_phone(), Order.receiver_name == bindparam("receiver_name"),
                Order.created_at >= bindparam("since_24h"), Order.id != bindparam("order_id"),
                _arrived(),
                Order.status != lc.CANCELLED, Order.status != lc.CLOSED)


def _duplicates():
    return (select(func.count().label("candidates")).select_from(Order).where(_candidates())
            .subquery("duplicates"))


_DUPLICATE_LINES = (select(OrderLine.order_id, OrderLine.platform_sku, OrderLine.quantity)
                    .join(Order, Order.id == OrderLine.order_id).where(_candidates()))


def subqueries(parts: frozenset[str], limited: bool, codes_in: Callable[[Any], Any],
               dialect: str) -> list[Any]:
    """The single-row subqueries of these parts, to be joined ON true into one statement (see
    lookup.py). `limited`: the order has SKU codes (`codes_in(column)` is the condition "column
    is one of them"), so the limited-SKU count is worth asking; the purchase-limited ones among
    them are picked by the statement itself."""
    built = {"buyer": _buyer, "phone": lambda: _phone(limited, codes_in), "receiver": lambda: _receiver(dialect),
             "address": _address, "duplicates": _duplicates}
    return [built[name]() for name, _ in PARTS if name in parts]


def day_start(now: datetime) -> datetime:
    local = now.astimezone(ZoneInfo(get_settings().timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def params(order: Order, now: datetime) -> dict[str, Any]:
    """The bound values of the history subqueries for `order` (a dict the caller extends)."""
    return {"buyer_id": order.buyer_id or None, "channel": order.channel,
            "since_24h": now - timedelta(hours=24), "since_30d": now - timedelta(days=30),
            "since_90d": now - timedelta(days=90), "day_start": day_start(now),
            "phone": order.receiver_phone or None,  # None matches nothing: no phone, no history
            "phone_tail": order.receiver_phone_tail,
            "receiver_name": order.receiver_name, "order_id": order.id,
            "detail": order.receiver_detail or None, "district": order.receiver_district,
            "city": order.receiver_city}


def values(session: Session, order: Order, parts: frozenset[str], row: Any, limited: bool,
           bound: dict[str, Any]) -> dict[str, Any]:
    """The history fields of `parts` from the statement's row, by field name (the others are
    absent). Only a receiver with candidate duplicates costs one more statement."""
    out: dict[str, Any] = {}
    if "buyer" in parts:
        out.update(buyer_orders_24h=row["orders_24h"], buyer_returns_24h=row["returns_24h"],
                   buyer_orders_30d=row["orders_30d"], buyer_returns_30d=row["returns_30d"],
                   buyer_return_rate_24h=rate(row["returns_24h"], row["orders_24h"]),
                   buyer_return_rate_30d=rate(row["returns_30d"], row["orders_30d"]))
    if "phone" in parts:
        out.update(phone_orders_today=int(row["orders_today"] or 0),
                   limited_orders_today=int(row["limited_today"] or 0) if limited else 0)
    if "receiver" in parts:
        text = row["categories"] or ""
        out["receiver_recent_categories"] = sorted(set(text.split(SEPARATOR)) - {""})
    if "address" in parts:
        out["address_accounts"] = int(row["accounts"] or 0)
    if "duplicates" in parts:
        out["duplicates_24h"] = (_count_duplicates(session, order, bound)
                                 if row["candidates"] else 0)
    return out


def _count_duplicates(session: Session, order: Order, params: dict[str, Any]) -> int:
    """Candidates whose lines are the same (platform SKU, quantity) multiset as this order's."""
    others: dict[int, Counter] = {}
    for order_id, platform_sku, quantity in session.connection().execute(_DUPLICATE_LINES, params):
        others.setdefault(order_id, Counter())[(platform_sku, quantity)] += 1
    mine = Counter((l.platform_sku, l.quantity) for l in order.lines)
    return sum(1 for items in others.values() if items == mine)
