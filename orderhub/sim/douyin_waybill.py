"""Douyin (抖店) e-waybill simulator: `logistics.newCreateOrder` and `logistics.cancelOrder` at
POST /logistics/newCreateOrder and /logistics/cancelOrder, the request signed and checked as
the Douyin open platform does (the shop simulator's checks and error table, sim/douyin.py),
numbers and sort codes from the carriers' WaybillBook, answers in Douyin's envelope:
`data.ebill_infos[]` for what was issued and `data.err_infos[]` for what was not.

Faults (`/_sim/faults`) come from ServiceSim; `received` records every issue and cancel.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from orderhub.channels.douyin import API_VERSION, COMPANY_CODES, sign
from orderhub.sim.carrier_direct import CarrierSim, WaybillBook
from orderhub.sim.douyin import ERRORS, parse_timestamp
from orderhub.sim.platform import SimRequest, SimResponse

CARRIER_OF = {code: ours for ours, code in COMPANY_CODES.items()}  # zhongtong -> ZTO
METHODS = ("logistics.newCreateOrder", "logistics.cancelOrder")


def envelope(data: Any) -> SimResponse:
    return SimResponse(200, {"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "",
                             "log_id": uuid.uuid4().hex.upper(), "data": data})


def douyin_error(kind: str, detail: str = "") -> SimResponse:
    code, msg, sub_code, sub_msg = ERRORS[kind]
    return SimResponse(200, {"code": code, "msg": msg, "sub_code": sub_code,
                             "sub_msg": detail or sub_msg, "log_id": uuid.uuid4().hex.upper(),
                             "data": None})


class DouyinWaybillSim(CarrierSim):
    name = "douyin-waybill"
    max_skew = timedelta(minutes=10)

    def __init__(self, *, app_key: str = "sim-douyin-waybill-key",
                 app_secret: str = "sim-douyin-waybill-secret",
                 access_token: str = "sim-douyin-waybill-token", seed: int | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.app_key, self.app_secret, self.access_token = app_key, app_secret, access_token
        self.book = WaybillBook(seed)

    def throttled(self, request: SimRequest) -> SimResponse:
        return douyin_error("throttled")

    def handle(self, request: SimRequest) -> SimResponse:
        method = request.path.strip("/").replace("/", ".")
        if request.method != "POST" or method not in METHODS:
            return self.refuse("bad_method", douyin_error("method", f"不存在的方法名 {method}"))
        q = request.query
        if q.get("method") != method:
            return self.refuse("bad_method", douyin_error("method", "method 与路径不一致"))
        for name in ("app_key", "timestamp", "sign", "v"):
            if not q.get(name):
                return self.refuse("missing", douyin_error("missing", f"缺少参数 {name}"))
        body = request.body.decode("utf-8") if request.body else q.get("param_json", "")
        refusal = self.check(q, method, body)
        if refusal is not None:
            return refusal
        try:
            params = json.loads(body or "{}")
        except ValueError:
            return self.refuse("bad_body", douyin_error("invalid", "param_json 不是合法的JSON"))
        if not isinstance(params, dict):
            return self.refuse("bad_body", douyin_error("invalid", "param_json 必须是对象"))
        if method == "logistics.cancelOrder":
            return self._cancel(params)
        return self._create(params)

    def check(self, q: dict[str, str], method: str, body: str) -> SimResponse | None:
        """What the gateway checks, in its order: app, version, sign, time, token."""
        if q["app_key"] != self.app_key:
            return self.refuse("bad_app_key", douyin_error("bad_app"))
        if q["v"] != API_VERSION:
            return self.refuse("bad_version", douyin_error("invalid", "v 只能为 2"))
        sign_method = q.get("sign_method", "md5")
        try:
            expected = sign(app_key=self.app_key, app_secret=self.app_secret, method=method,
                            param_json=body, timestamp=q["timestamp"], sign_method=sign_method)
        except ValueError:
            return self.refuse("bad_sign", douyin_error("invalid", f"不支持的sign_method {sign_method}"))
        if q["sign"] != expected:
            return self.refuse("bad_sign", douyin_error("bad_sign"))
        sent = parse_timestamp(q["timestamp"])
        if sent is None or abs(self.now() - sent) > self.max_skew:
            return self.refuse("timestamp", douyin_error("timestamp"))
        if q.get("access_token") != self.access_token:
            return self.refuse("bad_token", douyin_error("bad_token"))
        return None

    def _create(self, p: dict[str, Any]) -> SimResponse:
        carrier = CARRIER_OF.get(str(p.get("logistics_code", "")))
        if carrier is None:
            return self.refuse("bad_carrier", douyin_error(
                "business", f"物流商编码 {p.get('logistics_code')!r} 不存在或未开通电子面单"))
        orders = p.get("order_infos")
        if not isinstance(orders, list) or not orders or not isinstance(p.get("sender_info"), dict):
            return self.refuse("bad_body", douyin_error("missing", "缺少参数 sender_info/order_infos"))
        issued, errors = [], []
        for info in orders:
            address = ((info.get("receiver_info") or {}).get("address") or {})
            keys = {"order_id": str(info.get("order_id", "")), "pack_id": str(info.get("pack_id", ""))}
            if not address.get("province_name") or not address.get("detail_address"):
                self.refuse("bad_address", SimResponse())
                errors.append({**keys, "err_code": "70011", "err_msg": "收件人地址不完整"})
                continue
            number, sort_code, _print = self.book.issue(
                carrier, keys["pack_id"] or keys["order_id"],
                {"province": address["province_name"], "city": address.get("city_name", "")})
            centre, _, rest = sort_code.partition("-")
            issued.append({**keys, "track_no": number, "sort_code": sort_code,
                           "package_center_code": centre, "short_address_code": rest.replace(" ", ""),
                           "package_center_name": f"{address['province_name']}{address.get('city_name', '')}集包",
                           "extra_resp": ""})
            self.accept({"api": "logistics.newCreateOrder", **keys, "track_no": number})
        return envelope({"ebill_infos": issued, "err_infos": errors})

    def _cancel(self, p: dict[str, Any]) -> SimResponse:
        number = str(p.get("track_no", ""))
        if not number:
            return self.refuse("bad_body", douyin_error("missing", "缺少参数 track_no"))
        if not self.book.cancel(number):
            return self.refuse("not_cancellable", douyin_error("business", f"运单号 {number} 不存在或已取消"))
        self.accept({"api": "logistics.cancelOrder", "track_no": number})
        return envelope({"cancel_result": True})
