"""Cainiao e-waybill (`cainiao.waybill.ii.get` / `cainiao.waybill.ii.cancel`) through the TOP
gateway, signed as TOP signs (channels/_top.py). Taobao and Tmall orders must use it."""

from __future__ import annotations

from typing import Any

from orderhub.channels._top import beijing_text, sign
from orderhub.core import clock
from orderhub.fulfilment.carriers.waybills import (
    CarrierRefused,
    CarrierUnavailable,
    IssuedWaybill,
    WaybillAdapter,
    WaybillRequest,
    cloud_print_request,
    issued_from_modules,
)

# TOP error codes that mean "try later" (throttling, service busy); the rest are refusals.
RETRYABLE_CODES = {"7", "520", "isp.service-unavailable", "isp.remote-service-timeout"}


class CainiaoAdapter(WaybillAdapter):
    def call(self, method: str, **business: str) -> dict[str, Any]:
        secrets = self.account.secrets
        params = {"method": method, "app_key": self.account.app_key,
                  "session": secrets.get("access_token", ""), "timestamp": beijing_text(clock.now()),
                  "format": "json", "v": "2.0", "sign_method": "md5", **business}
        params["sign"] = sign(params, secrets.get("app_secret", ""), "md5")
        body = self.body_of(self.post(f"{self.account.base_url}/router/rest", data=params))
        if "error_response" in body:
            error = body["error_response"] or {}
            code = str(error.get("sub_code") or error.get("code") or "")
            text = f"cainiao {method}: {code} {error.get('sub_msg') or error.get('msg') or ''}".strip()
            raise (CarrierUnavailable if code in RETRYABLE_CODES else CarrierRefused)(text)
        key = method.replace(".", "_") + "_response"
        if key not in body:
            raise CarrierUnavailable(f"cainiao {method}: no {key} in the answer")
        return body[key]

    def get_waybill(self, request: WaybillRequest) -> IssuedWaybill:
        answer = self.call("cainiao.waybill.ii.get", param_waybill_cloud_print_apply_new_request=
                           cloud_print_request(self.account, request, code_key="cp_code"))
        modules = ((answer.get("modules") or {}).get("waybill_cloud_print_response") or [])
        return issued_from_modules(modules, request.object_id, "cainiao")

    def cancel(self, tracking_no: str) -> None:
        answer = self.call("cainiao.waybill.ii.cancel", cp_code=self.account.carrier,
                           waybill_code=tracking_no)
        if str(answer.get("cancel_result")).lower() != "true":
            raise CarrierRefused(f"cainiao refused to cancel {tracking_no}")

