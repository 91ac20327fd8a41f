"""Cainiao e-waybill simulator behind a TOP gateway: `cainiao.waybill.ii.get` and
`cainiao.waybill.ii.cancel` at POST /router/rest, TOP signature checked (sim/_top.py computes it
independently of the client), answers and errors in TOP's shapes."""

from __future__ import annotations

import json
from typing import Any

from orderhub.sim._top import gateway_sign
from orderhub.sim.carrier_direct import CarrierSim, WaybillBook, cloud_print_orders
from orderhub.sim.platform import SimRequest, SimResponse


def top_error(code: int, msg: str, sub_code: str = "", sub_msg: str = "") -> SimResponse:
    error: dict[str, Any] = {"code": code, "msg": msg, "request_id": "sim"}
    if sub_code:
        error.update(sub_code=sub_code, sub_msg=sub_msg)
    return SimResponse(200, {"error_response": error})


class CainiaoSim(CarrierSim):
    name = "cainiao"

    def __init__(self, *, app_key: str = "sim-cainiao-key", app_secret: str = "sim-cainiao-secret",
                 session_key: str = "sim-cainiao-session", seed: int | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.app_key, self.app_secret, self.session_key = app_key, app_secret, session_key
        self.book = WaybillBook(seed)

    def throttled(self, request: SimRequest) -> SimResponse:
        return top_error(7, "App Call Limited", "accesscontrol.limited-by-app-access-count")

    def handle(self, request: SimRequest) -> SimResponse:
        if request.path != "/router/rest" or request.method != "POST":
            return SimResponse(404, "<html><body>404</body></html>")
        params = request.params
        if params.get("app_key") != self.app_key:
            return self.refuse("bad_key", top_error(29, "Invalid app Key", "isv.appkey-not-exists"))
        if params.get("sign") != gateway_sign(params, self.app_secret, params.get("sign_method", "md5")):
            return self.refuse("bad_sign", top_error(25, "Invalid signature"))
        if params.get("session") != self.session_key:
            return self.refuse("bad_session", top_error(27, "Invalid session", "invalid-sessionkey"))
        method = params.get("method")
        if method == "cainiao.waybill.ii.get":
            return self._get(params)
        if method == "cainiao.waybill.ii.cancel":
            ok = self.book.cancel(params.get("waybill_code", ""))
            self.accept({"api": method, "waybill_code": params.get("waybill_code"), "ok": ok})
            return SimResponse(200, {"cainiao_waybill_ii_cancel_response": {"cancel_result": ok}})
        return self.refuse("bad_method", top_error(22, "Invalid method"))

    def _get(self, params: dict[str, str]) -> SimResponse:
        apply = cloud_print_orders(params.get("param_waybill_cloud_print_apply_new_request", ""))
        if apply is None or not apply.get("cp_code"):
            return self.refuse("bad_body", top_error(
                15, "Remote service error", "isv.invalid-parameter",
                "param_waybill_cloud_print_apply_new_request is missing or invalid"))
        modules = []
        for dto in apply["trade_order_info_dtos"]:
            recipient = dto.get("recipient") or {}
            if not (recipient.get("address") or {}).get("province"):
                return self.refuse("bad_address", top_error(
                    15, "Remote service error", "isv.address-invalid", "收件人地址不完整"))
            number, _sort, print_data = self.book.issue(apply["cp_code"], str(dto.get("object_id")), recipient)
            modules.append({"object_id": dto.get("object_id"), "waybill_code": number,
                            "print_data": json.dumps(print_data, ensure_ascii=False),
                            "parent_waybill_code": "", "cp_code": apply["cp_code"],
                            "real_cp_code": apply["cp_code"]})
            self.accept({"api": "cainiao.waybill.ii.get", "object_id": dto.get("object_id"),
                         "waybill_code": number})
        return SimResponse(200, {"cainiao_waybill_ii_get_response": {
            "modules": {"waybill_cloud_print_response": modules}, "request_id": "sim"}})
