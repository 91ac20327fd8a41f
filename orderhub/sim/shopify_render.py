"""How the Shopify simulator shows its orders: ids, the catalogue (products, variants,
inventory items), overseas or Chinese addresses, order JSON and fulfillment orders.

A cross-border seller's shop sells in USD (default) to buyers abroad; a shop set to CNY sells to
buyers in China and gets Chinese addresses with Shopify's English province names and codes.
"""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from orderhub.sim.platform import PRODUCTS, UNKNOWN_PRODUCTS, SimOrder

CATALOGUE = PRODUCTS + UNKNOWN_PRODUCTS
ORDER_BASE, FO_OFFSET, FO_LINE_OFFSET = 5_600_000_000_000, 1_100_000_000_000, 20_000_000_000_000
LOCATION_ID = 71_234_567_890
USD_PER_CNY = Decimal("7.2")
# (name, address1, address2, city, province, province_code, country, country_code, zip, phone);
# 555-01xx numbers are reserved for fiction in North America.
OVERSEAS = [
    ("Emily Johnson", "1425 Maple Avenue", "Apt 3B", "Springfield", "Illinois", "IL",
     "United States", "US", "62704", "+1 217-555-0143"),
    ("Michael Brown", "88 Sunset Boulevard", "", "Los Angeles", "California", "CA",
     "United States", "US", "90028", "+1 323-555-0187"),
    ("Sarah Miller", "230 Pine Street", "Suite 12", "Seattle", "Washington", "WA",
     "United States", "US", "98101", "+1 206-555-0112"),
    ("Oliver Smith", "14 Baker Street", "Flat 2", "London", "England", "ENG",
     "United Kingdom", "GB", "W1U 3BW", "+44 20 7946 0321"),
    ("Liam Tremblay", "455 Rue Sainte-Catherine O", "", "Montréal", "Quebec", "QC",
     "Canada", "CA", "H3B 1A7", "+1 514-555-0166"),
    ("Charlotte Wilson", "27 George Street", "Unit 5", "Sydney", "New South Wales", "NSW",
     "Australia", "AU", "2000", "+61 2 5550 1234"),
    ("Lukas Müller", "Hauptstraße 12", "", "Berlin", "Berlin", "BE", "Germany", "DE",
     "10115", "+49 30 5550199"),
    ("Tan Wei Ling", "10 Anson Road", "#12-05", "Singapore", "", "", "Singapore", "SG",
     "079903", "+65 6555 0123"),
]
STREETS = ["742 Evergreen Terrace", "31 Spooner Street", "1600 Elm Street", "9 Harbour Road"]
CN_CODES = {"浙江省": ("Zhejiang", "ZJ"), "江苏省": ("Jiangsu", "JS"), "上海市": ("Shanghai", "SH"),
            "北京市": ("Beijing", "BJ"), "广东省": ("Guangdong", "GD"), "四川省": ("Sichuan", "SC"),
            "湖北省": ("Hubei", "HB"), "山东省": ("Shandong", "SD"), "河南省": ("Henan", "HA"),
            "新疆维吾尔自治区": ("Xinjiang", "XJ"), "云南省": ("Yunnan", "YN"),
            "黑龙江省": ("Heilongjiang", "HL")}


def ids(code: str) -> dict[str, int]:
    """product, variant and inventory item ids of a catalogue SKU."""
    i = next(n for n, (known, _, _) in enumerate(CATALOGUE) if known == code)
    return {"product_id": 8_100_000_000_000 + i * 7, "variant_id": 44_100_000_000_000 + i * 11,
            "inventory_item_id": 46_200_000_000_000 + i * 13}


def usd(yuan: Decimal) -> Decimal:
    """A CNY catalogue price as a cross-border USD price ending in .99."""
    return max((yuan / USD_PER_CNY).quantize(Decimal(1)) - Decimal("0.01"), Decimal("0.99"))


def overseas(order: SimOrder, rng: random.Random) -> None:
    """Turn a generated order into an order from a buyer abroad, priced in USD."""
    name, a1, a2, city, prov, code, country, cc, zip_, phone = rng.choice(OVERSEAS)
    order.receiver = {"name": name, "phone": phone, "province": prov, "province_code": code,
                      "city": city, "district": "", "street": a2, "detail": a1, "zip": zip_,
                      "country": country, "country_code": cc}
    order.buyer_nick = name
    for line in order.lines:
        ratio = line.discount / (line.unit_price * line.quantity)
        line.unit_price = usd(line.unit_price)
        line.discount = (line.unit_price * line.quantity * ratio).quantize(Decimal("0.01"))
    order.shipping_fee = Decimal("0.00") if order.goods_total >= 49 else Decimal("6.99")


def new_street(rng: random.Random) -> str:
    return rng.choice(STREETS)


def address(order: SimOrder) -> dict[str, Any]:
    r = order.receiver
    if "country_code" in r:
        first, _, last = r["name"].partition(" ")
        return {"first_name": first, "last_name": last, "name": r["name"], "company": None,
                "address1": r["detail"], "address2": r["street"], "city": r["city"],
                "province": r["province"], "province_code": r["province_code"],
                "country": r["country"], "country_code": r["country_code"], "zip": r["zip"],
                "phone": r["phone"], "latitude": None, "longitude": None}
    english, code = CN_CODES.get(r["province"], (r["province"], ""))
    return {"first_name": r["name"][1:], "last_name": r["name"][:1], "name": r["name"],
            "company": None, "address1": f"{r['district']}{r['detail']}", "address2": "",
            "city": r["city"], "province": english, "province_code": code, "country": "China",
            "country_code": "CN", "zip": r.get("zip", ""), "phone": f"+86 {r['phone']}",
            "latitude": None, "longitude": None}


def stamp(value: datetime | None, zone: ZoneInfo) -> str | None:
    return None if value is None else value.astimezone(zone).replace(microsecond=0).isoformat()


def financial_status(order: SimOrder) -> str:
    if order.status == "unpaid":
        return "pending"
    if order.status == "cancelled":
        return "voided"  # cancelled before payment: the authorisation is voided
    if order.status == "closed":
        return "refunded"
    refunded = [line for line in order.lines if line.refund != "none"]
    if not refunded:
        return "paid"
    return "refunded" if len(refunded) == len(order.lines) else "partially_refunded"


def fulfilled_quantities(order: SimOrder, fulfilled: dict[str, int]) -> dict[str, int]:
    if order.status in ("shipped", "completed") and not any(l.line_id in fulfilled
                                                            for l in order.lines):
        return {line.line_id: line.quantity for line in order.lines}
    return {line.line_id: fulfilled.get(line.line_id, 0) for line in order.lines}


def fulfillment_status(order: SimOrder, done: dict[str, int]) -> str | None:
    shipped = [done[line.line_id] for line in order.lines]
    if all(q >= line.quantity for q, line in zip(shipped, order.lines, strict=True)):
        return "fulfilled"
    return "partial" if any(shipped) else None


def render(order: SimOrder, *, number: int, currency: str, zone: ZoneInfo,
           fulfilled: dict[str, int]) -> dict[str, Any]:
    done = fulfilled_quantities(order, fulfilled)
    oid = int(order.order_id)
    cancelled = order.status in ("cancelled", "closed")
    nick = order.buyer_nick
    first, last = nick.split(" ", 1) if " " in nick else (nick[1:], nick[:1])  # 王小明 -> 小明, 王
    refunds = [line for line in order.lines if line.refund != "none"]
    return {
        "id": oid, "admin_graphql_api_id": f"gid://shopify/Order/{oid}",
        "name": f"#{number}", "order_number": number, "number": number - 1000,
        "email": f"buyer{order.buyer_id}@example.com", "test": False,
        "created_at": stamp(order.created, zone), "updated_at": stamp(order.modified, zone),
        "processed_at": stamp(order.paid or order.created, zone),
        "cancelled_at": stamp(order.modified, zone) if cancelled else None,
        "cancel_reason": "customer" if cancelled else None,
        "closed_at": stamp(order.modified, zone) if order.status == "completed" else None,
        "financial_status": financial_status(order),
        "fulfillment_status": fulfillment_status(order, done),
        "currency": currency, "presentment_currency": currency,
        "total_price": str(order.total),
        "subtotal_price": str(order.goods_total - order.discount_total),
        "total_line_items_price": str(order.goods_total),
        "total_discounts": str(order.discount_total), "total_tax": "0.00",
        "taxes_included": False, "note": order.buyer_remark or None, "note_attributes": [],
        "tags": "", "source_name": "web",
        "customer": {"id": 6_900_000_000_000 + int(order.buyer_id) % 10**9,
                     "email": f"buyer{order.buyer_id}@example.com",
                     "first_name": first, "last_name": last},
        "shipping_address": address(order),
        "shipping_lines": [{"id": oid + 7, "title": "Standard Shipping", "code": "Standard",
                            "price": str(order.shipping_fee), "source": "shopify"}],
        "line_items": [{
            "id": int(line.line_id), **ids(line.outer_code), "sku": line.outer_code,
            "title": line.title, "variant_title": None, "name": line.title,
            "quantity": line.quantity, "price": str(line.unit_price),
            "fulfillable_quantity": 0 if cancelled else line.quantity - done[line.line_id],
            "fulfillment_status": "fulfilled" if done[line.line_id] >= line.quantity else None,
            "total_discount": str(line.discount), "requires_shipping": True,
            "discount_allocations": [{"amount": str(line.discount),
                                      "discount_application_index": 0}] if line.discount else [],
        } for line in order.lines],
        "refunds": [{"id": oid + 900 + i, "created_at": stamp(order.modified, zone),
                     "note": "Refund requested by buyer",
                     "refund_line_items": [{"id": int(line.line_id) + 5, "quantity": line.quantity,
                                            "line_item_id": int(line.line_id),
                                            "subtotal": str(line.unit_price * line.quantity
                                                            - line.discount)}]}
                    for i, line in enumerate(refunds)],
    }


def fulfillment_orders(order: SimOrder, fulfilled: dict[str, int]) -> list[dict[str, Any]]:
    done = fulfilled_quantities(order, fulfilled)
    if order.status in ("cancelled", "closed"):
        status = "cancelled"
    else:
        status = "closed" if fulfillment_status(order, done) == "fulfilled" else "open"
    fo_id = int(order.order_id) + FO_OFFSET
    return [{
        "id": fo_id, "order_id": int(order.order_id), "status": status,
        "assigned_location_id": LOCATION_ID, "request_status": "unsubmitted",
        "line_items": [{
            "id": int(line.line_id) + FO_LINE_OFFSET, "fulfillment_order_id": fo_id,
            "line_item_id": int(line.line_id), "quantity": line.quantity,
            "fulfillable_quantity": 0 if status == "cancelled"
            else line.quantity - done[line.line_id],
            **{k: v for k, v in ids(line.outer_code).items() if k != "product_id"},
        } for line in order.lines],
    }]


def product_rows(stock: dict[str, int], currency: str) -> list[dict[str, Any]]:
    rows = []
    for code, title, yuan in CATALOGUE:
        price = yuan if currency == "CNY" else str(usd(Decimal(yuan)))
        found = ids(code)
        rows.append({"id": found["product_id"], "title": title, "status": "active",
                     "variants": [{"id": found["variant_id"], "product_id": found["product_id"],
                                   "sku": code, "title": "Default Title", "price": price,
                                   "inventory_item_id": found["inventory_item_id"],
                                   "inventory_quantity": stock.get(code, 100)}]})
    return rows
