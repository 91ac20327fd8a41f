"""Pinduoduo e-waybill simulator: `pdd.waybill.get` and `pdd.waybill.cancel` at POST
/api/router, PDD signature checked, answers under `pdd_waybill_get_response`, errors as
`error_response{error_code, error_msg}`."""

from __future__ import annotations

import json
from typing import Any

from orderhub.channels.pdd import sign
from orderhub.sim.carrier_direct import CarrierSim, WaybillBook, cloud_print_orders
from orderhub.sim.platform import SimRequest, SimResponse


def pdd_error(code: int, msg: str) -> SimResponse:
    return SimResponse(200, {"error_response": {"error_code": code, "error_msg": msg,
                                                "request_id": "sim"}})


class PddWaybillSim(CarrierSim):
    name = "pdd-waybill"

    def __init__(self, *, client_id: str = "sim-pdd-client", client_secret: str = "sim-pdd-secret",
                 access_token: str = "sim-pdd-token", seed: int | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.client_id, self.client_secret, self.access_token = client_id, client_secret, access_token
        self.book = WaybillBook(seed)

    def throttled(self, request: SimRequest) -> SimResponse:
        return pdd_error(70031, "调用过于频繁")

    def handle(self, request: SimRequest) -> SimResponse:
        if request.path != "/api/router" or request.method != "POST":
            return SimResponse(404, {"error": "not found"})
        params = request.params
        if params.get("client_id") != self.client_id:
            return self.refuse("bad_client", pdd_error(10016, "client_id不存在"))
        if params.get("sign") != sign(params, self.client_secret):
            return self.refuse("bad_sign", pdd_error(20004, "签名验证失败"))
        if params.get("access_token") != self.access_token:
            return self.refuse("bad_token", pdd_error(10019, "access_token已过期"))
        api = params.get("type")
        if api == "pdd.waybill.get":
            return self._get(params)
        if api == "pdd.waybill.cancel":
            ok = self.book.cancel(params.get("waybill_code", ""))
            self.accept({"api": api, "waybill_code": params.get("waybill_code"), "ok": ok})
            return SimResponse(200, {"pdd_waybill_cancel_response": {"cancel_result": ok}})
        return self.refuse("bad_method", pdd_error(10001, f"unknown type {api}"))

    def _get(self, params: dict[str, str]) -> SimResponse:
        apply = cloud_print_orders(params.get("param_waybill_cloud_print_apply_new_request", ""))
        if apply is None or not apply.get("wp_code"):
            return self.refuse("bad_body", pdd_error(50000, "参数错误: param_waybill_cloud_print_apply_new_request"))
        modules = []
        for dto in apply["trade_order_info_dtos"]:
            recipient = dto.get("recipient") or {}
            if not (recipient.get("address") or {}).get("province"):
                return self.refuse("bad_address", pdd_error(50002, "收件人地址不完整"))
            number, _sort, print_data = self.book.issue(apply["wp_code"], str(dto.get("object_id")), recipient)
            modules.append({"object_id": dto.get("object_id"), "waybill_code": number,
                            "print_data": json.dumps(print_data, ensure_ascii=False),
                            "parent_waybill_code": ""})
            self.accept({"api": "pdd.waybill.get", "object_id": dto.get("object_id"),
                         "waybill_code": number})
        return SimResponse(200, {"pdd_waybill_get_response": {"modules": modules, "request_id": "sim"}})
