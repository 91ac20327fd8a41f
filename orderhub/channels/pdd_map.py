"""Pinduoduo order (`order_sn_list[]` item / `order_info`) -> the canonical order dict.

Units: money in yuan as JSON numbers (doubles), converted exactly through their decimal text;
times `yyyy-MM-dd HH:mm:ss` in GMT+8. Receiver name, phone and address are ciphertext
(`~base64~tag~0~~`, `$tag$base64$0$$`); people see the `*_mask` copies and the ciphertext is
kept in receiver["encrypted"]. PDD gives discounts and refund status per order, not per line:
the discount is spread over the lines by amount (exact to the fen) and the order's refund
status is every line's.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from orderhub.channels._top import beijing_seconds

BEIJING = timezone(timedelta(hours=8))
CENT = Decimal("0.01")
REFUND = {1: "none", 2: "requested", 3: "refunding", 4: "refunded"}
COUNTRIES = {"中国": "CN", "": "CN"}


def yuan(value: Any) -> Decimal:
    """49.9 -> Decimal('49.90') via the number's shortest text, never float arithmetic."""
    if value is None or isinstance(value, bool):
        raise ValueError(f"money must be a number, got {value!r}")
    amount = Decimal(str(value))
    if not amount.is_finite():
        raise ValueError(f"money must be finite, got {value!r}")
    return amount.quantize(CENT)


def when(value: Any) -> datetime | None:
    """'2024-05-18 09:32:47' (GMT+8) -> aware datetime; empty means "not yet"."""
    if not value:
        return None
    return beijing_seconds(str(value).strip()[:19])


def is_cipher(text: str) -> bool:
    return (text.startswith("~") and text.endswith("~~")) or \
        (text.startswith("$") and text.endswith("$$"))


def status_of(raw: dict[str, Any]) -> str:
    order_status = int(raw["order_status"])
    refund = int(raw.get("refund_status") or 1)
    group = raw.get("group_status")
    if group is not None and int(group) == 2:
        return "closed"  # the group buy failed: refunded by the platform
    if order_status == 1:
        if refund == 4:
            return "closed"  # fully refunded before shipping
        confirm = raw.get("confirm_status")
        if (group is not None and int(group) == 0) or (confirm is not None and int(confirm) == 0):
            return "pending_payment"  # group still forming: not yet a deal, must not ship
        step = raw.get("step_order_info") or {}
        if int(raw.get("trade_type") or 0) == 1 and int(step.get("step_trade_status", 2)) != 2:
            return "pending_payment"  # deposit presale whose final payment is not made
        return "paid"
    if order_status == 2:
        return "shipped"
    if order_status == 3:
        return "delivered"
    raise ValueError(f"unknown PDD order_status {order_status}")


def spread(discount: Decimal, gross: list[Decimal]) -> list[Decimal]:
    """Share an order-level discount over lines in proportion to their amounts, in whole fen,
    the remainder on the last line, so the shares add up exactly."""
    total_fen = int(discount * 100)
    weights = [int(g * 100) for g in gross]
    whole = sum(weights)
    shares = [total_fen * w // whole if whole else 0 for w in weights]
    shares[-1] += total_fen - sum(shares)
    return [Decimal(s) / 100 for s in shares]


def to_lines(raw: dict[str, Any]) -> list[dict[str, Any]]:
    items = raw["item_list"]
    if not items:
        raise ValueError("order has no item_list")
    refund = REFUND.get(int(raw.get("refund_status") or 1), "requested")
    prices = [yuan(item["goods_price"]) for item in items]
    counts = []
    for item in items:
        count = item["goods_count"]
        if isinstance(count, bool) or int(count) != count or count <= 0:
            raise ValueError(f"goods_count must be a positive integer, got {count!r}")
        counts.append(int(count))
    discounts = spread(yuan(raw.get("discount_amount") or 0),
                       [p * c for p, c in zip(prices, counts, strict=True)])
    lines, used = [], set()
    for item, price, count, discount in zip(items, prices, counts, discounts, strict=True):
        line_id = str(item["sku_id"])  # PDD has no line id; the SKU is unique within an order
        while line_id in used:
            line_id += "+"
        used.add(line_id)
        lines.append({
            "platform_sku": str(item.get("outer_id") or item["sku_id"]),
            "platform_line_id": line_id,
            "title": item.get("goods_name") or "",
            "quantity": count,
            "unit_price": str(price),
            "discount": str(discount.quantize(CENT)),
            "refund_status": refund,
        })
    return lines


def _shown(raw: dict[str, Any], masked: str, plain: str) -> str:
    if raw.get(masked):
        return str(raw[masked])
    text = str(raw.get(plain) or "")
    return "" if is_cipher(text) else text


def to_receiver(raw: dict[str, Any]) -> dict[str, Any]:
    district = raw.get("town") or ""
    return {
        "name": _shown(raw, "receiver_name_mask", "receiver_name"),
        "phone": _shown(raw, "receiver_phone_mask", "receiver_phone"),
        "province": raw["province"] or "",
        "city": raw.get("city") or district,  # county-level cities may come only as the town
        "district": district,
        "street": "",
        "address": _shown(raw, "receiver_address_mask", "receiver_address"),
        "zip": "",
        "country": COUNTRIES.get(raw.get("country") or "", "CN"),
        "encrypted": {"name": raw.get("receiver_name") or "",
                      "phone": raw.get("receiver_phone") or "",
                      "address": raw.get("receiver_address") or "",
                      "full_address": raw.get("address") or ""},
    }


def version(raw: dict[str, Any]) -> tuple[str, Any, str]:
    """(id, modified time, status) as `to_order` sets them, without mapping the rest."""
    return str(raw["order_sn"]), when(raw["updated_at"]), status_of(raw)


def to_order(raw: dict[str, Any]) -> dict[str, Any]:
    created = when(raw["created_time"])
    if created is None:
        raise ValueError("created_time is empty")
    tags = ["risk_control"] if int(raw.get("risk_control_status") or 0) == 1 else []
    return {
        "platform_order_id": str(raw["order_sn"]),
        "status": status_of(raw),
        "created_at": created,
        "paid_at": when(raw.get("pay_time")) or when(raw.get("confirm_time")),
        "modified_at": when(raw["updated_at"]),
        "buyer": {"id": None, "nick": None},
        "receiver": to_receiver(raw),
        "buyer_remark": raw.get("buyer_memo") or "",
        "seller_memo": raw.get("remark") or "",
        "currency": "CNY",
        "lines": to_lines(raw),
        "shipping_fee": str(yuan(raw.get("postage") or 0)),
        "total": str(yuan(raw["pay_amount"])),
        "presale": int(raw.get("is_pre_sale") or 0) == 1 or int(raw.get("trade_type") or 0) == 1,
        "promised_ship_at": when(raw.get("last_ship_time")) or when(raw.get("pre_sale_time")),
        "tags": tags,
    }
