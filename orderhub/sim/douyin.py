"""A Douyin shop (抖店) open-platform simulator: order.searchList, order.orderDetail,
order.logisticsAdd, sku.syncStock, signed exactly as the official SDK signs, with Douyin's
envelope. Error codes for bad sign and throttling are unpublished (REFERENCE [U]); the ones
here are our stand-ins and live in one table so they are easy to change.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from orderhub.channels.douyin import API_VERSION, COMPANY_CODES, push_sign, sign
from orderhub.sim.book_window import window_rows
from orderhub.sim.douyin_render import ORDER_STATUS, render
from orderhub.sim.own_store import PRODUCTS
from orderhub.sim.platform import (
    UNKNOWN_PRODUCTS,
    PlatformSim,
    SimOrder,
    SimRequest,
    SimResponse,
    parse_beijing,
)

# (code, msg, sub_code, sub_msg) — all [U] except 10000 success.
ERRORS = {
    "bad_sign": (40004, "签名校验失败", "isv.signature-invalid", "签名不正确，请检查app_secret与参数"),
    "bad_token": (30002, "access_token不存在", "isv.access-token-no-exist", "请使用有效的access_token"),
    "bad_app": (30001, "app_key不存在", "isv.app-key-invalid", "app_key无效"),
    "missing": (40001, "缺少必选参数", "isv.missing-parameter", ""),
    "invalid": (40002, "非法的参数", "isv.parameter-invalid", ""),
    "timestamp": (40002, "非法的参数", "isv.timestamp-expired", "timestamp与服务器时间相差过大"),
    "method": (40002, "非法的参数", "isv.method-not-exist", "不存在的方法名"),
    "business": (50002, "业务处理失败", "isv.business-failed", ""),
    "throttled": (90000, "调用过于频繁", "isp.frequency-limit", "接口调用频率超限，请稍后再试"),
}
CARRIER_CODES = set(COMPANY_CODES.values()) | {"qita"}
SHIPPABLE = (2, 105)


class DouyinSim(PlatformSim):
    name = "douyin"
    max_window = timedelta(days=1)  # [U] the real limit is unpublished
    max_skew = timedelta(minutes=10)

    def new_id(self, n: int, created: datetime) -> str:
        # 19 digits, like 6921587341958203141; the last digit is left for sku order ids.
        return f"69{int(created.timestamp()) % 10**10:010d}{n % 10**6:06d}0"

    def new_line_id(self, order_id: str, index: int) -> str:
        return f"{order_id[:-1]}{index + 1}"

    def visible(self, order: SimOrder) -> bool:
        """Douyin lists every order, unpaid ones too."""
        return True

    # --- envelope ----------------------------------------------------------------------------

    def ok(self, data: Any) -> SimResponse:
        return SimResponse(200, {"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "",
                                 "log_id": uuid.uuid4().hex.upper(), "data": data})

    def error(self, kind: str, detail: str = "") -> SimResponse:
        code, msg, sub_code, sub_msg = ERRORS[kind]
        return SimResponse(200, {"code": code, "msg": msg, "sub_code": sub_code,
                                 "sub_msg": detail or sub_msg, "log_id": uuid.uuid4().hex.upper(),
                                 "data": None})

    def throttled(self, request: SimRequest) -> SimResponse:
        return self.error("throttled")

    # --- request checks ----------------------------------------------------------------------

    def handle(self, request: SimRequest) -> SimResponse:
        q = request.query
        method = request.path.strip("/").replace("/", ".")
        if q.get("method") != method:
            return self.error("method", f"method {q.get('method')!r} does not match path")
        for name in ("app_key", "timestamp", "sign", "v"):
            if not q.get(name):
                return self.error("missing", f"缺少参数 {name}")
        body = request.body.decode("utf-8") if request.body else q.get("param_json", "")
        refusal = self.check(q, method, body)
        if refusal:
            return refusal
        try:
            params = json.loads(body or "{}")
        except ValueError:
            return self.error("invalid", "param_json 不是合法的JSON")
        handler = {"order.searchList": self.search_list, "order.orderDetail": self.order_detail,
                   "order.logisticsAdd": self.logistics_add,
                   "sku.syncStock": self.sync_stock}.get(method)
        if handler is None:
            self.refused["unknown_method"] += 1
            return self.error("method", f"不存在的方法名 {method}")
        self.calls[method] += 1
        return handler(params)

    def check(self, q: dict[str, str], method: str, body: str) -> SimResponse | None:
        if q["app_key"] != self.app_key:
            self.refused["bad_app_key"] += 1
            return self.error("bad_app")
        if q["v"] != API_VERSION:
            return self.error("invalid", "v 只能为 2")
        sign_method = q.get("sign_method", "md5")
        try:
            expected = sign(app_key=self.app_key, app_secret=self.app_secret, method=method,
                            param_json=body, timestamp=q["timestamp"], sign_method=sign_method)
        except ValueError:
            return self.error("invalid", f"不支持的sign_method {sign_method}")
        if q["sign"] != expected:
            self.refused["bad_sign"] += 1
            return self.error("bad_sign")
        sent = parse_timestamp(q["timestamp"])
        if sent is None or abs(datetime.now(UTC) - sent) > self.max_skew:
            self.refused["timestamp"] += 1
            return self.error("timestamp")
        if q.get("access_token") != self.access_token:
            self.refused["bad_token"] += 1
            return self.error("bad_token")
        return None

    # --- APIs --------------------------------------------------------------------------------

    def search_list(self, p: dict[str, Any]) -> SimResponse:
        try:
            page, size = int(p["page"]), int(p["size"])
        except KeyError as exc:
            return self.error("missing", f"缺少参数 {exc.args[0]}")
        except (TypeError, ValueError):
            return self.error("invalid", "page/size 必须是整数")
        if page < 0 or not 0 < size <= 100:
            return self.error("invalid", "page从0开始，size取值1~100")
        by = "update" if "update_time_start" in p or p.get("order_by") == "update_time" else "create"
        try:
            hi = int(p.get(f"{by}_time_end", datetime.now(UTC).timestamp()))
            lo = int(p.get(f"{by}_time_start", hi - self.max_window.total_seconds()))
        except (TypeError, ValueError):
            return self.error("invalid", "时间参数必须是Unix秒")
        if hi < lo:
            return self.error("invalid", "结束时间不能早于开始时间")
        if hi - lo > self.max_window.total_seconds():
            return self.error("invalid", f"时间跨度不能超过{self.max_window.days or 1}天")
        # Times are whole seconds on the platform, the window inclusive at both ends.
        start = datetime.fromtimestamp(lo, UTC)
        end = datetime.fromtimestamp(hi + 1, UTC) - timedelta(microseconds=1)
        now = datetime.now(UTC)
        with self.book.lock:
            rows = window_rows(self.book, start, end, by="modified" if by == "update" else "created")
            if not p.get("order_asc", False):
                rows.reverse()
            listed = [render(o, now=now) for o in self.page(rows, page, size)]
        return self.ok({"page": page, "size": size, "total": len(rows), "shop_order_list": listed})

    def order_detail(self, p: dict[str, Any]) -> SimResponse:
        order = self.book.get(str(p.get("shop_order_id", "")))
        if order is None:
            return self.error("business", "订单不存在")
        return self.ok({"shop_order_detail": render(order, now=datetime.now(UTC))})

    def logistics_add(self, p: dict[str, Any]) -> SimResponse:
        for name in ("order_id", "company_code", "logistics_code"):
            if not p.get(name):
                return self.error("missing", f"缺少参数 {name}")
        order = self.book.get(str(p["order_id"]))
        if order is None:
            return self.error("business", "订单不存在")
        if p["company_code"] not in CARRIER_CODES:
            return self.error("business", f"物流公司编码 {p['company_code']} 不存在")
        if ORDER_STATUS[order.status] not in SHIPPABLE:
            return self.error("business", "当前订单状态不允许发货")
        self.book.ship(order.order_id, carrier=p["company_code"], tracking_no=p["logistics_code"],
                       company=p.get("company", ""), at=int(datetime.now(UTC).timestamp()))
        return self.ok({})

    def sync_stock(self, p: dict[str, Any]) -> SimResponse:
        code = p.get("code") or ""
        if not code and not p.get("sku_id"):
            return self.error("missing", "code 与 sku_id 必填其一")
        known = {c for c, _, _ in PRODUCTS + UNKNOWN_PRODUCTS}
        if code not in known:
            return self.error("business", f"商家编码 {code} 对应的sku不存在")
        try:
            quantity = int(p["stock_num"])
        except (KeyError, TypeError, ValueError):
            return self.error("missing", "缺少参数 stock_num")
        if quantity < 0:
            return self.error("invalid", "stock_num 不能为负数")
        if p.get("incremental"):
            quantity += self.book.stock.get(code, 0)
        self.book.set_stock({code: quantity})
        return self.ok({})

    # --- pushed messages ---------------------------------------------------------------------

    def message(self, order_id: str, tag: str = "101") -> tuple[dict[str, str], bytes]:
        """A signed order push as Douyin sends it (e.g. tag 101 paid): headers and raw body."""
        order = self.book.get(order_id)
        assert order is not None, order_id
        data = {"p_id": int(order.order_id), "s_ids": [int(line.line_id) for line in order.lines],
                "shop_id": 77977123, "order_status": ORDER_STATUS[order.status],
                "update_time": int(order.modified.timestamp())}
        body = json.dumps([{"tag": tag, "msg_id": uuid.uuid4().hex,
                            "data": json.dumps(data, ensure_ascii=False)}],
                          ensure_ascii=False).encode("utf-8")
        return ({"app-id": self.app_key, "event-sign": push_sign(self.app_key, body, self.app_secret),
                 "content-type": "application/json"}, body)


def parse_timestamp(text: str) -> datetime | None:
    """Seconds, milliseconds or `yyyy-MM-dd HH:mm:ss` (GMT+8): the platform accepts all three."""
    text = text.strip()
    if text.isdigit():
        value = int(text)
        return datetime.fromtimestamp(value / 1000 if value > 10**11 else value, UTC)
    try:
        return parse_beijing(text)
    except ValueError:
        return None
