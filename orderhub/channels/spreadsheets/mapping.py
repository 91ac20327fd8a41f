"""The canonical fields a sheet's columns map onto, and a suggested mapping from its headers.

Synonyms are the headers of Taobao/Tmall "订单报表" and "宝贝报表" exports, JD's order export,
Douyin/PDD exports and what sellers write in their own sheets, in Chinese and English.
"""

from __future__ import annotations

import re
import unicodedata

from orderhub.core.errors import InvalidInput

# Order-level fields: one value per order, taken from the first row of the order that has one.
ORDER_FIELDS = ("platform_order_id", "shop", "status", "created_at", "paid_at", "buyer_nick",
                "receiver_name", "receiver_phone", "receiver_province", "receiver_city",
                "receiver_district", "receiver_address", "buyer_remark", "seller_memo",
                "shipping_fee", "total")
# Line-level fields: one line per row.
LINE_FIELDS = ("platform_sku", "title", "quantity", "unit_price", "discount")
FIELDS = ORDER_FIELDS + LINE_FIELDS
REQUIRED = ("platform_order_id", "created_at", "platform_sku", "quantity", "unit_price")

SYNONYMS: dict[str, tuple[str, ...]] = {
    "platform_order_id": ("订单编号", "订单号", "平台订单号", "主订单编号", "订单id", "外部订单号",
                          "原始单号", "order id", "order no", "order number", "platform order id"),
    "shop": ("店铺", "店铺名称", "shop", "store"),
    "status": ("订单状态", "状态", "交易状态", "status", "order status"),
    "created_at": ("订单创建时间", "下单时间", "创建时间", "订单时间", "提交时间", "created at",
                   "order date", "order time", "created"),
    "paid_at": ("订单付款时间", "付款时间", "支付时间", "付款确认时间", "paid at", "payment time",
                "paid time"),
    "buyer_nick": ("买家会员名", "买家昵称", "买家账号", "下单帐号", "下单账号", "买家", "buyer",
                   "buyer nick", "customer"),
    "receiver_name": ("收货人姓名", "收货人", "收件人", "收件人姓名", "客户姓名", "consignee",
                      "receiver", "receiver name", "recipient", "name"),
    "receiver_phone": ("联系手机", "手机", "手机号", "手机号码", "收货人手机", "收件人手机",
                       "联系电话", "电话", "收货人电话", "phone", "mobile", "receiver phone",
                       "telephone", "tel"),
    "receiver_province": ("省", "省份", "收货省份", "province"),
    "receiver_city": ("市", "城市", "收货城市", "city"),
    "receiver_district": ("区", "区县", "区/县", "收货区县", "district", "county"),
    "receiver_address": ("收货地址", "详细地址", "地址", "收件地址", "客户地址", "收货人地址",
                         "address", "shipping address", "receiver address"),
    "buyer_remark": ("买家留言", "买家备注", "留言", "buyer remark", "buyer message", "note"),
    "seller_memo": ("卖家备注", "商家备注", "订单备注", "备注", "seller memo", "memo", "remark"),
    "shipping_fee": ("运费", "买家应付邮费", "邮费", "运费金额", "shipping", "shipping fee",
                     "postage"),
    "total": ("买家实际支付金额", "实付金额", "实收金额", "订单金额", "应付金额", "总金额",
              "total", "amount paid", "order total"),
    "platform_sku": ("商家编码", "商品编码", "商家sku编码", "sku编码", "货号", "外部系统编号",
                     "商品货号", "规格编码", "sku", "seller sku", "platform sku", "item code"),
    "title": ("宝贝标题", "商品名称", "商品标题", "标题", "品名", "title", "item", "product",
              "product name"),
    "quantity": ("购买数量", "数量", "订购数量", "宝贝总数量", "件数", "quantity", "qty"),
    "unit_price": ("单价", "价格", "商品单价", "销售单价", "京东价", "unit price", "price"),
    "discount": ("优惠", "优惠金额", "折扣", "商品优惠", "discount"),
}
_PUNCT = re.compile(r"[\s_\-:：()（）\[\]【】/.*]+")


def _key(header: str) -> str:
    """'联系手机：', 'Order_ID', '订单编号 ' all compare by their letters and digits."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", header).lower())


_LOOKUP = {_key(s): field for field, names in SYNONYMS.items() for s in names}


def suggest_mapping(headers: list[str]) -> dict[str, str]:
    """{field: header} for every header we recognise; the first header wins a field."""
    mapping: dict[str, str] = {}
    for header in headers:
        field = _LOOKUP.get(_key(header))
        if field and field not in mapping:
            mapping[field] = header
    return mapping


def check_mapping(mapping: dict[str, str]) -> dict[str, str]:
    """Known fields only, each with a column; the fields an order cannot do without."""
    cleaned = {f: c.strip() for f, c in mapping.items() if isinstance(c, str) and c.strip()}
    unknown = sorted(set(cleaned) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"unknown fields in the mapping: {', '.join(unknown)}",
                           details={"unknown": unknown, "fields": list(FIELDS)})
    missing = [f for f in REQUIRED if f not in cleaned]
    if missing:
        raise InvalidInput(f"the mapping needs a column for: {', '.join(missing)}",
                           details={"missing": missing})
    return cleaned


def check_columns(mapping: dict[str, str], headers: list[str]) -> None:
    """Every mapped column must be in the file (a renamed column would silently read as empty)."""
    # in FIELDS order: PostgreSQL's jsonb does not keep the order the mapping was saved in
    absent = {f: mapping[f] for f in FIELDS if f in mapping and mapping[f] not in headers}
    if absent:
        listed = ", ".join(f"{c} ({f})" for f, c in absent.items())
        raise InvalidInput(f"the file has no column {listed}",
                           details={"absent": absent, "headers": headers})
