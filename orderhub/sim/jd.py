"""JD JOS gateway, simulated: `routerjson` (any path) with `360buy_param_json`, TOP-style md5
signature, timestamps in any of the three formats SDKs send, `*_responce` wrappers, string error
codes, `apiResult.success` inside an HTTP-200 answer, masked consignees, money as yuan strings.

JD shows POP sellers an online-paid order only once it is paid, so orders never paid are not
listed (`visible`) and not part of `book.truth()`. `broken[order_id] = field` renders that order without `field`.
"""

from __future__ import annotations

import json
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
    skewed,
)
from orderhub.sim.platform import (
    OrderBook,
    PlatformSim,
    SimOrder,
    SimRequest,
    SimResponse,
    beijing,
    mask_name,
    mask_phone,
    parse_beijing,
)

STATE = {"paid": ("WAIT_SELLER_STOCK_OUT", "等待出库"), "locked": ("LOCKED", "已锁定"),
         "shipped": ("WAIT_GOODS_RECEIVE_CONFIRM", "等待确认收货"),
         "cancelled": ("TRADE_CANCELED", "取消"), "closed": ("TRADE_CANCELED", "取消"),
         "completed": ("FINISHED_L", "完成")}
LOGI_COPR_IDS = {"467", "465", "1499", "463", "1327", "470", "2087", "3046", "1274"}
MAX_WINDOW = timedelta(days=31)
MAX_SKEW = timedelta(minutes=6)
OK = {"success": True, "englishErrCode": "success", "chineseErrCode": "成功", "numberCode": 10100000}


class JdBook(OrderBook):
    """The truth a correct pull ends with: the orders JD shows, i.e. those ever paid."""

    def truth(self) -> dict[str, Any]:
        full = super().truth()
        with self.lock:
            hidden = {oid for oid, order in self.orders.items() if order.paid is None}
        full["orders"] = {oid: o for oid, o in full["orders"].items() if oid not in hidden}
        return full


class JosError(Exception):
    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.body = {"code": code, "zh_desc": zh, "en_desc": en}


class ApiFailure(Exception):
    """A business refusal: HTTP 200, code "0", apiResult.success false."""

    def __init__(self, zh: str, en: str, number: int = 10200000) -> None:
        super().__init__(en)
        self.api = {"success": False, "englishErrCode": en, "chineseErrCode": zh, "numberCode": number}


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


class JdSim(PlatformSim):
    name = "jd"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.book = JdBook()
        self.broken: dict[str, str] = {}
        self._catalogue = catalogue()

    def new_id(self, n: int, created: datetime) -> str:
        return str(285_917_000_000 + n * 37)

    def new_line_id(self, order_id: str, index: int) -> str:
        return f"{order_id}-{index + 1}"  # JD has no line ids; never rendered

    @staticmethod
    def visible(order: SimOrder) -> bool:
        return order.paid is not None

    # --- the gateway -------------------------------------------------------------------------

    def throttled(self, request: SimRequest) -> SimResponse:
        return SimResponse(200, {"error_response": JosError("2", "调用次数超过限制",
                                                            "App Call Limited").body})

    def handle(self, request: SimRequest) -> SimResponse:
        params = request.params
        try:
            business = self._check(params)
            method = params["method"]
            handler = self.METHODS.get(method)
            if handler is None:
                raise JosError("9", "无效的方法名", "Invalid Method")
            self.calls[method] += 1
            body = handler(self, business)
        except JosError as exc:
            return SimResponse(200, {"error_response": exc.body})
        return SimResponse(200, {method.replace(".", "_") + "_responce": {"code": "0", **body}})

    def _check(self, p: dict[str, str]) -> dict[str, Any]:
        if not p.get("method"):
            raise JosError("9", "缺少方法名", "Missing Method")
        if p.get("app_key") != self.app_key:
            self.refused["bad_app_key"] += 1
            raise JosError("11", "无效的app_key", "Invalid App Key")
        if p.get("sign") != gateway_sign(p, self.app_secret, "md5"):
            self.refused["bad_signature"] += 1
            raise JosError("12", "无效签名", "Invalid Signature")
        if skewed(p.get("timestamp", ""), MAX_SKEW):
            self.refused["bad_timestamp"] += 1
            raise JosError("8", "时间戳错误，与服务器时间相差超过6分钟", "Invalid Timestamp")
        if p.get("access_token") != self.access_token:
            self.refused["bad_token"] += 1
            raise JosError("19", "access_token已过期或无效", "Invalid access_token")
        try:
            business = json.loads(p.get("360buy_param_json") or "{}")
        except ValueError:
            raise JosError("7", "360buy_param_json不是合法的JSON", "Invalid 360buy_param_json") from None
        if not isinstance(business, dict):
            raise JosError("7", "360buy_param_json不是JSON对象", "Invalid 360buy_param_json")
        return business

    # --- orders ------------------------------------------------------------------------------

    def search(self, b: dict[str, Any]) -> dict[str, Any]:
        try:
            return {"searchorderinfo_result": self._search(b)}
        except ApiFailure as exc:
            return {"searchorderinfo_result": {"apiResult": exc.api, "orderTotal": 0,
                                               "orderInfoList": []}}

    def _search(self, b: dict[str, Any]) -> dict[str, Any]:
        if not b.get("optional_fields"):
            raise ApiFailure("optional_fields不能为空", "optional_fields is required")
        try:
            start, end = parse_beijing(str(b["start_date"])), parse_beijing(str(b["end_date"]))
            page, size = int(b.get("page", 1)), int(b.get("page_size", 10))
        except (KeyError, ValueError):
            raise ApiFailure("start_date/end_date/page/page_size格式错误", "invalid argument") from None
        if end < start or end - start > MAX_WINDOW:
            raise ApiFailure("查询时间跨度不能超过一个月", "time span over one month", 10200003)
        if page < 1 or not 1 <= size <= 100:
            raise ApiFailure("page从1开始，page_size不能超过100", "invalid page or page_size")
        by = "created" if str(b.get("dateType", "0")) == "1" else "modified"
        states = set(str(b.get("order_state") or "").split(",")) - {""}
        rows = [o for o in self.book.modified_between(start, end, by=by) if self.visible(o)
                and (not states or self._state(o)[0] in states)]
        if str(b.get("sortType", "")) == "1":
            rows.reverse()
        fields = set(str(b["optional_fields"]).split(","))
        chunk = self.page(rows, page - 1, size)
        return {"apiResult": OK, "orderTotal": len(rows),
                "orderInfoList": [self.info(o, fields) for o in chunk]}

    def get(self, b: dict[str, Any]) -> dict[str, Any]:
        order = self.book.get(str(b.get("order_id", "")))
        if order is None or not self.visible(order):
            return {"orderDetailInfo": {"apiResult": ApiFailure("订单不存在", "order not exist",
                                                                10200004).api}}
        fields = set(str(b.get("optional_fields") or "").split(",")) - {""}
        return {"orderDetailInfo": {"apiResult": OK, "orderInfo": self.info(order, fields or None)}}

    def _state(self, o: SimOrder) -> tuple[str, str]:
        if o.status == "paid" and any(line.refund == "requested" for line in o.lines):
            return STATE["locked"]
        return STATE.get(o.status, ("WAIT_SELLER_STOCK_OUT", "等待出库"))

    def info(self, o: SimOrder, fields: set[str] | None) -> dict[str, Any]:
        """One SimOrder as JOS OrderSearchInfo, cut to `fields`."""
        state, remark = self._state(o)
        r = o.receiver
        province = r["province"].removesuffix("省").removesuffix("市")
        shipment = o.shipment or {}
        info = {
            "orderId": o.order_id, "venderId": "10123456", "orderType": "22", "payType": "4-在线支付",
            "orderTotalPrice": _money(o.goods_total),
            "orderSellerPrice": _money(o.goods_total - o.discount_total),
            "orderPayment": _money(o.total), "freightPrice": _money(o.shipping_fee),
            "sellerDiscount": _money(o.discount_total), "orderState": state, "orderStateRemark": remark,
            "deliveryType": "任意时间", "invoiceInfo": "不需要开具发票", "orderRemark": o.buyer_remark,
            "venderRemark": o.seller_memo, "orderStartTime": beijing(o.created),
            "paymentConfirmTime": beijing(o.paid), "modified": beijing(o.modified),
            "orderEndTime": beijing(o.modified) if state in ("FINISHED_L", "TRADE_CANCELED") else "",
            "consigneeInfo": {
                "fullname": mask_name(r["name"]), "telephone": "", "mobile": mask_phone(r["phone"]),
                "desen_mobile": mask_phone(r["phone"]),
                "fullAddress": province + r["city"] + r["district"] + r["street"] + mask_detail(r["detail"]),
                "province": province, "city": r["city"], "county": r["district"], "town": r["street"],
                "provinceId": "", "cityId": "", "countyId": "", "townId": ""},
            "itemInfoList": [self._item(line) for line in o.lines],
            "couponDetailList": [{"orderId": o.order_id, "skuId": self._sku(line.outer_code, line.sku_id),
                                  "couponType": "30-单品促销优惠", "couponPrice": _money(line.discount)}
                                 for line in o.lines if line.discount],
            "balanceUsed": "0.00", "pin": mask_nick(o.buyer_nick), "openIdBuyer": digest(o.buyer_id),
            "returnOrder": "0", "waybill": shipment.get("tracking_no", ""),
            "logisticsId": shipment.get("carrier", ""), "parentOrderId": "0",
            "orderMarkDesc": "预售" if o.presale else "",
        }
        if fields is not None:
            info = {k: v for k, v in info.items() if k in fields}
        info.pop(self.broken.get(o.order_id, ""), None)
        return info

    def _item(self, line: Any) -> dict[str, Any]:
        return {"skuId": self._sku(line.outer_code, line.sku_id), "outerSkuId": line.outer_code,
                "skuName": line.title, "jdPrice": _money(line.unit_price), "itemTotal": str(line.quantity),
                "wareId": str(self._catalogue.get(line.outer_code, (0,))[0]), "productNo": "",
                "giftPoint": "0", "serviceName": "", "newStoreId": "0"}

    def _sku(self, code: str, fallback: str) -> str:
        """JD's skuId for a merchant code: every JD item has SKUs, even a gift without options."""
        if code in self._catalogue:
            return str(self._catalogue[code][0] * 10 + 1)
        return str(100_000_000_000 + int(fallback))

    # --- write-back and stock ----------------------------------------------------------------

    def shipment(self, b: dict[str, Any]) -> dict[str, Any]:
        order_id, copr, logi_no = (str(b.get(k) or "") for k in ("orderId", "logiCoprId", "logiNo"))
        order = self.book.get(order_id)
        if order is None or not self.visible(order):
            return _ship_result(False, "订单不存在", "order not exist", "10400001")
        if copr not in LOGI_COPR_IDS | set(self.extra.get("logi_copr_ids", "").split(",")) - {""}:
            return _ship_result(False, "物流公司不存在", "logistics company not exist", "10400002")
        if not logi_no and copr != "1274":
            return _ship_result(False, "运单号不能为空", "logiNo is required", "10400003")
        if self._state(order)[0] != "WAIT_SELLER_STOCK_OUT":
            return _ship_result(False, "订单状态不允许出库", "order state does not allow shipment",
                                "10400004")
        self.book.ship(order_id, carrier=copr, tracking_no=logi_no)
        return _ship_result(True, "成功", "success", "")

    def search_skus(self, b: dict[str, Any]) -> dict[str, Any]:
        code = str(b.get("outId") or "")
        rows = [{"skuId": int(self._sku(c, sku_id)), "outerId": c, "wareId": ware_id,
                 "stockNum": self.book.stock.get(c, 0)}
                for c, (ware_id, sku_id) in self._catalogue.items() if c == code]
        return {"page": {"data": rows, "pageNo": 1, "pageSize": int(b.get("page_size") or 20),
                         "totalItem": len(rows)}}

    def update_stock(self, b: dict[str, Any]) -> dict[str, Any]:
        wanted, number = str(b.get("skuId") or ""), b.get("stockNum")
        codes = [c for c, (_w, sku_id) in self._catalogue.items() if self._sku(c, sku_id) == wanted]
        if not codes or not isinstance(number, int) or number < 0:
            raise JosError("7", "skuId不存在或stockNum非法", "invalid skuId or stockNum")
        self.book.set_stock({codes[0]: number})
        return {"success": True}

    METHODS: ClassVar[dict[str, Callable[[JdSim, dict[str, Any]], dict[str, Any]]]] = {
        "jingdong.pop.order.search": search,
        "jingdong.pop.order.get": get,
        "jingdong.pop.order.shipment": shipment,
        "jingdong.sku.read.searchSkuList": search_skus,
        "jingdong.stock.write.updateSkuStock": update_stock,
    }


def _ship_result(ok: bool, zh: str, en: str, code: str) -> dict[str, Any]:
    return {"sopjosshipment_result": {"success": ok, "chinese_err_code": zh, "english_err_code": en,
                                      "error_code": code}}
