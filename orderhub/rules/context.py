"""What a rule's condition can see: the order, its receiver (parsed address, phone kind), its
lines with SKU facts, and the buyer's history. Documented with examples in docs/rules.md.

The dataclasses below are the schema: rule-engine checks every name and attribute an expression
uses against them when the rule is saved, so a misspelt field is refused before it can run.
History needs database queries, so only the history fields that the rules about to run reference
are read (see expressions.Compiled.history_fields), in the one statement of lookup.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from orderhub.address import classify_phone, parse_address
from orderhub.core import audit, clock
from orderhub.core.money import to_major
from orderhub.inventory.catalog import SkuInfo
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order, OrderLine
from orderhub.rules import history, lookup

BEFORE_SHIPMENT = frozenset({lc.PENDING_PAYMENT, lc.PAID, lc.ON_HOLD, lc.ALLOCATED,
                             lc.AWAITING_STOCK, lc.LABEL_PRINTED})
CARRIER_SETTING = "rules.carrier_areas"
DEFAULT_CARRIER_AREAS = {
    "default_carrier": "ZTO",
    # Areas a carrier does not deliver to (province, optionally narrowed to a city / district).
    "exclusions": [
        {"carrier": "ZTO", "province": "西藏自治区", "city": "", "district": ""},
        {"carrier": "ZTO", "province": "新疆维吾尔自治区", "city": "阿里地区", "district": ""},
        {"carrier": "YTO", "province": "西藏自治区", "city": "", "district": ""},
        {"carrier": "YUNDA", "province": "西藏自治区", "city": "", "district": ""},
        {"carrier": "STO", "province": "西藏自治区", "city": "", "district": ""},
    ],
}
RETURNED = history.RETURNED
REFUND_OPEN = frozenset({"requested", "refunding"})


@dataclass
class AddressCtx:
    province: str = ""
    city: str = ""
    district: str = ""
    street: str = ""
    detail: str = ""
    adcode: str = ""
    confidence: float = 0.0
    vague: bool = False
    flags: list[str] = field(default_factory=list)


@dataclass
class ReceiverCtx:
    name: str = ""
    phone: str = ""
    phone_digits: str = ""  # digits only, e.g. "13800138000"
    phone_kind: str = ""  # mobile | landline | masked | virtual | invalid
    phone_valid: bool = False
    country: str = "CN"  # ISO code; the Chinese address and phone checks apply to "CN" only
    province: str = ""
    city: str = ""
    district: str = ""
    address: str = ""  # the whole address as one string (province ... detail)
    parsed: AddressCtx = field(default_factory=AddressCtx)
    excluded_carriers: list[str] = field(default_factory=list)  # carriers not delivering here


@dataclass
class LineCtx:
    line_no: int = 0
    platform_sku: str = ""
    sku: str | None = None
    title: str = ""
    quantity: int = 0
    unit_price: float = 0.0
    amount: float = 0.0
    refund_status: str = "none"
    mapped: bool = False
    category: str = ""
    purchase_limited: bool = False
    presale: bool = False
    weight_g: int = 0
    is_bundle: bool = False


@dataclass
class OrderCtx:
    order_no: str = ""
    channel: str = ""
    shop: str = ""
    platform_order_id: str = ""
    status: str = ""
    paid: bool = False
    before_shipment: bool = True
    total: float = 0.0  # major units (yuan), e.g. 379.0
    goods_total: float = 0.0
    currency: str = "CNY"
    presale: bool = False
    created_at: datetime | None = None
    paid_at: datetime | None = None
    minutes_since_created: float = 0.0
    minutes_since_paid: float = -1.0  # -1 while unpaid
    buyer_id: str = ""
    buyer_nick: str = ""
    buyer_remark: str = ""
    seller_memo: str = ""
    tags: list[str] = field(default_factory=list)
    priority: int = 0
    carrier: str = ""  # chosen carrier, else the default carrier
    warehouse: str = ""
    line_count: int = 0
    item_count: int = 0
    skus: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    unmapped_lines: int = 0
    presale_lines: int = 0
    instock_lines: int = 0
    limited_lines: int = 0
    refund_requested_lines: int = 0
    refunded_lines: int = 0


@dataclass
class HistoryCtx:
    buyer_orders_24h: int = 0
    buyer_orders_30d: int = 0
    buyer_returns_24h: int = 0
    buyer_returns_30d: int = 0
    buyer_return_rate_24h: float = 0.0
    buyer_return_rate_30d: float = 0.0
    phone_orders_today: int = 0
    limited_orders_today: int = 0  # most orders today by this phone with one limited SKU
    receiver_recent_categories: list[str] = field(default_factory=list)  # last 30 days
    repeat_categories: list[str] = field(default_factory=list)  # this order's ∩ the above
    address_accounts: int = 0  # buyer accounts using this address in the last 90 days
    duplicates_24h: int = 0  # same receiver name + phone + items within 24 h


@dataclass
class RuleContext:
    trigger: str
    order: OrderCtx
    receiver: ReceiverCtx
    lines: list[LineCtx]
    history: HistoryCtx


HISTORY_FIELDS = frozenset(f.name for f in fields(HistoryCtx))


def build(session: Session, order: Order, *, trigger: str,
          history_fields: Iterable[str] = HISTORY_FIELDS, areas: dict | None = None) -> RuleContext:
    """The context for one order; only the named history fields are queried, in the same
    statement as the SKU facts (and the carrier areas setting, unless `areas` is given)."""
    session.flush()  # the statement below runs on the connection, past the ORM's autoflush
    parts = history.parts_for(set(history_fields) & HISTORY_FIELDS)
    found = lookup.fetch(session, order, stamp=areas is None, parts=parts)
    if areas is None:
        areas = DEFAULT_CARRIER_AREAS if found.areas is None else found.areas
    return assemble(order, trigger=trigger, skus=found.skus or {}, past=found.history,
                    areas=areas, shop=found.shop_name)


def assemble(order: Order, *, trigger: str, skus: dict[str, SkuInfo], past: dict[str, Any],
             areas: dict, shop: str) -> RuleContext:
    """The context from what lookup.fetch read: `skus` by code, `past` the history fields,
    `shop` the shop's name."""
    lines = order.lines
    line_ctx = [_line(line, skus.get(line.sku or ""), order.currency) for line in lines]
    receiver = _receiver(order, areas)
    order_ctx = _order(order, line_ctx, str(areas.get("default_carrier", "")), shop)
    seen = HistoryCtx(**past)
    if "receiver_recent_categories" in past:
        seen.repeat_categories = sorted(set(order_ctx.categories)
                                        & set(seen.receiver_recent_categories))
    return RuleContext(trigger=trigger, order=order_ctx, receiver=receiver, lines=line_ctx,
                       history=seen)


def _major(minor: int, currency: str) -> float:
    return float(to_major(minor, currency))


def _line(line: OrderLine, info: SkuInfo | None, currency: str) -> LineCtx:
    return LineCtx(
        line_no=line.line_no, platform_sku=line.platform_sku, sku=line.sku, title=line.title,
        quantity=line.quantity, unit_price=_major(line.unit_price, currency),
        amount=_major(line.unit_price * line.quantity - line.discount, currency),
        refund_status=line.refund_status, mapped=info is not None,
        category=info.category if info else "", purchase_limited=bool(info and info.purchase_limited),
        presale=bool(info and info.presale), weight_g=info.weight_g if info else 0,
        is_bundle=bool(info and info.is_bundle))


def full_address(order: Order) -> str:
    return "".join(p for p in (order.receiver_province, order.receiver_city,
                               order.receiver_district, order.receiver_street,
                               order.receiver_detail) if p)


# Parsing an address (~0.2 ms) and classifying a phone are pure functions of their text with
# frozen results: an order evaluated again (created, then paid, then edited) reuses them.
parsed_address = lru_cache(maxsize=4096)(parse_address)
phone_info = lru_cache(maxsize=4096)(classify_phone)


def forget_parsed() -> None:
    """Empty the two memos (the bench does, so that each run parses as for a new order)."""
    parsed_address.cache_clear()
    phone_info.cache_clear()


def _receiver(order: Order, areas: dict) -> ReceiverCtx:
    # The pipeline may have moved 街道/镇 into receiver_street: parse the whole written address.
    parsed = parsed_address(order.receiver_street + order.receiver_detail,
                            province=order.receiver_province,
                            city=order.receiver_city, district=order.receiver_district)
    phone = phone_info(order.receiver_phone)
    address = AddressCtx(province=parsed.province, city=parsed.city, district=parsed.district,
                         street=parsed.street, detail=parsed.detail, adcode=parsed.adcode or "",
                         confidence=float(parsed.confidence), vague=parsed.vague,
                         flags=sorted(parsed.flags))
    province = order.receiver_province or parsed.province
    city = order.receiver_city or parsed.city
    district = order.receiver_district or parsed.district
    return ReceiverCtx(
        name=order.receiver_name, phone=order.receiver_phone, phone_digits=phone.normalized,
        phone_kind=phone.kind, phone_valid=phone.valid, country=order.receiver_country or "CN",
        province=province, city=city,
        district=district, address=full_address(order), parsed=address,
        excluded_carriers=excluded_carriers(areas, province, city, district))


def carrier_areas(session: Session) -> dict:
    return audit.get_setting(session, CARRIER_SETTING, DEFAULT_CARRIER_AREAS)


def excluded_carriers(areas: dict, province: str, city: str, district: str) -> list[str]:
    out = []
    for area in areas.get("exclusions", []):
        if area.get("province") and area["province"] != province:
            continue
        if area.get("city") and area["city"] != city:
            continue
        if area.get("district") and area["district"] != district:
            continue
        out.append(area["carrier"])
    return sorted(set(out))


def _minutes(since: datetime | None, now: datetime) -> float:
    return -1.0 if since is None else round((now - since).total_seconds() / 60, 2)


def _order(order: Order, lines: list[LineCtx], default_carrier: str, shop: str) -> OrderCtx:
    now = clock.now()
    attrs = order.attributes or {}
    status = order.held_from if order.status == lc.ON_HOLD and order.held_from else order.status
    return OrderCtx(
        order_no=order.order_no, channel=order.channel, shop=shop,
        platform_order_id=order.platform_order_id, status=order.status,
        paid=order.paid_at is not None or status not in (lc.PENDING_PAYMENT, lc.CLOSED),
        before_shipment=order.status in BEFORE_SHIPMENT,
        total=_major(order.total, order.currency),
        goods_total=_major(order.goods_total, order.currency), currency=order.currency,
        presale=order.presale, created_at=order.created_at, paid_at=order.paid_at,
        minutes_since_created=_minutes(order.created_at, now),
        minutes_since_paid=_minutes(order.paid_at, now),
        buyer_id=order.buyer_id or "", buyer_nick=order.buyer_nick or "",
        buyer_remark=order.buyer_remark or "", seller_memo=order.seller_memo or "",
        tags=list(order.tags or []), priority=order.priority or 0,
        carrier=str(attrs.get("carrier") or default_carrier),
        warehouse=str(attrs.get("warehouse") or ""), line_count=len(lines),
        item_count=sum(l.quantity for l in lines),
        skus=sorted({l.sku for l in lines if l.sku}),
        categories=sorted({l.category for l in lines if l.category}),
        unmapped_lines=sum(1 for l in lines if not l.mapped),
        presale_lines=sum(1 for l in lines if l.presale),
        instock_lines=sum(1 for l in lines if l.mapped and not l.presale),
        limited_lines=sum(1 for l in lines if l.purchase_limited),
        refund_requested_lines=sum(1 for l in lines if l.refund_status in REFUND_OPEN),
        refunded_lines=sum(1 for l in lines if l.refund_status == RETURNED))
