"""A JD POP order (JOS `OrderSearchInfo`) as OrderHub's canonical order."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from orderhub.channels._top import money, parse_time, yuan

# orderState -> canonical status; TRADE_CANCELED depends on whether it was paid (`status_of`).
STATUSES = {
    "WAIT_SELLER_STOCK_OUT": "paid",  # 等待出库
    "WAIT_SELLER_DELIVERY": "paid",  # cross-border: waiting for domestic delivery
    "PAUSE": "paid",
    "POP_ORDER_PAUSE": "paid",
    "LOCKED": "paid",  # locked while the buyer's cancel/refund request is decided
    "SEND_TO_DISTRIBUTION_CENER": "shipped",  # (sic) LBP/SOPL only
    "DISTRIBUTION_CENTER_RECEIVED": "shipped",
    "WAIT_GOODS_RECEIVE_CONFIRM": "shipped",
    "RECEIPTS_CONFIRM": "completed",
    "FINISHED_L": "completed",
    "TRADE_CANCELED": "cancelled",
}
ORDER_STATES = ("WAIT_SELLER_STOCK_OUT,WAIT_SELLER_DELIVERY,WAIT_GOODS_RECEIVE_CONFIRM,PAUSE,"
                "POP_ORDER_PAUSE,FINISHED_L,TRADE_CANCELED,LOCKED")
OPTIONAL_FIELDS = (
    "orderId,venderId,orderType,payType,orderTotalPrice,orderSellerPrice,orderPayment,freightPrice,"
    "sellerDiscount,orderState,orderStateRemark,orderRemark,venderRemark,orderStartTime,"
    "paymentConfirmTime,orderEndTime,modified,consigneeInfo,itemInfoList,couponDetailList,"
    "balanceUsed,pin,openIdBuyer,returnOrder,waybill,logisticsId,parentOrderId,orderMarkDesc"
)


def order_id(info: dict[str, Any]) -> str:
    return str(info["orderId"])


def status_of(info: dict[str, Any]) -> str:
    state = info["orderState"]
    if state not in STATUSES:
        raise ValueError(f"unknown JD orderState {state!r}")
    if state == "TRADE_CANCELED" and parse_time(info.get("paymentConfirmTime")):
        return "closed"  # paid, then cancelled: the money goes back
    return STATUSES[state]


def version(info: dict[str, Any]) -> tuple[str, Any, str]:
    """(id, modified time, status) as `to_order` sets them, without mapping the rest."""
    return order_id(info), parse_time(info["modified"]), status_of(info)


def to_order(info: dict[str, Any]) -> dict[str, Any]:
    status = status_of(info)
    refund = {"LOCKED": "requested"}.get(info["orderState"], "none")
    if status == "closed":
        refund = "refunded"
    order: dict[str, Any] = {
        "platform_order_id": order_id(info),
        "status": status,
        "created_at": parse_time(info["orderStartTime"]),
        "paid_at": parse_time(info.get("paymentConfirmTime")),
        "modified_at": parse_time(info["modified"]),
        "buyer": {"id": info.get("openIdBuyer") or info.get("pin") or None,
                  "nick": info.get("pin") or None},
        "receiver": _receiver(info["consigneeInfo"]),
        "buyer_remark": info.get("orderRemark") or "",
        "seller_memo": info.get("venderRemark") or "",
        "currency": "CNY",
        "lines": _lines(info, refund),
        "shipping_fee": money(yuan(info.get("freightPrice") or "0", field="freightPrice")),
        "total": money(yuan(info["orderPayment"], field="orderPayment")),
        # JD has no clean presale flag in this API; the order marks name it (unverified).
        "presale": "预售" in (info.get("orderMarkDesc") or ""),
    }
    if info["orderState"] in ("PAUSE", "POP_ORDER_PAUSE"):
        order["tags"] = ["platform_paused"]
    return order


def _lines(info: dict[str, Any], refund: str) -> list[dict[str, Any]]:
    items = info["itemInfoList"]
    if not items:
        raise ValueError("order has no itemInfoList")
    # Seller discounts come as coupons per SKU; one without a SKU belongs to the whole order
    # and is put on the first line so the lines still add up to orderSellerPrice.
    coupons: dict[str, list[Decimal]] = defaultdict(list)
    for coupon in info.get("couponDetailList") or []:
        coupons[str(coupon.get("skuId") or "")].append(yuan(coupon["couponPrice"], field="couponPrice"))
    lines, seen = [], defaultdict(int)
    for item in items:
        sku_id = str(item["skuId"])
        seen[sku_id] += 1
        mine = coupons[sku_id]
        discount = mine.pop(0) if mine else Decimal(0)
        if seen[sku_id] == sum(1 for i in items if str(i["skuId"]) == sku_id):
            discount += sum(mine, Decimal(0))  # this SKU's last line takes what is left
            mine.clear()
        quantity = int(item["itemTotal"])
        if quantity < 1:
            raise ValueError(f"quantity {quantity} is not a positive number of pieces")
        lines.append({
            "platform_sku": item.get("outerSkuId") or sku_id,
            # JD has no line id; the SKU id is unique within an order except for repeats.
            "platform_line_id": sku_id if seen[sku_id] == 1 else f"{sku_id}-{seen[sku_id]}",
            "title": item.get("skuName") or "",
            "quantity": quantity,
            "unit_price": money(yuan(item["jdPrice"], field="jdPrice")),
            "discount": money(discount),
            "refund_status": refund,
            "platform_sku_id": sku_id,
            "platform_item_id": str(item.get("wareId") or ""),
        })
    whole_order = sum(coupons.pop("", []), Decimal(0))
    lines[0]["discount"] = money(yuan(lines[0]["discount"]) + whole_order)
    return lines


def _receiver(info: dict[str, Any]) -> dict[str, Any]:
    province, county = info.get("province") or "", info.get("county") or ""
    city, town = info.get("city") or county, info.get("town") or ""
    # fullAddress repeats the divisions before the (masked) detail: keep only the detail.
    address = info["fullAddress"] or ""
    for part in (province, info.get("city") or "", county, town):
        if part and address.startswith(part):
            address = address[len(part):]
    return {
        "name": info["fullname"] or "",
        "phone": info.get("desen_mobile") or info.get("mobile") or info.get("telephone") or "",
        "province": province, "city": city, "district": county, "street": town,
        "address": address, "zip": "", "country": "CN", "masked": True,
        "division_ids": {k: str(info.get(k) or "") for k in
                         ("provinceId", "cityId", "countyId", "townId")},
    }
