"""How the Pinduoduo simulator writes a SimOrder: PDD field names, yuan as JSON numbers,
`yyyy-MM-dd HH:mm:ss` GMT+8 times, encrypted receiver fields with `*_mask` copies."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta
from typing import Any

from orderhub.sim.platform import SimOrder, beijing

# Only paid orders exist on PDD's open API; the rest of the statuses map to these.
ORDER_STATUS = {"paid": 1, "closed": 1, "shipped": 2, "completed": 3}
PRODUCT_IDS = 580_000_000_000  # goods_id = this + the catalogue position


def visible(order: SimOrder) -> bool:
    """PDD's order APIs show an order once it is paid (unpaid and unpaid-cancelled never)."""
    return order.paid is not None and order.status in ORDER_STATUS


def risk_controlled(order_sn: str) -> bool:
    """About one order in forty is held by PDD's risk control (stable per order)."""
    return int(hashlib.md5(order_sn.encode()).hexdigest(), 16) % 40 == 0


def refund_status(order: SimOrder) -> int:
    states = [line.refund for line in order.lines]
    if all(s == "refunded" for s in states):
        return 4
    if any(s != "none" for s in states):
        return 2
    return 1


def _tag(value: str) -> str:
    return hashlib.md5(value.encode()).hexdigest()[:8]


def cipher_text(kind: str, value: str) -> str:
    """Names and addresses: `~<base64>~<tag>~0~~` (a stand-in, not decryptable)."""
    body = base64.b64encode(b"\x02\x00\x00\x00" + hashlib.sha256(f"{kind}:{value}".encode()).digest())
    return f"~{body.decode()}~{_tag(value)}~0~~"


def cipher_phone(value: str) -> str:
    """Phones: `$<tag>$<base64>$0$$`."""
    body = base64.b64encode(b"\x02\x00\x00\x00" + hashlib.sha256(f"tel:{value}".encode()).digest())
    return f"${_tag(value)[:6]}${body.decode()}$0$$"


def mask_name(name: str) -> str:
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    return phone[:1] + "*" * 9 + phone[-1:] if len(phone) >= 3 else "***"


def mask_detail(detail: str) -> str:
    return re.sub(r"\d", "*", detail)


def money(amount: Any) -> float:
    return float(amount)  # PDD sends doubles; the connector converts back through the text


def item(line: Any) -> dict[str, Any]:
    goods_id = PRODUCT_IDS + (int(line.sku_id) - 4_000_000_000) // 1000
    return {"goods_id": goods_id, "sku_id": int(line.sku_id), "outer_id": line.outer_code,
            "outer_goods_id": line.outer_code.rsplit("-", 1)[0], "goods_name": line.title,
            "goods_spec": "默认", "goods_price": money(line.unit_price),
            "goods_count": line.quantity,
            "goods_img": "https://img.pddpic.com/mms-material-img/sim/demo.jpeg"}


def render(order: SimOrder) -> dict[str, Any]:
    r = order.receiver
    shipment = order.shipment or {}
    detail, full = r["detail"], f"{r['province']}{r['city']}{r['district']}{r['detail']}"
    refund = refund_status(order)
    status = ORDER_STATUS[order.status]
    paid = order.paid or order.created
    return {
        "order_sn": order.order_id, "order_status": status, "refund_status": refund,
        "after_sales_status": {1: 0, 2: 6, 4: 10}.get(refund, 0), "confirm_status": 1,
        "group_status": 1, "trade_type": 0, "is_lucky_flag": 1,
        "is_pre_sale": 1 if order.presale else 0,
        "pre_sale_time": beijing(order.promised_ship_at) if order.presale else "",
        "risk_control_status": 1 if risk_controlled(order.order_id) else 0,
        "is_stock_out": 0, "stock_out_handle_status": -1,
        "created_time": beijing(order.created), "confirm_time": beijing(paid),
        "pay_time": beijing(paid), "updated_at": beijing(order.modified),
        "last_ship_time": beijing(order.promised_ship_at or paid + timedelta(hours=48)),
        "shipping_time": beijing(order.modified) if shipment else "",
        "receive_time": beijing(order.modified) if order.status == "completed" else "",
        "country": "中国", "country_id": 0,
        "province": r["province"], "city": r["city"], "town": r["district"],
        "province_id": 0, "city_id": 0, "town_id": 0,
        "receiver_name": cipher_text("name", r["name"]), "receiver_name_mask": mask_name(r["name"]),
        "receiver_phone": cipher_phone(r["phone"]), "receiver_phone_mask": mask_phone(r["phone"]),
        "receiver_address": cipher_text("addr", detail),
        "receiver_address_mask": mask_detail(detail),
        "address": cipher_text("full", full), "address_mask": mask_detail(full),
        "buyer_memo": order.buyer_remark, "remark": order.seller_memo,
        "remark_tag": 1 if order.seller_memo else 0,
        "goods_amount": money(order.goods_total), "discount_amount": money(order.discount_total),
        "platform_discount": 0.0, "seller_discount": money(order.discount_total),
        "capital_free_discount": 0.0, "order_change_amount": 0.0,
        "postage": money(order.shipping_fee), "pay_amount": money(order.total),
        "pay_type": "WEIXIN", "pay_no": f"4200{order.order_id.replace('-', '')}",
        "logistics_id": int(shipment.get("carrier", 0) or 0),
        "tracking_number": shipment.get("tracking_no", ""),
        "step_order_info": None,
        "item_list": [item(line) for line in order.lines],
    }
