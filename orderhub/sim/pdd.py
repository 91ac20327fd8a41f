"""A Pinduoduo open-platform simulator: one router (`POST /api/router`, JSON or form body) for
pdd.order.number.list.increment.get, pdd.order.information.get, pdd.logistics.online.send,
pdd.goods.list.get and pdd.goods.quantity.update, signed as PDD signs, errors as
`error_response`. Codes other than 20004 / 10000 / 50001 are our stand-ins (REFERENCE [U]).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from orderhub.channels.pdd import LOGISTICS_IDS, sign, text_of
from orderhub.sim.book_window import window_rows
from orderhub.sim.own_store import PRODUCTS
from orderhub.sim.pdd_render import (
    ORDER_STATUS,
    PRODUCT_IDS,
    refund_status,
    render,
    risk_controlled,
    visible,
)
from orderhub.sim.platform import (
    UNKNOWN_PRODUCTS,
    OrderBook,
    PlatformSim,
    SimOrder,
    SimRequest,
    SimResponse,
)

ERRORS = {
    "bad_sign": (20004, "签名验证失败"),
    "bad_client": (10016, "client_id不合法"),  # [U]
    "bad_token": (10019, "access_token已过期"),  # [U]
    "param": (10000, "参数错误"),
    "business": (50001, "业务服务错误"),
    "throttled": (70031, "调用过于频繁，请调整调用频率"),  # [U]
}
ANSWERS = {
    "pdd.order.number.list.increment.get": "order_sn_increment_get_response",
    "pdd.order.information.get": "order_info_get_response",
    "pdd.logistics.online.send": "logistics_online_send_response",
    "pdd.goods.list.get": "goods_list_get_response",
    "pdd.goods.quantity.update": "goods_quantity_update_response",
}


def catalogue() -> list[dict[str, Any]]:
    """The shop's goods, one SKU each, with the ids the order lines carry."""
    goods = []
    for products in (PRODUCTS, UNKNOWN_PRODUCTS):
        for position, (code, title, _price) in enumerate(products):
            sku_id = 4_000_000_000 + position * 1_000 + len(code)
            goods.append({"goods_id": PRODUCT_IDS + (sku_id - 4_000_000_000) // 1000,
                          "sku_id": sku_id, "outer_id": code, "title": title})
    return goods


class PddBook(OrderBook):
    """The truth a correct pull must end with is what PDD lists: paid orders only."""

    def truth(self) -> dict[str, Any]:
        with self.lock:
            truth = super().truth()
            truth["orders"] = {oid: row for oid, row in truth["orders"].items()
                               if visible(self.orders[oid])}
            truth["unlisted"] = len(self.orders) - len(truth["orders"])
            return truth


class PddSim(PlatformSim):
    name = "pdd"
    max_window = timedelta(minutes=30)
    max_skew = timedelta(minutes=10)  # [U]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.book = PddBook()

    def new_id(self, n: int, created: datetime) -> str:
        return f"{created:%y%m%d}-{(created.hour * 3600 + created.minute * 60) * 10**9 + n:015d}"

    def visible(self, order: SimOrder) -> bool:
        return visible(order)

    # --- envelope ----------------------------------------------------------------------------

    def error(self, kind: str, detail: str = "") -> SimResponse:
        code, message = ERRORS[kind]
        return SimResponse(200, {"error_response": {
            "error_code": code, "error_msg": message, "sub_code": str(code),
            "sub_msg": detail or message, "request_id": uuid.uuid4().hex}})

    def ok(self, api: str, body: dict[str, Any]) -> SimResponse:
        return SimResponse(200, {ANSWERS[api]: {**body, "request_id": uuid.uuid4().hex}})

    def throttled(self, request: SimRequest) -> SimResponse:
        return self.error("throttled")

    # --- request checks ----------------------------------------------------------------------

    def handle(self, request: SimRequest) -> SimResponse:
        if request.path.rstrip("/") != "/api/router" or request.method != "POST":
            return SimResponse(404, {"error_response": {"error_code": 10000,
                                                        "error_msg": "请使用 POST /api/router"}})
        params = self.params_of(request)
        if params is None:
            return self.error("param", "请求体不是合法的JSON")
        for name in ("type", "client_id", "timestamp", "sign"):
            if not params.get(name):
                return self.error("param", f"缺少参数 {name}")
        refusal = self.check(params)
        if refusal:
            return refusal
        api = params["type"]
        handler = {"pdd.order.number.list.increment.get": self.increment,
                   "pdd.order.information.get": self.information,
                   "pdd.logistics.online.send": self.online_send,
                   "pdd.goods.list.get": self.goods_list,
                   "pdd.goods.quantity.update": self.quantity_update}.get(api)
        if handler is None:
            self.refused["unknown_method"] += 1
            return self.error("param", f"type {api} 不存在")
        self.calls[api] += 1
        return handler(params)

    def params_of(self, request: SimRequest) -> dict[str, str] | None:
        """Form, query or JSON body; JSON values are written as the sign writes them."""
        if "json" in request.headers.get("content-type", ""):
            try:
                body = request.json()
            except ValueError:
                return None
            if not isinstance(body, dict):
                return None
            return {**request.query, **{k: text_of(v) for k, v in body.items() if v is not None}}
        return request.params

    def check(self, params: dict[str, str]) -> SimResponse | None:
        if params["client_id"] != self.app_key:
            self.refused["bad_client"] += 1
            return self.error("bad_client")
        if params["sign"] != sign(params, self.app_secret):
            self.refused["bad_sign"] += 1
            return self.error("bad_sign")
        try:
            sent = datetime.fromtimestamp(int(params["timestamp"]), UTC)
        except ValueError:
            return self.error("param", "timestamp 必须是Unix秒")
        if abs(datetime.now(UTC) - sent) > self.max_skew:
            self.refused["timestamp"] += 1
            return self.error("param", "timestamp 与服务器时间相差过大")
        if params.get("access_token") != self.access_token:
            self.refused["bad_token"] += 1
            return self.error("bad_token")
        return None

    # --- orders ------------------------------------------------------------------------------

    def increment(self, p: dict[str, str]) -> SimResponse:
        try:
            lo, hi = int(p["start_updated_at"]), int(p["end_updated_at"])
            page, size = int(p.get("page", 1)), int(p.get("page_size", 100))
        except KeyError as exc:
            return self.error("param", f"缺少参数 {exc.args[0]}")
        except ValueError:
            return self.error("param", "参数必须是整数")
        if hi < lo:
            return self.error("param", "end_updated_at 不能早于 start_updated_at")
        if hi - lo > self.max_window.total_seconds():
            return self.error("business", "时间跨度不能超过30分钟")
        if page < 1 or not 0 < size <= 100:
            return self.error("param", "page从1开始，page_size取值1~100")
        start = datetime.fromtimestamp(lo, UTC)
        end = datetime.fromtimestamp(hi + 1, UTC) - timedelta(microseconds=1)
        with self.book.lock:
            rows = [o for o in window_rows(self.book, start, end) if visible(o)
                    and p.get("order_status", "5") in ("5", str(ORDER_STATUS[o.status]))
                    and p.get("refund_status", "5") in ("5", str(refund_status(o)))]
            listed = [render(o) for o in self.page(rows, page - 1, size)]
        # use_has_next=true answers has_next instead of the total count (PDD's docs).
        counted = ({"has_next": page * size < len(rows)} if p.get("use_has_next") == "true"
                   else {"total_count": len(rows)})
        return self.ok("pdd.order.number.list.increment.get", {**counted, "order_sn_list": listed})

    def information(self, p: dict[str, str]) -> SimResponse:
        order = self.book.get(p.get("order_sn", ""))
        if order is None or not visible(order):
            return self.error("business", "订单不存在")
        return self.ok("pdd.order.information.get", {"order_info": render(order)})

    def online_send(self, p: dict[str, str]) -> SimResponse:
        for name in ("order_sn", "logistics_id", "tracking_number"):
            if not p.get(name):
                return self.error("param", f"缺少参数 {name}")
        order = self.book.get(p["order_sn"])
        if order is None or not visible(order):
            return self.error("business", "订单不存在")
        if p["logistics_id"] not in {str(v) for v in LOGISTICS_IDS.values()}:
            return self.error("business", f"logistics_id {p['logistics_id']} 不存在")
        if risk_controlled(order.order_id):
            return self.error("business", "订单处于风控审核中，暂不能发货")
        if ORDER_STATUS[order.status] != 1 or refund_status(order) != 1:
            return self.error("business", "订单状态不是待发货，或存在售后")
        self.book.ship(order.order_id, carrier=p["logistics_id"], tracking_no=p["tracking_number"])
        return self.ok("pdd.logistics.online.send", {"is_success": True})

    # --- goods and stock ---------------------------------------------------------------------

    def goods_list(self, p: dict[str, str]) -> SimResponse:
        wanted = p.get("outer_id")
        goods = [g for g in catalogue() if not wanted or g["outer_id"] == wanted]
        return self.ok("pdd.goods.list.get", {"total_count": len(goods), "goods_list": [
            {"goods_id": g["goods_id"], "goods_name": g["title"], "is_more_sku": 0, "is_onsale": 1,
             "goods_quantity": self.book.stock.get(g["outer_id"], 0),
             "sku_list": [{"sku_id": g["sku_id"], "outer_id": g["outer_id"], "spec": "默认",
                           "sku_quantity": self.book.stock.get(g["outer_id"], 0),
                           "is_sku_onsale": 1}]} for g in goods]})

    def quantity_update(self, p: dict[str, str]) -> SimResponse:
        try:
            goods_id, quantity = int(p["goods_id"]), int(p["quantity"])
        except KeyError as exc:
            return self.error("param", f"缺少参数 {exc.args[0]}")
        except ValueError:
            return self.error("param", "goods_id/quantity 必须是整数")
        match = [g for g in catalogue() if g["goods_id"] == goods_id
                 and (p.get("sku_id") == str(g["sku_id"]) or p.get("outer_id") == g["outer_id"])]
        if not match:
            return self.error("business", "商品或sku不存在")
        code = match[0]["outer_id"]
        if p.get("update_type", "1") == "2":
            quantity += self.book.stock.get(code, 0)
        if quantity < 0:
            return self.error("param", "库存不能为负数")
        self.book.set_stock({code: quantity})
        return self.ok("pdd.goods.quantity.update", {"is_success": True})
