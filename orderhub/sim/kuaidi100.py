"""Kuaidi100 (快递100) simulator: subscriptions, signed pushes and the real-time query.

- POST /poll (form schema=json, param): checks the key inside param (600 when wrong), 501 when
  the parcel is already subscribed; stores company, number, callbackurl and salt.
- POST /poll/query.do (form customer, sign, param): sign = UPPER(MD5(param + key + customer))
  (503 when wrong); answers the parcel's record, newest scan first.
- `advance(number, kind)` adds a scan ("collect", "transit", "deliver", "return", "reject"),
  then `push(number)` POSTs the whole record to the callback URL, form-encoded with
  sign = UPPER(MD5(param + salt)), as Kuaidi100 does; it returns what the receiver answered.
Faults (5xx, timeouts, throttling) come from ServiceSim, like the other simulators.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from orderhub.core.http import shared_client
from orderhub.sim.platform import SimRequest, SimResponse
from orderhub.sim.service import ServiceSim

# The simulator signs on its own (not with OrderHub's helpers), so a wrong sign on either side shows.
STATE_NAMES = {"0": "在途", "1": "揽收", "3": "签收", "5": "派件", "6": "退回", "14": "拒签"}


def _md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def push_sign(param: str, salt: str) -> str:
    return _md5_upper(param + salt)


def query_sign(param: str, key: str, customer: str) -> str:
    return _md5_upper(param + key + customer)


def format_time(at: datetime) -> str:
    return at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")


# kind -> (state, what the courier writes)
SCANS = {
    "collect": ("1", "【{area}】快件已被揽收"),
    "transit": ("0", "【{area}】快件已到达转运中心"),
    "dispatch": ("5", "【{area}】快递员正在派件"),
    "deliver": ("3", "【{area}】快件已签收，签收人：本人"),
    "return": ("6", "【{area}】快件已退回寄件人"),
    "reject": ("14", "【{area}】收件人拒收"),
}


@dataclass
class Parcel:
    company: str
    number: str
    callback_url: str
    salt: str
    state: str = "0"
    scans: list[dict[str, str]] = field(default_factory=list)  # newest first, as Kuaidi100 sends

    @property
    def ischeck(self) -> str:
        return "1" if self.state == "3" else "0"

    def record(self) -> dict[str, Any]:
        return {"message": "ok", "nu": self.number, "ischeck": self.ischeck, "com": self.company,
                "status": "200", "condition": "F00" if self.ischeck == "1" else "00",
                "state": self.state, "data": list(self.scans)}


def _answer(ok: bool, code: str, message: str) -> SimResponse:
    return SimResponse(200, {"result": ok, "returnCode": code, "message": message})


class Kuaidi100Sim(ServiceSim):
    name = "kuaidi100"

    def __init__(self, *, key: str = "sim-kuaidi100-key", customer: str = "SIMCUSTOMER",
                 **kw: Any) -> None:
        super().__init__(**kw)
        self.key, self.customer = key, customer
        self.parcels: dict[str, Parcel] = {}
        self.pushes: list[dict[str, Any]] = []  # every push sent: number, status, http answer
        self._parcel_lock = threading.Lock()

    def throttled(self, request: SimRequest) -> SimResponse:
        return _answer(False, "503", "访问频率过快")

    def handle(self, request: SimRequest) -> SimResponse:
        if request.method != "POST":
            return SimResponse(405, "method not allowed")
        if request.path == "/poll":
            return self._subscribe(request.form)
        if request.path == "/poll/query.do":
            return self._query(request.form)
        return SimResponse(404, "<html><body>404 Not Found</body></html>")

    def _subscribe(self, form: dict[str, str]) -> SimResponse:
        try:
            param = json.loads(form.get("param", ""))
        except json.JSONDecodeError:
            return self.refuse("bad_param", _answer(False, "700", "参数错误"))
        if form.get("schema") != "json" or not isinstance(param, dict):
            return self.refuse("bad_param", _answer(False, "700", "参数错误"))
        if param.get("key") != self.key:
            return self.refuse("bad_key", _answer(False, "600", "您不是合法的订阅者（即授权Key出错）"))
        extra = param.get("parameters") or {}
        number, company = str(param.get("number") or ""), str(param.get("company") or "")
        if not number or not company or not extra.get("callbackurl"):
            return self.refuse("bad_param", _answer(False, "700", "参数错误"))
        with self._parcel_lock:
            if number in self.parcels:
                return self.refuse("duplicate", _answer(False, "501", "重复订阅"))
            self.parcels[number] = Parcel(company=company, number=number,
                                          callback_url=extra["callbackurl"],
                                          salt=str(extra.get("salt") or ""))
        self.accept({"kind": "subscribe", "company": company, "number": number,
                     "callbackurl": extra["callbackurl"], "salt_set": bool(extra.get("salt"))})
        return _answer(True, "200", "提交成功")

    def _query(self, form: dict[str, str]) -> SimResponse:
        param_text = form.get("param", "")
        if form.get("customer") != self.customer or \
                form.get("sign") != query_sign(param_text, self.key, self.customer):
            return self.refuse("bad_sign", _answer(False, "503", "验证签名失败"))
        try:
            number = str(json.loads(param_text).get("num") or "")
        except (json.JSONDecodeError, AttributeError):
            return self.refuse("bad_param", _answer(False, "700", "参数错误"))
        with self._parcel_lock:
            parcel = self.parcels.get(number)
            record = parcel.record() if parcel and parcel.scans else None
        if record is None:
            return _answer(False, "500", "查询无结果，请隔段时间再查")
        self.accept({"kind": "query", "number": number})
        return SimResponse(200, record)

    # --- driving parcels (tests, demo) ----------------------------------------------------

    def _control(self, request: SimRequest) -> SimResponse:
        """Adds POST /_sim/advance {"number", "kind", "area"?} and GET /_sim/parcels."""
        action = request.path.removeprefix("/_sim/").strip("/")
        if action == "parcels":
            with self._parcel_lock:
                return SimResponse(200, {n: p.record() for n, p in self.parcels.items()})
        if action == "advance" and request.method == "POST":
            body = request.json() or {}
            if body.get("number") not in self.parcels or body.get("kind") not in SCANS:
                return SimResponse(400, {"error": "give a subscribed number and a kind",
                                         "kinds": sorted(SCANS)})
            try:
                answer = self.advance(body["number"], body["kind"], area=body.get("area", "上海市"))
            except httpx.HTTPError as exc:
                return SimResponse(502, {"error": f"push failed: {exc!r}"})
            return SimResponse(200, {"pushed": answer is not None,
                                     "answer_status": answer.status_code if answer else None})
        return super()._control(request)

    def numbers(self) -> list[str]:
        """The tracking numbers subscribed so far."""
        with self._parcel_lock:
            return list(self.parcels)

    def advance(self, number: str, kind: str, *, area: str = "上海市", push: bool = True,
                ) -> httpx.Response | None:
        """A courier scans the parcel; then (by default) Kuaidi100 pushes the record."""
        state, text = SCANS[kind]
        with self._parcel_lock:
            parcel = self.parcels[number]
            parcel.state = state
            parcel.scans.insert(0, {"time": format_time(self.now()), "ftime": format_time(self.now()),
                                    "context": text.format(area=area), "status": STATE_NAMES[state],
                                    "areaCode": "", "areaName": area})
        return self.push(number) if push else None

    def push(self, number: str, *, sign: str | None = None, status: str | None = None,
             ) -> httpx.Response:
        """POST the parcel's record to its callback URL; `sign` overrides the real signature."""
        with self._parcel_lock:
            parcel = self.parcels[number]
            status = status or ("shutdown" if parcel.ischeck == "1" else "polling")
            param = json.dumps({"status": status, "billstatus": "got", "message": "",
                                "autoCheck": "0", "comOld": "", "comNew": "",
                                "lastResult": parcel.record()}, ensure_ascii=False)
            form = {"param": param}
            if parcel.salt:
                form["sign"] = sign if sign is not None else push_sign(param, parcel.salt)
            url = parcel.callback_url
        response = shared_client(10).post(url, data=form)
        self.pushes.append({"number": number, "status": status, "http_status": response.status_code,
                            "answer": response.text})
        return response
