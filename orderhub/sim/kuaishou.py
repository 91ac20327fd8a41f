"""Kuaishou shop open platform simulator: signature checked exactly as the gateway does,
open.order.cursor.list / open.order.detail / open.seller.order.goods.deliver /
open.item.list.get / open.item.sku.stock.update, errors as `{"result": N, "error_msg": …}`.

Codes the reference marks [U] (see docs/channels.md): status numbers, the "nomore" end cursor,
the parameter / unknown-method / timestamp error codes chosen below.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from orderhub.channels.base import Credentials
from orderhub.channels.kuaishou import EXPRESS_CODES, sign
from orderhub.channels.kuaishou_mapping import REFUND_DONE, REFUND_REQUESTED, to_ms
from orderhub.sim.platform import (
    PRODUCTS,
    UNKNOWN_PRODUCTS,
    PlatformSim,
    SimOrder,
    SimRequest,
    SimResponse,
    mask_name,
    mask_phone,
)

STATUS_CODES = {"unpaid": 10, "paid": 30, "shipped": 40, "completed": 70, "cancelled": 80,
                "closed": 80}
ERR_SIGN, ERR_TOKEN_EMPTY, ERR_TOKEN_EXPIRED, ERR_TOO_FAST = 27, 12, 21, 1016
ERR_PARAM, ERR_NO_METHOD, ERR_TIMESTAMP = 4, 3, 28  # [U] codes of our choosing
MAX_SPAN = timedelta(days=7)
MAX_AGE = timedelta(days=90)
SKEW = timedelta(minutes=10)
GET_METHODS = {"open.order.cursor.list", "open.order.detail", "open.item.list.get"}
POST_METHODS = {"open.seller.order.goods.deliver", "open.item.sku.stock.update"}
CATALOGUE = PRODUCTS + UNKNOWN_PRODUCTS


def error(code: int, message: str) -> SimResponse:
    return SimResponse(200, {"result": code, "error_msg": message})


def ok(data: Any = None) -> SimResponse:
    return SimResponse(200, {"result": 1, "data": data} if data is not None else {"result": 1})


class KuaishouSim(PlatformSim):
    name = "kuaishou"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.broken: dict[str, list[str]] = {}
        self._last_window: tuple[Any, list[Any]] = (None, [])

    @property
    def sign_secret(self) -> str:
        return self.extra.get("sign_secret", self.app_secret)

    def generate(self, count: int, **kwargs: Any) -> list[SimOrder]:
        """Kuaishou orders carry one item each (a multi-item checkout is several orders)."""
        made = super().generate(count, **kwargs)
        with self.book.lock:
            for order in made:  # the very objects the book holds
                order.lines = order.lines[:1]
                order.shipping_fee = Decimal("0.00") if order.goods_total >= 99 else Decimal("8.00")
        return made

    def break_order(self, order_id: str, path: str) -> None:
        """Render this order without the field at `path` ("orderItemInfo.price"): a payload
        the connector cannot map, for the quarantine path."""
        self.broken.setdefault(order_id, []).append(path)

    def credentials(self) -> Credentials:
        """What a shop pointed at this running simulator needs."""
        return Credentials(app_key=self.app_key, app_secret=self.app_secret,
                           access_token=self.access_token, base_url=self.url,
                           extra={"sign_secret": self.sign_secret})

    def throttled(self, request: SimRequest) -> SimResponse:
        return error(ERR_TOO_FAST, "调用频率过快，请稍后重试")

    # --- gateway -----------------------------------------------------------------------------

    def handle(self, request: SimRequest) -> SimResponse:
        method = request.path.strip("/").replace("/", ".")
        params = request.params
        self.calls[method] += 1
        refused = self._check(request, method, params)
        if refused is not None:
            return refused
        try:
            param = json.loads(params.get("param") or "{}")
        except ValueError:
            return self._refuse("param", ERR_PARAM, "param 不是合法的JSON")
        handler = {
            "open.order.cursor.list": self._cursor_list, "open.order.detail": self._detail,
            "open.seller.order.goods.deliver": self._deliver,
            "open.item.list.get": self._item_list, "open.item.sku.stock.update": self._stock,
        }[method]
        try:
            return handler(param)
        except (KeyError, TypeError, ValueError) as exc:
            return self._refuse("param", ERR_PARAM, f"参数错误: {type(exc).__name__} {exc}")

    def _check(self, request: SimRequest, method: str, params: dict[str, str]) -> SimResponse | None:
        if method not in GET_METHODS | POST_METHODS or params.get("method") != method:
            return self._refuse("method", ERR_NO_METHOD, f"API不存在: {method}")
        if (method in POST_METHODS) != (request.method == "POST"):
            return self._refuse("http_method", ERR_PARAM, f"{method} 不支持 {request.method}")
        if not params.get("access_token"):
            return self._refuse("token", ERR_TOKEN_EMPTY, "access_token为空")
        sign_method = params.get("signMethod", "MD5")
        expected = (sign(params, self.sign_secret, sign_method)
                    if sign_method in ("MD5", "HMAC_SHA256") else None)
        if params.get("appkey") != self.app_key or params.get("sign") != expected:
            return self._refuse("bad_sign", ERR_SIGN, "签名验证失败")
        if params["access_token"] != self.access_token:
            return self._refuse("token", ERR_TOKEN_EXPIRED, "access_token已过期")
        try:
            sent = datetime.fromtimestamp(int(params.get("timestamp", "")) / 1000, UTC)
        except ValueError:
            return self._refuse("timestamp", ERR_TIMESTAMP, "timestamp格式错误")
        if abs(datetime.now(UTC) - sent) > SKEW:
            return self._refuse("timestamp", ERR_TIMESTAMP, "timestamp与服务器时间相差过大")
        return None

    def _refuse(self, reason: str, code: int, message: str) -> SimResponse:
        self.refused[reason] += 1
        return error(code, message)

    # --- orders ------------------------------------------------------------------------------

    def _cursor_list(self, param: dict[str, Any]) -> SimResponse:
        begin, end, size = int(param["beginTime"]), int(param["endTime"]), int(param["pageSize"])
        start_dt, end_dt = _dt(begin), _dt(end)
        if end < begin or end_dt - start_dt > MAX_SPAN:
            return self._refuse("window", ERR_PARAM, "查询时间跨度不能超过7天")
        if start_dt < datetime.now(UTC) - MAX_AGE:
            return self._refuse("window", ERR_PARAM, "只能查询最近90天的订单")
        if not 1 <= size <= 100 or param.get("queryType", 1) not in (1, 2):
            return self._refuse("param", ERR_PARAM, "pageSize须在1-100之间, queryType为1或2")
        by = "modified" if param.get("queryType") == 2 else "created"
        descending = param.get("sort") == 2
        cursor = str(param.get("cursor") or "")
        after = _decode(cursor) if cursor not in ("", "0") else None
        with self.book.lock:  # keys of the live orders; only the page itself is copied
            rows = self._window(by, begin, end, descending)
            # Keyset cursor (the last key seen): an order modified mid-paging never shifts the
            # rest, it only shows up again later if its new time is still in the window.
            first = 0 if after is None else sum(1 for k, _ in rows if (k >= after if descending
                                                                       else k <= after))
            chunk = rows[first:first + size]
            if self.faults.duplicates and after is not None and first > 0:
                chunk = [rows[first - 1], *chunk]  # a repeated row, as when the platform re-reads
            orders = [self.render(o) for _, o in chunk]  # live orders, under the lock
        more = first + size < len(rows)
        return ok({"cursor": _encode(rows[first + size - 1][0]) if more else "nomore",
                   "pageSize": size, "beginTime": begin, "endTime": end, "orderList": orders})

    def _window(self, by: str, begin: int, end: int, descending: bool) -> list[tuple[Any, SimOrder]]:
        """[((ms, oid), order)] of the window, sorted; reused while the book is unchanged (any
        change bumps an order's version), so paging a big window is not quadratic."""
        signature = (by, begin, end, descending, len(self.book.orders),
                     sum(o.version for o in self.book.orders.values()))
        if self._last_window[0] == signature:
            return self._last_window[1]
        rows = []
        for order in self.book.orders.values():
            stamp = getattr(order, by)
            ms = to_ms(stamp) if stamp is not None else -1
            if begin <= ms <= end:
                rows.append(((ms, int(order.order_id)), order))
        rows.sort(key=lambda row: row[0], reverse=descending)
        self._last_window = (signature, rows)
        return rows

    def _detail(self, param: dict[str, Any]) -> SimResponse:
        order = self.book.get(str(param["oid"]))
        if order is None:
            return self._refuse("not_found", ERR_PARAM, f"订单不存在: {param['oid']}")
        return ok(self.render(order))

    def _deliver(self, param: dict[str, Any]) -> SimResponse:
        oid, express_no, code = str(param["orderId"]), str(param["expressNo"]), param["expressCode"]
        order = self.book.get(oid)
        if order is None:
            return self._refuse("not_found", ERR_PARAM, f"订单不存在: {oid}")
        if code not in EXPRESS_CODES.values():
            return self._refuse("express", ERR_PARAM, f"expressCode无效: {code}")
        if order.shipment is not None and order.shipment.get("tracking_no") == express_no:
            return ok()  # since 2024-11-25 the same tracking number again is a success
        if order.status != "paid":
            return self._refuse("not_shippable", ERR_PARAM, "订单状态不是待发货")
        if _risky(order) or any(line.refund != "none" for line in order.lines):
            return self._refuse("not_shippable", ERR_PARAM, "订单风控或售后中，不可发货")
        self.book.ship(oid, carrier=code, tracking_no=express_no)
        return ok()

    # --- items -------------------------------------------------------------------------------

    def _item_list(self, param: dict[str, Any]) -> SimResponse:
        number, size = int(param.get("pageNumber", 1)), int(param.get("pageSize", 20))
        chunk = CATALOGUE[(number - 1) * size:number * size]
        with self.book.lock:
            stock = dict(self.book.stock)
        items = [{"kwaiItemId": _item_id(code), "title": title, "skuList": [{
            "kwaiSkuId": _sku_id(code), "skuNick": code, "skuStock": stock.get(code, 100),
            "skuSalePrice": int(price.replace(".", ""))}]} for code, title, price in chunk]
        return ok({"totalCount": len(CATALOGUE), "currentPage": number, "items": items})

    def _stock(self, param: dict[str, Any]) -> SimResponse:
        code = next((c for c, _, _ in CATALOGUE if _sku_id(c) == int(param["skuId"])
                     and _item_id(c) == int(param["kwaiItemId"])), None)
        change, kind = int(param["skuChangeStock"]), int(param["changeType"])
        if code is None or change <= 0 or kind not in (1, 2):
            return self._refuse("param", ERR_PARAM, "商品或库存变更参数无效")
        with self.book.lock:
            current = self.book.stock.get(code, 100)
            if kind == 2 and change > current:
                return self._refuse("param", ERR_PARAM, "库存不足，无法减少")
            self.book.set_stock({code: current + change if kind == 1 else current - change})
        return ok()

    # --- rendering ---------------------------------------------------------------------------

    def render(self, order: SimOrder) -> dict[str, Any]:
        rendered = self._render(order)
        for path in self.broken.get(order.order_id, []):
            section, _, key = path.rpartition(".")
            (rendered[section] if section else rendered).pop(key, None)
        return rendered

    def _render(self, order: SimOrder) -> dict[str, Any]:
        line, r = order.lines[0], order.receiver
        paid = order.paid is not None
        refunds = [] if line.refund == "none" else [{
            "refundId": int(order.order_id) % 10**12 + 9 * 10**12,
            "refundStatus": REFUND_DONE if line.refund == "refunded" else REFUND_REQUESTED}]
        return {
            "orderBaseInfo": {
                "oid": int(order.order_id), "status": STATUS_CODES[order.status],
                "buyerNick": order.buyer_nick, "buyerOpenId": _digest("buyer", order.buyer_id)[:32],
                "sellerNick": "快手模拟小店", "payType": 1 if paid else 0,
                "preSale": 1 if order.presale else 0, "createTime": to_ms(order.created),
                "payTime": to_ms(order.paid) if paid else 0, "updateTime": to_ms(order.modified),
                "sendTime": to_ms(order.modified) if order.shipment else 0,
                "totalFee": _fen(order.total), "discountFee": _fen(order.discount_total),
                "expressFee": _fen(order.shipping_fee), "remark": order.buyer_remark,
                "sellerNoteList": [order.seller_memo] if order.seller_memo else [],
                "promiseTimeStampOfDelivery": to_ms(order.promised_ship_at or
                                                    (order.paid or order.created) + timedelta(hours=48)),
                "riskCode": 1 if _risky(order) else 0,
                "disableDeliveryReasonCode": [],
                "cpsType": 0, "activityType": 0, "orderLabels": [],
            },
            "orderItemInfo": {
                "orderItemId": int(line.line_id), "itemId": _item_id(line.outer_code),
                "skuId": int(line.sku_id), "skuNick": line.outer_code, "skuDesc": "",
                "itemTitle": line.title, "itemType": 1, "num": line.quantity,
                "originalPrice": _fen(line.unit_price), "price": _fen(line.unit_price),
                "discountFee": _fen(line.discount),
            },
            "orderRefundList": refunds,
            "orderLogisticsInfo": [{"expressNo": order.shipment["tracking_no"],
                                    "expressCode": int(order.shipment["carrier"])}]
            if order.shipment else [],
            "orderAddress": {
                "encryptedConsignee": _cipher(r["name"]), "desensitiseConsignee": mask_name(r["name"]),
                "encryptedMobile": _cipher(r["phone"]), "desensitiseMobile": mask_phone(r["phone"]),
                "encryptedAddress": _cipher(r["detail"]), "desensitiseAddress": _mask_detail(r["detail"]),
                "province": r["province"], "city": r["city"], "district": r["district"],
                "town": r.get("street", ""),
            },
            "orderDeliveryInfo": {"deliveryStatus": 1 if order.shipment else 0,
                                  "openAddressId": _digest("addr", r["detail"] + r["phone"])[:24]},
        }


def _dt(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def _encode(key: tuple[int, int]) -> str:
    return base64.b64encode(f"{key[0]}_{key[1]}".encode()).decode()


def _decode(cursor: str) -> tuple[int, int]:
    ms, _, oid = base64.b64decode(cursor.encode(), validate=True).decode().partition("_")
    return int(ms), int(oid)


def _fen(amount: Any) -> int:
    return int(amount.scaleb(2).to_integral_value())


def _digest(kind: str, text: str) -> str:
    return hashlib.sha256(f"{kind}:{text}".encode()).hexdigest()


def _cipher(text: str) -> str:
    return "#" + base64.b64encode(hashlib.sha256(text.encode()).digest()[:18]).decode() + "#"


def _mask_detail(detail: str) -> str:
    """'文三路12号3幢2003室' -> '文三路****3室': the street kept, the tail kept short."""
    head = next((i for i, ch in enumerate(detail) if ch.isdigit()), len(detail))
    return detail[:head] + "****" + detail[-2:]


def _risky(order: SimOrder) -> bool:
    return int(order.order_id) % 47 == 0  # about 2 % of orders held by risk control


def _item_id(code: str) -> int:
    return 21_000_000_000 + int(_digest("item", code)[:8], 16) % 10**9


def _sku_id(code: str) -> int:
    """The same platform SKU id the order factory gives a line of this code."""
    for catalogue in (PRODUCTS, UNKNOWN_PRODUCTS):
        for position, (known, _, _) in enumerate(catalogue):
            if known == code:
                return 4_000_000_000 + position * 1_000 + len(code)
    raise KeyError(code)
