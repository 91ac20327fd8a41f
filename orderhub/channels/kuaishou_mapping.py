"""Kuaishou shop order (open.order.cursor.list / open.order.detail element) -> canonical order.

Units: money in fen (integers), times in Unix milliseconds. Each order carries exactly one item
(`orderItemInfo`); a buyer's multi-item checkout becomes several orders on Kuaishou.
Status and refund-status numbers are not confirmed by a source we could read (REFERENCE §5
marks them [U]); they are kept in one table each so a correction is one line.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

BEIJING = timezone(timedelta(hours=8))
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# [U] 10 待付款, 30 已付款(待发货), 40 已发货, 50 已收货, 70 交易成功, 80 交易关闭.
STATUSES = {10: "pending_payment", 30: "paid", 40: "shipped", 50: "delivered", 70: "completed",
            80: "closed"}
# [U] refund statuses: 10 buyer applied; 20-59 seller agreed / goods on the way back;
# 60 refunded; 70 refund closed (the seller refused or the buyer withdrew).
REFUND_REQUESTED, REFUND_DONE, REFUND_CLOSED = 10, 60, 70


def order_id(raw: dict[str, Any]) -> Any:
    return raw["orderBaseInfo"]["oid"]


def fen_to_yuan(value: Any, field: str) -> str:
    """3990 -> '39.90'. Refuses floats and booleans: fen are integers on the wire."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"{field}: fen must be an integer, got {type(value).__name__} {value!r}")
    amount = Decimal(str(value).strip())
    if amount != amount.to_integral_value():
        raise ValueError(f"{field}: {value!r} is not a whole number of fen")
    return str(amount.scaleb(-2).quantize(Decimal("0.01")))


def from_ms(value: Any, field: str) -> datetime | None:
    """Unix ms -> aware datetime in GMT+8; 0 means 'not yet' on Kuaishou."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"{field}: expected Unix milliseconds, got {value!r}")
    ms = int(value)
    return None if ms == 0 else (EPOCH + timedelta(milliseconds=ms)).astimezone(BEIJING)


def to_ms(value: datetime) -> int:
    """Whole milliseconds, rounded down, so adjacent windows share one exact bound."""
    span = value - EPOCH  # integer arithmetic: exact, and fast enough for large pages
    return span.days * 86_400_000 + span.seconds * 1_000 + span.microseconds // 1_000


def refund_status(refunds: list[dict[str, Any]]) -> str:
    if not refunds:
        return "none"
    code = int(refunds[-1]["refundStatus"])  # the latest refund decides
    if code == REFUND_DONE:
        return "refunded"
    if code == REFUND_CLOSED:
        return "rejected"
    return "requested" if code == REFUND_REQUESTED else "refunding"


def status_of(base: dict[str, Any]) -> str:
    code = int(base["status"])
    if code not in STATUSES:
        raise ValueError(f"unknown Kuaishou order status {code}")
    status = STATUSES[code]
    if status == "closed" and from_ms(base.get("payTime", 0), "payTime") is None:
        status = "cancelled"  # closed before payment: nothing to refund
    return status


def version(raw: dict[str, Any]) -> tuple[str, Any, str]:
    """(id, modified time, status) as `to_order` sets them, without mapping the rest."""
    base = raw["orderBaseInfo"]
    return str(base["oid"]), from_ms(base["updateTime"], "updateTime"), status_of(base)


def to_order(raw: dict[str, Any]) -> dict[str, Any]:
    base, item = raw["orderBaseInfo"], raw["orderItemInfo"]
    status = status_of(base)
    paid_at = from_ms(base.get("payTime", 0), "payTime")
    quantity = item["num"]
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise TypeError(f"orderItemInfo.num must be an integer, got {quantity!r}")
    tags = []
    if base.get("riskCode") or base.get("disableDeliveryReasonCode"):
        tags.append("risk_control")  # Kuaishou refuses shipment while either is set
    return {
        "platform_order_id": str(base["oid"]),
        "status": status,
        "created_at": from_ms(base["createTime"], "createTime"),
        "paid_at": paid_at,
        "modified_at": from_ms(base["updateTime"], "updateTime"),
        "buyer": {"id": str(base.get("buyerOpenId") or ""), "nick": base.get("buyerNick") or ""},
        "receiver": receiver(raw.get("orderAddress") or {}, raw.get("orderDeliveryInfo") or {}),
        "buyer_remark": base.get("remark") or "",
        "seller_memo": "；".join(str(n) for n in base.get("sellerNoteList") or []),
        "currency": "CNY",
        "lines": [{
            "platform_sku": item.get("skuNick") or str(item["skuId"]),
            "platform_line_id": str(item["orderItemId"]),
            "title": " ".join(filter(None, [item.get("itemTitle"), item.get("skuDesc")])),
            "quantity": quantity,
            "unit_price": fen_to_yuan(item["price"], "orderItemInfo.price"),
            "discount": fen_to_yuan(item.get("discountFee", 0), "orderItemInfo.discountFee"),
            "refund_status": refund_status(raw.get("orderRefundList") or []),
        }],
        "shipping_fee": fen_to_yuan(base.get("expressFee", 0), "expressFee"),
        "total": fen_to_yuan(base["totalFee"], "totalFee"),
        "presale": bool(base.get("preSale")),
        "promised_ship_at": from_ms(base.get("promiseTimeStampOfDelivery", 0),
                                    "promiseTimeStampOfDelivery"),
        "tags": tags,
    }


def receiver(address: dict[str, Any], delivery: dict[str, Any]) -> dict[str, Any]:
    """The masked copy for people; the ciphertext and open address id for the e-waybill."""
    district = address.get("district") or ""
    return {
        "name": address.get("desensitiseConsignee") or "",
        "phone": address.get("desensitiseMobile") or "",
        "province": address.get("province") or "",
        # county-level cities under a province come with an empty city: use the district
        "city": address.get("city") or district,
        "district": district,
        "street": address.get("town") or "",
        "address": address.get("desensitiseAddress") or "",
        "zip": "",
        "country": "CN",
        "encrypted": {
            "consignee": address.get("encryptedConsignee") or "",
            "mobile": address.get("encryptedMobile") or "",
            "address": address.get("encryptedAddress") or "",
            "open_address_id": delivery.get("openAddressId") or "",
        },
    }
