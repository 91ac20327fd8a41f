"""Shopify Admin REST order JSON -> canonical order.

Money is decimal strings in the shop currency (`currency`); times are ISO-8601 with the shop's
offset. Status comes from three fields: `cancelled_at`, `financial_status` and
`fulfillment_status`. The order JSON has no payment time: `processed_at` stands in for it once
the order is paid. Buyers do not "request" refunds in the order JSON (returns are a separate
API): a line is refunded when a refund lists it in `refund_line_items`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

PAID = {"paid", "partially_refunded", "refunded", "authorized"}
UNPAID = {"pending", "partially_paid", "unpaid"}
# Shopify's province codes for China (ISO 3166-2:CN letters; Xizang is "YZ" on Shopify), so a
# Chinese address gets its province in Chinese like every other channel.
CN_PROVINCES = {
    "AH": "安徽省", "BJ": "北京市", "CQ": "重庆市", "FJ": "福建省", "GS": "甘肃省", "GD": "广东省",
    "GX": "广西壮族自治区", "GZ": "贵州省", "HI": "海南省", "HE": "河北省", "HL": "黑龙江省",
    "HA": "河南省", "HB": "湖北省", "HN": "湖南省", "NM": "内蒙古自治区", "JS": "江苏省",
    "JX": "江西省", "JL": "吉林省", "LN": "辽宁省", "NX": "宁夏回族自治区", "QH": "青海省",
    "SN": "陕西省", "SD": "山东省", "SH": "上海市", "SX": "山西省", "SC": "四川省", "TJ": "天津市",
    "XJ": "新疆维吾尔自治区", "YZ": "西藏自治区", "YN": "云南省", "ZJ": "浙江省",
}


def order_id(raw: dict[str, Any]) -> Any:
    return raw["id"]


def money(value: Any, field: str) -> str:
    """'54.99' -> '54.99'. Shopify sends strings; a float would already have lost exactness."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"{field}: money must be a decimal string, got {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{field}: {value!r} is not a decimal amount") from None
    if not amount.is_finite():
        raise ValueError(f"{field}: {value!r} is not a finite amount")
    return str(amount)


def when(value: Any, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError(f"{field}: {value!r} has no UTC offset")
    return parsed


def status(raw: dict[str, Any]) -> str:
    financial = raw.get("financial_status") or "pending"
    fulfilment = raw.get("fulfillment_status")
    if raw.get("cancelled_at"):
        # money taken and returned -> closed; never captured (voided, pending) -> cancelled
        return "closed" if financial in {"paid", "partially_refunded", "refunded"} else "cancelled"
    if fulfilment == "fulfilled":
        return "shipped"
    if financial in UNPAID:
        return "pending_payment"
    if financial in ("refunded", "voided"):
        return "closed"  # money returned without a cancellation: nothing left to ship
    if financial in PAID:
        return "paid"  # authorized counts: Shopify lets a merchant ship and capture later
    raise ValueError(f"unknown financial_status {financial!r}")


def version(raw: dict[str, Any]) -> tuple[str, Any, str]:
    """(id, modified time, status) as `to_order` sets them, without mapping the rest."""
    return str(raw["id"]), when(raw["updated_at"], "updated_at"), status(raw)


def to_order(raw: dict[str, Any]) -> dict[str, Any]:
    currency = raw["currency"]
    state = status(raw)
    refunded = refunded_quantities(raw.get("refunds") or [])
    return {
        "platform_order_id": str(raw["id"]),
        "status": state,
        "created_at": when(raw["created_at"], "created_at"),
        "paid_at": when(raw.get("processed_at"), "processed_at")
        if state not in ("pending_payment", "cancelled") else None,
        "modified_at": when(raw["updated_at"], "updated_at"),
        "buyer": buyer(raw.get("customer") or {}, raw),
        "receiver": receiver(raw.get("shipping_address") or {}),
        "buyer_remark": raw.get("note") or "",
        "currency": currency,
        "lines": [line(item, refunded) for item in raw["line_items"]],
        "shipping_fee": str(sum((Decimal(money(s["price"], "shipping_lines.price"))
                                 for s in raw.get("shipping_lines") or []), Decimal("0.00"))),
        "total": money(raw["total_price"], "total_price"),
        "tags": ["test"] if raw.get("test") else [],
        "platform_order_name": raw.get("name") or "",  # "#1001", what the seller sees
    }


def buyer(customer: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    name = " ".join(filter(None, [customer.get("first_name"), customer.get("last_name")]))
    return {"id": str(customer["id"]) if customer.get("id") else None,
            "nick": name or customer.get("email") or raw.get("email") or ""}


def receiver(address: dict[str, Any]) -> dict[str, Any]:
    country = (address.get("country_code") or "").upper()
    province = address.get("province") or ""
    if country == "CN":
        province = CN_PROVINCES.get(address.get("province_code") or "", province)
    found = {
        "name": address.get("name") or "",
        "phone": address.get("phone") or "",
        "province": province,
        "city": address.get("city") or "",
        "address": " ".join(filter(None, [address.get("address1"), address.get("address2")])),
        "zip": address.get("zip") or "",
        "company": address.get("company") or "",
    }
    if country:
        found["country"] = country
    return found


def line(item: dict[str, Any], refunded: dict[int, int]) -> dict[str, Any]:
    quantity = item["quantity"]
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise TypeError(f"line_items.quantity must be an integer, got {quantity!r}")
    discount = sum((Decimal(money(a["amount"], "discount_allocations.amount"))
                    for a in item.get("discount_allocations") or []), Decimal("0.00"))
    title = item.get("title") or ""
    if item.get("variant_title"):
        title = f"{title} - {item['variant_title']}"
    platform_sku = item.get("sku") or str(item.get("variant_id") or item.get("product_id") or "")
    if not platform_sku:
        raise ValueError(f"line item {item.get('id')}: no sku, variant or product id")
    return {
        "platform_sku": platform_sku,
        "platform_line_id": str(item["id"]),
        "title": title,
        "quantity": quantity,
        "unit_price": money(item["price"], "line_items.price"),
        "discount": str(discount),
        "refund_status": "refunded" if refunded.get(item["id"], 0) > 0 else "none",
    }


def refunded_quantities(refunds: list[dict[str, Any]]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for refund in refunds:
        for item in refund.get("refund_line_items") or []:
            counts[item["line_item_id"]] = counts.get(item["line_item_id"], 0) + int(item["quantity"])
    return counts
