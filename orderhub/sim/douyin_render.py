"""How the Douyin simulator writes a SimOrder: `ShopOrderListItem` field names, fen, Unix seconds,
ciphertext in the plain receiver fields and masked copies beside them."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from orderhub.sim.platform import SimLine, SimOrder, mask_name

ORDER_STATUS = {"unpaid": 1, "paid": 2, "shipped": 3, "cancelled": 4, "closed": 4, "completed": 5}
STATUS_DESC = {1: "待支付", 105: "已支付", 2: "备货中", 101: "部分发货", 3: "已发货", 4: "已取消",
               5: "已完成"}
# line refund -> (after_sale_status, refund_status)
AFTER_SALE = {"none": (0, 0), "requested": (6, 1), "refunded": (12, 3)}
# Real division codes are not needed by anyone downstream; stable fake ids keep the shape.
SHOP_ID = 77977123


def fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def seconds(dt: datetime | None) -> int:
    return int(dt.timestamp()) if dt else 0


def cipher(kind: str, value: str) -> str:
    """Stand-in ciphertext ('#…#'); the real format is unpublished."""
    digest = hashlib.sha256(f"{kind}:{value}".encode()).digest()[:21]
    return f"#{base64.b64encode(digest).decode()}#"


def mask_tel(phone: str) -> str:
    return phone[:1] + "*" * 8 + phone[-2:] if len(phone) >= 3 else "***"


def mask_detail(detail: str) -> str:
    return re.sub(r"\d", "*", detail)


def division(name: str, code: str) -> dict[str, str]:
    return {"name": name, "id": code}


def address(order: SimOrder, detail: str, *, encrypted: bool) -> dict[str, Any]:
    r = order.receiver
    seed = int(hashlib.md5(f"{r['province']}{r['city']}{r['district']}".encode()).hexdigest()[:6], 16)
    addr = {"province": division(r["province"], f"{seed % 90 + 10}"),
            "city": division(r["city"], f"{seed % 900000 + 100000}"),
            "town": division(r["district"], f"{seed % 900000 + 100000 + 1}"),
            "street": division(r.get("street", ""), ""), "detail": detail}
    if encrypted:
        addr["encrypt_detail"] = detail
    return addr


def line(order: SimOrder, item: SimLine, now: datetime) -> dict[str, Any]:
    status = ORDER_STATUS[order.status]
    after_sale, refund = AFTER_SALE.get(item.refund, (6, 1))
    amount = item.unit_price * item.quantity
    return {
        "order_id": item.line_id, "parent_order_id": order.order_id, "order_level": 3,
        "order_status": status, "order_status_desc": STATUS_DESC[status],
        "trade_type": 0, "pre_sale_type": 1 if order.presale else 0, "goods_type": 0,
        "product_id": int(item.sku_id) // 1000, "product_id_str": str(int(item.sku_id) // 1000),
        "product_name": item.title, "sku_id": int(item.sku_id), "code": item.outer_code,
        "out_sku_id": "", "out_product_id": "", "spec": [{"name": "规格", "value": "默认"}],
        "item_num": item.quantity, "goods_price": fen(item.unit_price),
        "origin_amount": fen(item.unit_price), "sum_amount": fen(amount),
        "order_amount": fen(amount), "pay_amount": fen(amount - item.discount),
        "promotion_amount": fen(item.discount), "promotion_shop_amount": fen(item.discount),
        "promotion_platform_amount": 0, "post_amount": 0,
        "create_time": seconds(order.created), "pay_time": seconds(order.paid),
        "update_time": seconds(order.modified), "exp_ship_time": exp_ship(order),
        "after_sale_info": {"after_sale_status": after_sale, "after_sale_type": 0 if not after_sale else 1,
                            "refund_status": refund},
        "inventory_list": [],
    }


def exp_ship(order: SimOrder) -> int:
    if order.promised_ship_at:
        return seconds(order.promised_ship_at)
    return seconds(order.paid + timedelta(hours=48)) if order.paid else 0


def render(order: SimOrder, *, now: datetime) -> dict[str, Any]:
    """One shop order as order.searchList / order.orderDetail return it."""
    r = order.receiver
    status = ORDER_STATUS[order.status]
    goods = order.goods_total
    shipment = order.shipment or {}
    name_c, tel_c = cipher("name", r["name"]), cipher("tel", r["phone"])
    return {
        "order_id": order.order_id, "order_level": 2, "shop_id": SHOP_ID, "shop_name": "模拟抖店",
        "open_id": "", "doudian_open_id": cipher("buyer", order.buyer_id),
        "open_address_id": cipher("address", r["detail"]),
        "biz": 2, "biz_desc": "小店", "order_type": 0, "order_type_desc": "普通订单",
        "trade_type": 0, "trade_type_desc": "普通",
        "order_status": status, "order_status_desc": STATUS_DESC[status],
        "b_type": 2, "b_type_desc": "抖音", "pay_type": 1 if order.paid else 0,
        "create_time": seconds(order.created), "pay_time": seconds(order.paid),
        "update_time": seconds(order.modified),
        "finish_time": seconds(order.modified) if order.status == "completed" else 0,
        "exp_ship_time": exp_ship(order), "ship_time": int(float(shipment.get("at", 0) or 0)),
        "cancel_reason": "用户取消" if status == 4 else "",
        "buyer_words": order.buyer_remark, "seller_words": order.seller_memo,
        "seller_remark_stars": 1 if order.seller_memo else 0,
        "order_amount": fen(goods + order.shipping_fee), "pay_amount": fen(order.total),
        "post_amount": fen(order.shipping_fee), "post_insurance_amount": 0, "modify_amount": 0,
        "modify_post_amount": 0, "promotion_amount": fen(order.discount_total),
        "promotion_shop_amount": fen(order.discount_total), "promotion_platform_amount": 0,
        "post_receiver": name_c, "encrypt_post_receiver": name_c,
        "post_tel": tel_c, "encrypt_post_tel": tel_c,
        "mask_post_receiver": mask_name(r["name"]), "mask_post_tel": mask_tel(r["phone"]),
        "post_addr": address(order, cipher("addr", r["detail"]), encrypted=True),
        "mask_post_addr": address(order, mask_detail(r["detail"]), encrypted=False),
        "logistics_info": [{"tracking_no": shipment["tracking_no"],
                            "company": shipment.get("carrier", ""),
                            "company_name": shipment.get("company", ""),
                            "ship_time": int(float(shipment.get("at", 0) or 0))}]
        if shipment else [],
        "order_phase_list": [],
        "sku_order_list": [line(order, item, now) for item in order.lines],
    }
