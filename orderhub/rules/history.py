"""The buyer-history part of a rule's context, in as few statements as the rules allow.

Everything the enabled rules reference is counted by ONE statement: a row made of single-row
aggregates, each walking its own index —

    buyer      orders / returns of the buyer account in 24 h and 30 days  ix_orders_buyer_history
    phone      orders to this phone today (and of each limited SKU)       ix_orders_phone_tail
    address    buyer accounts at this address in 90 days                   ix_orders_address_history
    receiver   categories this receiver (name + phone) bought in 30 days   ix_orders_phone_tail
    duplicates open orders to this receiver in 24 h (candidates)           ix_orders_phone_tail

Only a receiver with candidate duplicates costs a second statement (their lines, compared with
this order's). Statements are built once per combination of referenced parts and reused; the
values are bound parameters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, case, func, select, true
from sqlalchemy.orm import Session

from orderhub.core import clock
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
PARTS = (("buyer", BUYER), ("phone", PHONE), ("receiver", RECEIVER), ("address", ADDRESS),
         ("duplicates", DUPLICATES))


def parts_for(wanted: Iterable[str]) -> frozenset[str]:
    wanted = set(wanted)
    return frozenset(name for name, fields in PARTS if wanted & fields)


def _same_phone():  # noqa: ANN202 — a condition on bound parameters
    return and_(Order.receiver_phone_tail == bindparam("phone_tail"),
                Order.receiver_phone == bindparam("phone"))


def _arrived():  # noqa: ANN202
    """Only orders that had arrived when this one did: a pulled page's orders are checked by
    the worker after the whole page is stored, and must not count the ones after them."""
    return Order.id <= bindparam("order_id")


def _buyer():  # noqa: ANN202
    returned = (select(OrderLine.id).where(OrderLine.order_id == Order.id,
                                           OrderLine.refund_status == RETURNED).exists())
    recent = Order.created_at >= bindparam("since_24h")
    return (select(func.count(case((recent, 1))).label("orders_24h"),
                   func.count(case((and_(recent, returned), 1))).label("returns_24h"),
                   func.count().label("orders_30d"),
                   func.count(case((returned, 1))).label("returns_30d"))
            .where(Order.buyer_id == bindparam("buyer_id"), Order.channel == bindparam("channel"),
                   Order.created_at >= bindparam("since_30d"), _arrived())
            .subquery("buyer"))


def _phone(limited: bool):  # noqa: ANN202
    today = and_(_same_phone(), Order.created_at >= bindparam("day_start"), _arrived())
    columns = [select(func.count()).select_from(Order).where(today)
               .scalar_subquery().label("orders_today")]
    if limited:  # the most orders today with one of this order's purchase-limited SKUs
        per_sku = (select(func.count(func.distinct(OrderLine.order_id)).label("n"))
                   .join(Order, Order.id == OrderLine.order_id)
                   .where(today, OrderLine.sku.in_(bindparam("limited", expanding=True)))
                   .group_by(OrderLine.sku).subquery("per_sku"))
        columns.append(select(func.max(per_sku.c.n)).scalar_subquery().label("limited_today"))
    return select(*columns).subquery("phone")


def _receiver():  # noqa: ANN202
    categories = (select(Sku.category)
                  .join(OrderLine, OrderLine.sku == Sku.code)
                  .join(Order, Order.id == OrderLine.order_id)
                  .where(_same_phone(), Order.receiver_name == bindparam("receiver_name"),
                         Order.created_at >= bindparam("since_30d"),
                         Order.id != bindparam("order_id"), Sku.category != "", _arrived())
                  .distinct().subquery("categories"))
    return (select(func.aggregate_strings(categories.c.category, SEPARATOR).label("categories"))
            .subquery("receiver"))


def _address():  # noqa: ANN202
    return (select(func.count(func.distinct(Order.buyer_id)).label("accounts"))
            .where(Order.receiver_detail == bindparam("detail"),
                   Order.created_at >= bindparam("since_90d"),
                   Order.receiver_district == bindparam("district"),
                   Order.receiver_city == bindparam("city"), Order.buyer_id.is_not(None),
                   _arrived())
            .subquery("address"))


def _candidates():  # noqa: ANN202 — orders that may duplicate this one
    return and_(_same_phone(), Order.receiver_name == bindparam("receiver_name"),
                Order.created_at >= bindparam("since_24h"), Order.id != bindparam("order_id"),
                _arrived(),
                Order.status.not_in((lc.CANCELLED, lc.CLOSED)))


def _duplicates():  # noqa: ANN202
    return (select(func.count().label("candidates")).select_from(Order).where(_candidates())
            .subquery("duplicates"))


_DUPLICATE_LINES = (select(OrderLine.order_id, OrderLine.platform_sku, OrderLine.quantity)
                    .join(Order, Order.id == OrderLine.order_id).where(_candidates()))
_STATEMENTS: dict[tuple[frozenset[str], bool], Any] = {}


def statement(parts: frozenset[str], limited: bool):  # noqa: ANN201
    """The one history statement for these parts (built once, then reused)."""
    key = (parts, limited)
    if key not in _STATEMENTS:
        built = {"buyer": _buyer, "phone": lambda: _phone(limited), "receiver": _receiver,
                 "address": _address, "duplicates": _duplicates}
        subqueries = [built[name]() for name, _ in PARTS if name in parts]
        stmt = select(*[c for sq in subqueries for c in sq.c]).select_from(subqueries[0])
        for sq in subqueries[1:]:
            stmt = stmt.join(sq, true())
        _STATEMENTS[key] = stmt
    return _STATEMENTS[key]


def day_start(now: datetime) -> datetime:
    local = now.astimezone(ZoneInfo(get_settings().timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def query(session: Session, order: Order, parts: frozenset[str],
          limited_skus: list[str]) -> dict[str, Any]:
    """The history values of `parts` for `order`, by field name (the others are absent).
    Runs on the session's connection, without autoflush: context.build has flushed."""
    if not parts:
        return {}
    now = clock.now()
    phone = order.receiver_phone or None  # None matches nothing: no phone, no history
    params = {"buyer_id": order.buyer_id or None, "channel": order.channel,
              "since_24h": now - timedelta(hours=24), "since_30d": now - timedelta(days=30),
              "since_90d": now - timedelta(days=90), "day_start": day_start(now),
              "phone": phone, "phone_tail": order.receiver_phone_tail,
              "receiver_name": order.receiver_name, "order_id": order.id,
              "detail": order.receiver_detail or None, "district": order.receiver_district,
              "city": order.receiver_city, "limited": limited_skus}
    limited = "phone" in parts and bool(limited_skus)
    row = session.connection().execute(statement(parts, limited), params).one()._mapping
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
        out["duplicates_24h"] = (_count_duplicates(session, order, params)
                                 if row["candidates"] else 0)
    return out


def _count_duplicates(session: Session, order: Order, params: dict[str, Any]) -> int:
    """Candidates whose lines are the same (platform SKU, quantity) multiset as this order's."""
    others: dict[int, Counter] = {}
    for order_id, platform_sku, quantity in session.connection().execute(_DUPLICATE_LINES, params):
        others.setdefault(order_id, Counter())[(platform_sku, quantity)] += 1
    mine = Counter((l.platform_sku, l.quantity) for l in order.lines)
    return sum(1 for items in others.values() if items == mine)
