"""Pinduoduo e-waybill (`pdd.waybill.get` / `pdd.waybill.cancel`) through the PDD gateway,
signed as PDD signs (channels/pdd.py). PDD orders must use it."""

from __future__ import annotations

from typing import Any

from orderhub.channels.pdd import sign
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

RETRYABLE_CODES = {"70031", "10000", "50001"}  # throttled, system busy, service unavailable


class PddWaybillAdapter(WaybillAdapter):
    def call(self, api: str, answer: str, **business: str) -> dict[str, Any]:
        secrets = self.account.secrets
        form = {"type": api, "client_id": self.account.app_key,
                "access_token": secrets.get("access_token", ""),
                "timestamp": str(int(clock.now().timestamp())), "data_type": "JSON", **business}
        form["sign"] = sign(form, secrets.get("app_secret", ""))
        body = self.body_of(self.post(f"{self.account.base_url}/api/router", data=form))
        if "error_response" in body:
            error = body["error_response"] or {}
            code = str(error.get("error_code", ""))
            text = f"pdd {api}: {code} {error.get('error_msg', '')}".strip()
            raise (CarrierUnavailable if code in RETRYABLE_CODES else CarrierRefused)(text)
        if not isinstance(body.get(answer), dict):
            raise CarrierUnavailable(f"pdd {api}: no {answer} in the answer")
        return body[answer]

    def get_waybill(self, request: WaybillRequest) -> IssuedWaybill:
        answer = self.call("pdd.waybill.get", "pdd_waybill_get_response",
                           param_waybill_cloud_print_apply_new_request=cloud_print_request(
                               self.account, request, code_key="wp_code"))
        return issued_from_modules(answer.get("modules") or [], request.object_id, "pdd")

    def cancel(self, tracking_no: str) -> None:
        answer = self.call("pdd.waybill.cancel", "pdd_waybill_cancel_response",
                           wp_code=self.account.carrier, waybill_code=tracking_no)
        if answer.get("cancel_result") is not True:
            raise CarrierRefused(f"pdd refused to cancel {tracking_no}")
