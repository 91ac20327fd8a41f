"""Douyin shop order (`ShopOrderListItem` / `shop_order_detail`) -> the canonical order dict.

Units: money in fen (integers), times in Unix seconds. The plain receiver fields
(`post_receiver`, `post_tel`, `post_addr.detail`) hold ciphertext; people see the `mask_*`
copies, and the ciphertext (plus `open_address_id`) is kept in receiver["encrypted"] for a
platform e-waybill or `order.batchDecrypt` later.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

BEIJING = timezone(timedelta(hours=8))
CENT = Decimal("0.01")

# order_status -> our status. 105 (paid) is a short step before 2 (备货中); both are shippable.
STATUSES = {1: "pending_payment", 105: "paid", 2: "paid", 101: "shipped", 3: "shipped",
            4: "cancelled", 5: "completed"}

# after_sale_info.after_sale_status -> line refund status (SDK AfterSaleInfo).
AFTER_SALE = {0: "none", 6: "requested", 13: "requested", 14: "requested", 7: "refunding",
              11: "refunding", 12: "refunded", 53: "refunded", 27: "rejected", 28: "rejected",
              29: "rejected", 51: "none"}
# after_sale_info.refund_status: 1 pending, 3 success, 4 failed.
REFUND = {0: "none", 1: "refunding", 3: "refunded", 4: "rejected"}


def fen(value: Any) -> str:
    """25800 -> '258.00'. Fen are integers on the wire; anything else is a bad payload."""
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"money in fen must be an integer, got {value!r}")
    return str((Decimal(int(value)) / 100).quantize(CENT))


def when(value: Any) -> datetime | None:
    """Unix seconds -> aware datetime in GMT+8; 0 or missing means "not yet"."""
    if value in (None, "", 0, "0"):
        return None
    return datetime.fromtimestamp(int(value), BEIJING)


def is_cipher(text: str) -> bool:
    # Douyin ciphertext is wrapped in '#' (format otherwise unpublished).
    return text.startswith("#") and len(text) > 2


def status_of(raw: dict[str, Any]) -> str:
    code = int(raw["order_status"])
    if code not in STATUSES:
        raise ValueError(f"unknown Douyin order_status {code}")
    return STATUSES[code]


def version(raw: dict[str, Any]) -> tuple[str, Any, str]:
    """(id, modified time, status) as `to_order` sets them, without mapping the rest."""
    return str(raw["order_id"]), when(raw["update_time"]), status_of(raw)


def refund_of(line: dict[str, Any]) -> str:
    info = line.get("after_sale_info") or {}
    status = int(info.get("after_sale_status") or 0)
    if status in AFTER_SALE and status != 0:
        return AFTER_SALE[status]
    refund = int(info.get("refund_status") or 0)
    if refund:
        return REFUND.get(refund, "requested")
    return "none" if status == 0 else "requested"  # an after-sale code we do not know: look


def to_line(line: dict[str, Any]) -> dict[str, Any]:
    quantity = line["item_num"]
    if isinstance(quantity, bool) or int(quantity) != quantity or quantity <= 0:
        raise ValueError(f"item_num must be a positive integer, got {quantity!r}")
    unit = line.get("origin_amount", line.get("goods_price"))
    if unit is None:
        raise KeyError("origin_amount")
    return {
        "platform_sku": str(line.get("code") or line.get("out_sku_id") or line["sku_id"]),
        "platform_line_id": str(line["order_id"]),
        "title": line.get("product_name") or "",
        "quantity": int(quantity),
        "unit_price": fen(unit),
        "discount": fen(line.get("promotion_amount") or 0),
        "refund_status": refund_of(line),
    }


def to_receiver(raw: dict[str, Any]) -> dict[str, Any]:
    addr = raw["post_addr"]
    masked = raw.get("mask_post_addr") or {}

    def name_of(part: str) -> str:
        return ((addr.get(part) or {}).get("name") or "").strip()

    plain_detail = addr.get("detail") or ""
    name = raw.get("mask_post_receiver") or _plain(raw.get("post_receiver"))
    phone = raw.get("mask_post_tel") or _plain(raw.get("post_tel"))
    district = name_of("town")
    return {
        "name": name, "phone": phone,
        "province": name_of("province"),
        # Province-administered county-level cities may come only as the district.
        "city": name_of("city") or district,
        "district": district,
        "street": name_of("street"),
        "address": masked.get("detail") or _plain(plain_detail),
        "zip": "", "country": "CN",
        "encrypted": {
            "name": raw.get("encrypt_post_receiver") or raw.get("post_receiver") or "",
            "phone": raw.get("encrypt_post_tel") or raw.get("post_tel") or "",
            "detail": addr.get("encrypt_detail") or plain_detail,
            "open_address_id": raw.get("open_address_id") or "",
        },
    }


def _plain(text: Any) -> str:
    text = str(text or "")
    return "" if is_cipher(text) else text


def to_order(raw: dict[str, Any]) -> dict[str, Any]:
    lines = [to_line(line) for line in raw["sku_order_list"]]
    if not lines:
        raise ValueError("order has no sku_order_list")
    created = when(raw["create_time"])
    if created is None:
        raise ValueError("create_time is missing")
    presale = int(raw.get("trade_type") or 0) == 2 or any(
        int(line.get("pre_sale_type") or 0) in (1, 2) or int(line.get("trade_type") or 0) == 2
        for line in raw["sku_order_list"])
    return {
        "platform_order_id": str(raw["order_id"]),
        "status": status_of(raw),
        "created_at": created,
        "paid_at": when(raw.get("pay_time")),
        "modified_at": when(raw["update_time"]),
        "buyer": {"id": raw.get("doudian_open_id") or None, "nick": None},
        "receiver": to_receiver(raw),
        "buyer_remark": raw.get("buyer_words") or "",
        "seller_memo": raw.get("seller_words") or "",
        "currency": "CNY",
        "lines": lines,
        "shipping_fee": fen(raw.get("post_amount") or 0),
        "total": fen(raw["pay_amount"]),
        "presale": presale,
        "promised_ship_at": when(raw.get("exp_ship_time")),
    }
