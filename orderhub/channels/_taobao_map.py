"""A Taobao/Tmall trade (TOP `Trade` with `orders.order[]`) as OrderHub's canonical order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from orderhub.channels._top import money, parse_time, yuan

# Trade.status -> canonical status. A staged (presale) trade is handled in `status_of`.
STATUSES = {
    "TRADE_NO_CREATE_PAY": "pending_payment",
    "WAIT_BUYER_PAY": "pending_payment",
    "PAY_PENDING": "pending_payment",
    "WAIT_PRE_AUTH_CONFIRM": "pending_payment",
    "WAIT_SELLER_SEND_GOODS": "paid",
    "PAID_FORBID_CONSIGN": "paid",  # paid, but the platform blocks shipping (group buy open)
    "SELLER_CONSIGNED_PART": "paid",  # some lines still to ship
    "WAIT_BUYER_CONFIRM_GOODS": "shipped",
    "TRADE_BUYER_SIGNED": "delivered",
    "TRADE_FINISHED": "completed",
    "TRADE_CLOSED": "closed",
    "TRADE_CLOSED_BY_TAOBAO": "cancelled",
}

# Order.refund_status -> canonical refund status ("CLOSED": the buyer withdrew the request).
REFUNDS = {
    "": "none", "NO_REFUND": "none", "CLOSED": "none",
    "WAIT_SELLER_AGREE": "requested",
    "WAIT_BUYER_RETURN_GOODS": "refunding",
    "WAIT_SELLER_CONFIRM_GOODS": "refunding",
    "SELLER_REFUSE_BUYER": "rejected",
    "SUCCESS": "refunded",
}

# What a list row must carry for us to map it without `taobao.trade.fullinfo.get`.
NEEDED = ("tid", "status", "created", "modified", "payment", "receiver_state", "receiver_address",
          "receiver_name", "orders")


def trade_id(trade: dict[str, Any]) -> str:
    return str(trade.get("tid_str") or trade["tid"])


def status_of(trade: dict[str, Any]) -> str:
    status = trade["status"]
    if status not in STATUSES:
        raise ValueError(f"unknown Taobao trade status {status!r}")
    # A presale trade whose final payment is missing is not payable-and-shippable yet.
    final_unpaid = trade.get("step_trade_status") not in (None, "", "FRONT_PAID_FINAL_PAID")
    if trade.get("type") == "step" and final_unpaid and STATUSES[status] == "paid":
        return "pending_payment"
    return STATUSES[status]


def version(trade: dict[str, Any]) -> tuple[str, Any, str]:
    """(id, modified time, status) as `to_order` sets them, without mapping the rest."""
    return trade_id(trade), parse_time(trade["modified"]), status_of(trade)


def to_order(trade: dict[str, Any]) -> dict[str, Any]:
    lines = [_line(order) for order in trade["orders"]["order"]]
    if not lines:
        raise ValueError("trade has no lines")
    status = status_of(trade)
    promised = _maybe_time(trade.get("est_con_time"))
    order: dict[str, Any] = {
        "platform_order_id": trade_id(trade),
        "status": status,
        "created_at": parse_time(trade["created"]),
        "paid_at": parse_time(trade.get("pay_time")),
        "modified_at": parse_time(trade["modified"]),
        "buyer": {"id": trade.get("buyer_open_uid") or None, "nick": trade.get("buyer_nick") or None},
        "receiver": _receiver(trade),
        "buyer_remark": trade.get("buyer_message") or "",
        "seller_memo": trade.get("seller_memo") or "",
        "currency": "CNY",
        "lines": lines,
        "shipping_fee": money(yuan(trade.get("post_fee") or "0", field="post_fee")),
        "total": money(yuan(trade["payment"], field="payment")),
        "presale": trade.get("type") == "step",
        "promised_ship_at": promised,
    }
    if trade["status"] == "PAID_FORBID_CONSIGN":
        order["tags"] = ["platform_blocks_shipping"]
    return order


def _line(item: dict[str, Any]) -> dict[str, Any]:
    quantity = item["num"]
    if isinstance(quantity, str):
        quantity = int(quantity)
    if quantity < 1:
        raise ValueError(f"quantity {quantity} is not a positive number of pieces")
    price = yuan(item["price"], field="price")
    # What the buyer pays for the line after every discount; the rest of price x num is discount.
    paid = item.get("divide_order_fee") or item.get("payment") or item.get("total_fee")
    discount = price * quantity - yuan(paid, field="payment") if paid not in (None, "") else Decimal(0)
    refund = item.get("refund_status") or ""
    if refund not in REFUNDS:
        raise ValueError(f"unknown Taobao refund status {refund!r}")
    return {
        "platform_sku": item.get("outer_sku_id") or item.get("outer_iid") or item.get("sku_id")
        or str(item["num_iid"]),
        "platform_line_id": str(item.get("oid_str") or item["oid"]),
        "title": item.get("title") or "",
        "quantity": quantity,
        "unit_price": money(price),
        "discount": money(discount),
        "refund_status": REFUNDS[refund],
        "platform_item_id": str(item.get("num_iid") or ""),
        "platform_sku_id": str(item.get("sku_id") or ""),
        "properties": item.get("sku_properties_name") or "",
    }


def _receiver(trade: dict[str, Any]) -> dict[str, Any]:
    # Receiver fields are masked for most apps; the oaid is what a Cainiao e-waybill or
    # `taobao.top.oaid.decrypt` needs, so it is kept beside the masked copy.
    district = trade.get("receiver_district") or ""
    city = trade.get("receiver_city") or district  # county-level cities may come only as district
    receiver: dict[str, Any] = {
        "name": trade["receiver_name"] or "",
        "phone": trade.get("receiver_mobile") or trade.get("receiver_phone") or "",
        "province": trade["receiver_state"] or "",
        "city": city,
        "district": district,
        "street": trade.get("receiver_town") or "",
        "address": trade["receiver_address"] or "",
        "zip": trade.get("receiver_zip") or "",
        "country": "CN",
        "masked": True,
    }
    if trade.get("receiver_phone") and trade.get("receiver_mobile"):
        receiver["landline"] = trade["receiver_phone"]
    if trade.get("oaid"):
        receiver["encrypted"] = {"oaid": trade["oaid"]}
    return receiver


def _maybe_time(text: Any) -> Any:
    """`est_con_time` is free text on some trades ("付款后15天内"); only a real time counts."""
    try:
        return parse_time(text)
    except ValueError:
        return None
