"""Taobao / Tmall TOP gateway, simulated: `/router/rest` (any path) with TOP's system
parameters, signature (md5, hmac, hmac-sha256), ±10 minute timestamp window, error bodies,
`*_response` wrappers with singular-named lists, tid/oid as JSON numbers, masked receivers.

Knobs (constructor `extra`): `ban_seconds` (the throttle's "ban will last" seconds, default 1),
`list_omits` (comma list of trade fields the list API leaves out, to make the connector fall back
to `taobao.trade.fullinfo.get`). `broken[order_id] = field` renders that order without `field`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from orderhub.sim._top import (
    catalogue,
    digest,
    gateway_sign,
    mask_detail,
    mask_nick,
    now,
    skewed,
    sku_less,
)
from orderhub.sim.platform import (
    PlatformSim,
    SimOrder,
    SimRequest,
    SimResponse,
    beijing,
    mask_name,
    parse_beijing,
)

STATUS = {"unpaid": "WAIT_BUYER_PAY", "paid": "WAIT_SELLER_SEND_GOODS",
          "shipped": "WAIT_BUYER_CONFIRM_GOODS", "cancelled": "TRADE_CLOSED_BY_TAOBAO",
          "closed": "TRADE_CLOSED", "completed": "TRADE_FINISHED"}
REFUND = {"none": "NO_REFUND", "requested": "WAIT_SELLER_AGREE", "refunding": "WAIT_SELLER_CONFIRM_GOODS",
          "refunded": "SUCCESS", "rejected": "SELLER_REFUSE_BUYER"}
COMPANIES = {"SF", "ZTO", "YTO", "YUNDA", "STO", "JD", "EMS", "EYB", "POST", "JTSD", "DBKD", "HTKY",
             "ZJS", "YZXB", "OTHER"}
MAX_WINDOW = timedelta(days=1)
MAX_SKEW = timedelta(minutes=10)


class TopError(Exception):
    def __init__(self, code: int, msg: str, sub_code: str = "", sub_msg: str = "") -> None:
        super().__init__(msg)
        self.body = {"code": code, "msg": msg}
        if sub_code:
            self.body.update(sub_code=sub_code, sub_msg=sub_msg)


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


class TaobaoSim(PlatformSim):
    name = "taobao"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.broken: dict[str, str] = {}
        self.list_omits = {f for f in self.extra.get("list_omits", "").split(",") if f}
        self._request_ids = itertools.count(0x16A0000)
        self._catalogue = catalogue()

    def new_id(self, n: int, created: datetime) -> str:
        return str(2_287_346_500_000_000 + n * 10_007)  # 16 digits like real tids

    def new_line_id(self, order_id: str, index: int) -> str:
        return str(int(order_id) * 10 + index + 1)

    # --- the gateway -------------------------------------------------------------------------

    def throttled(self, request: SimRequest) -> SimResponse:
        seconds = self.extra.get("ban_seconds", "1")
        return self._error(TopError(7, "App Call Limited", "accesscontrol.limited-by-app-access-count",
                                    f"This ban will last for {seconds} more seconds"))

    def handle(self, request: SimRequest) -> SimResponse:
        params = request.params
        try:
            self._check(params)
            method = params["method"]
            handler = self.METHODS.get(method)
            if handler is None:
                raise TopError(22, "Invalid Method", "isv.method-not-exist", f"no method {method}")
            self.calls[method] += 1
            body = handler(self, params)
        except TopError as exc:
            return self._error(exc)
        key = method.removeprefix("taobao.").replace(".", "_") + "_response"
        return SimResponse(200, {key: {**body, "request_id": self._request_id()}})

    def _check(self, p: dict[str, str]) -> None:
        if not p.get("method"):
            raise TopError(21, "Missing Method")
        if not p.get("app_key"):
            raise TopError(28, "Missing App Key")
        if p["app_key"] != self.app_key:
            self.refused["bad_app_key"] += 1
            raise TopError(29, "Invalid App Key")
        expected = gateway_sign(p, self.app_secret, p.get("sign_method", "md5"))
        if expected is None or p.get("sign") != expected:
            self.refused["bad_signature"] += 1
            raise TopError(25, "Invalid Signature", "isv.invalid-signature",
                           "Invalid signature" if expected else "unknown sign_method")
        if not p.get("timestamp"):
            raise TopError(30, "Missing Timestamp")
        if skewed(p["timestamp"], MAX_SKEW):
            self.refused["bad_timestamp"] += 1
            raise TopError(31, "Invalid Timestamp", "isv.invalid-timestamp",
                           "timestamp must be yyyy-MM-dd HH:mm:ss within 10 minutes of GMT+8 now")
        if not p.get("session"):
            raise TopError(26, "Missing Session")
        if p["session"] != self.access_token:
            self.refused["bad_session"] += 1
            raise TopError(27, "Invalid Session", "invalid-sessionkey", "SessionKey非法")
        if p.get("format", "xml") != "json" or p.get("v") != "2.0":
            raise TopError(41, "Invalid Arguments", "isv.invalid-parameter",
                           "the simulator speaks format=json, v=2.0 only")

    def _error(self, exc: TopError) -> SimResponse:
        return SimResponse(200, {"error_response": {**exc.body, "request_id": self._request_id()}})

    def _request_id(self) -> str:
        return f"{next(self._request_ids):x}sim"

    # --- orders ------------------------------------------------------------------------------

    def increment_get(self, p: dict[str, str]) -> dict[str, Any]:
        start, end = _time(p, "start_modified"), _time(p, "end_modified")
        if end < start or end - start > MAX_WINDOW:
            raise TopError(41, "Invalid Arguments", "isv.invalid-parameter",
                           "end_modified must be after start_modified and within one day of it")
        page_no, size = _int(p, "page_no", 1), _int(p, "page_size", 40)
        if page_no < 1 or not 1 <= size <= 100:
            raise TopError(41, "Invalid Arguments", "isv.invalid-parameter",
                           "page_no >= 1 and page_size 1-100")
        rows = self.book.modified_between(start, end)
        rows.reverse()  # newest modified first, as TOP sorts
        fields = _fields(p)
        page = self.page(rows, page_no - 1, size)
        body: dict[str, Any] = {}
        if p.get("use_has_next") == "true":
            body["has_next"] = page_no * size < len(rows)
        else:
            body["total_results"] = len(rows)
        if page:
            body["trades"] = {"trade": [self.trade(o, fields - self.list_omits) for o in page]}
        return body

    def fullinfo_get(self, p: dict[str, str]) -> dict[str, Any]:
        order = self._order(p)
        return {"trade": self.trade(order, _fields(p))}

    def trade(self, o: SimOrder, fields: set[str]) -> dict[str, Any]:
        """One SimOrder in TOP's Trade shape, cut to `fields` as the gateway does."""
        r = o.receiver
        step = {}
        if o.presale:
            final_paid = o.paid is not None
            step = {"step_trade_status": "FRONT_PAID_FINAL_PAID" if final_paid else "FRONT_PAID_FINAL_NOPAID",
                    "step_paid_fee": _money(o.total if final_paid else o.total / 5),
                    "est_con_time": beijing(o.promised_ship_at)}
        trade = {
            "tid": int(o.order_id), "tid_str": o.order_id, "type": "step" if o.presale else "fixed",
            "status": STATUS[o.status], **step,
            "buyer_nick": mask_nick(o.buyer_nick), "buyer_open_uid": "AA" + digest(o.buyer_id, size=22),
            "created": beijing(o.created), "pay_time": beijing(o.paid), "modified": beijing(o.modified),
            "consign_time": beijing(o.modified) if o.shipment else "",
            "end_time": beijing(o.modified) if o.status in ("closed", "cancelled", "completed") else "",
            "total_fee": _money(o.goods_total), "discount_fee": _money(o.discount_total),
            "post_fee": _money(o.shipping_fee), "adjust_fee": "0.00", "payment": _money(o.total),
            "receiver_name": mask_name(r["name"]), "receiver_mobile": "*******" + r["phone"][-4:],
            "receiver_phone": "", "receiver_country": "", "receiver_state": r["province"],
            "receiver_city": r["city"], "receiver_district": r["district"], "receiver_town": r["street"],
            "receiver_address": mask_detail(r["detail"]), "receiver_zip": r["zip"],
            "oaid": digest(o.order_id, r["name"], r["phone"], r["detail"], size=44),
            "buyer_message": o.buyer_remark, "seller_memo": o.seller_memo, "seller_flag": 0,
            "orders": {"order": [self._line(o, i) for i in range(len(o.lines))]},
        }
        trade = {k: v for k, v in trade.items() if k in fields}
        trade.pop(self.broken.get(o.order_id, ""), None)
        return trade

    def _line(self, o: SimOrder, index: int) -> dict[str, Any]:
        line = o.lines[index]
        num_iid, sku_id = self._catalogue.get(line.outer_code, (600_000_000_999, line.sku_id))
        paid = line.unit_price * line.quantity - line.discount
        status = "TRADE_CLOSED" if line.refund == "refunded" else STATUS[o.status]
        return {
            "oid": int(line.line_id), "oid_str": line.line_id, "num_iid": num_iid, "sku_id": sku_id,
            "outer_iid": line.outer_code if sku_less(line.outer_code)
            else "-".join(line.outer_code.split("-")[:2]),
            "outer_sku_id": "" if sku_less(line.outer_code) else line.outer_code,
            "title": line.title, "sku_properties_name": "", "price": _money(line.unit_price),
            "num": line.quantity, "total_fee": _money(paid), "payment": _money(paid),
            "discount_fee": _money(line.discount), "adjust_fee": "0.00", "divide_order_fee": _money(paid),
            "status": status, "refund_status": REFUND[line.refund], "seller_type": "B",
        }

    def _order(self, p: dict[str, str]) -> SimOrder:
        order = self.book.get(_required(p, "tid"))
        if order is None:
            raise TopError(15, "Remote service error", "isv.trade-not-exist", "交易不存在")
        return order

    # --- write-back and stock ----------------------------------------------------------------

    def offline_send(self, p: dict[str, str]) -> dict[str, Any]:
        order = self._order(p)
        out_sid, company = _required(p, "out_sid"), _required(p, "company_code")
        if company not in COMPANIES:
            raise TopError(15, "Remote service error", "isv.logistics-company-not-exist",
                           f"物流公司不存在: {company}")
        if order.status != "paid":
            raise TopError(15, "Remote service error", "isv.logistics-offline-service-error:B04",
                           "订单状态不允许发货")
        lines = ""
        if p.get("is_split") == "1":
            wanted = [x for x in _required(p, "sub_tid").split(",") if x]
            if not wanted or set(wanted) - {line.line_id for line in order.lines}:
                raise TopError(15, "Remote service error", "isv.logistics-offline-service-error:B27",
                               "拆单发货的子订单不属于该交易")
            lines = ",".join(wanted)
        self.book.ship(order.order_id, carrier=company, tracking_no=out_sid, lines=lines)
        return {"shipping": {"is_success": True}}

    def skus_custom_get(self, p: dict[str, str]) -> dict[str, Any]:
        code = _required(p, "outer_id")
        found = self._catalogue.get(code)
        if not found or not found[1]:
            return {}
        return {"skus": {"sku": [{"sku_id": int(found[1]), "num_iid": found[0], "outer_id": code,
                                  "quantity": self.book.stock.get(code, 0)}]}}

    def items_custom_get(self, p: dict[str, str]) -> dict[str, Any]:
        wanted = set(_required(p, "outer_id").split(","))
        items = [{"num_iid": num_iid, "outer_id": code} for code, (num_iid, sku_id) in
                 self._catalogue.items() if code in wanted and not sku_id]
        return {"items": {"item": items}} if items else {}

    def skus_quantity_update(self, p: dict[str, str]) -> dict[str, Any]:
        num_iid = int(_required(p, "num_iid"))
        levels = {}
        for pair in _required(p, "outerid_quantities").split(";"):
            code, _, quantity = pair.partition(":")
            if self._catalogue.get(code, (None,))[0] != num_iid:
                raise TopError(15, "Remote service error", "isv.item-sku-not-exist",
                               f"商品{num_iid}下没有商家编码为{code}的SKU")
            levels[code] = self._quantity(code, quantity, p.get("type", "1"))
        self.book.set_stock(levels)
        skus = [{"sku_id": int(self._catalogue[c][1]), "quantity": q} for c, q in levels.items()]
        return {"item": {"num_iid": num_iid, "modified": beijing(now()),
                         "skus": {"sku": skus}}}

    def item_quantity_update(self, p: dict[str, str]) -> dict[str, Any]:
        num_iid = int(_required(p, "num_iid"))
        codes = [c for c, (n, sku_id) in self._catalogue.items() if n == num_iid and not sku_id]
        if not codes:
            raise TopError(15, "Remote service error", "isv.item-not-exist", f"商品{num_iid}不存在")
        quantity = self._quantity(codes[0], _required(p, "quantity"), p.get("type", "1"))
        self.book.set_stock({codes[0]: quantity})
        return {"item": {"num_iid": num_iid, "num": quantity,
                         "modified": beijing(now())}}

    def _quantity(self, code: str, text: str, kind: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise TopError(41, "Invalid Arguments", "isv.invalid-parameter", f"quantity {text!r}") from None
        if kind == "2":  # increment
            return max(0, self.book.stock.get(code, 0) + value)
        if value < 0:
            raise TopError(41, "Invalid Arguments", "isv.invalid-parameter", "全量更新库存不能为负数")
        return value

    METHODS: ClassVar[dict[str, Callable[[TaobaoSim, dict[str, str]], dict[str, Any]]]] = {
        "taobao.trades.sold.increment.get": increment_get,
        "taobao.trade.fullinfo.get": fullinfo_get,
        "taobao.logistics.offline.send": offline_send,
        "taobao.skus.custom.get": skus_custom_get,
        "taobao.items.custom.get": items_custom_get,
        "taobao.skus.quantity.update": skus_quantity_update,
        "taobao.item.quantity.update": item_quantity_update,
    }


def _required(p: dict[str, str], name: str) -> str:
    if not p.get(name):
        raise TopError(40, "Missing Required Arguments", f"isv.missing-parameter:{name}",
                       f"缺少必选参数: {name}")
    return p[name]


def _time(p: dict[str, str], name: str) -> datetime:
    try:
        return parse_beijing(_required(p, name))
    except ValueError:
        raise TopError(41, "Invalid Arguments", f"isv.invalid-parameter:{name}",
                       f"{name} must be yyyy-MM-dd HH:mm:ss") from None


def _int(p: dict[str, str], name: str, default: int) -> int:
    try:
        return int(p.get(name) or default)
    except ValueError:
        raise TopError(41, "Invalid Arguments", f"isv.invalid-parameter:{name}", name) from None


def _fields(p: dict[str, str]) -> set[str]:
    return {f.strip() for f in _required(p, "fields").split(",") if f.strip()}
