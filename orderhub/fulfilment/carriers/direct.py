"""A direct-carrier e-waybill API (our own design, modelled on the carriers' open platforms,
documented in docs/carriers.md "Direct carrier API"):

    POST {base}/waybill/v1/orders     JSON {partner_id, monthly_account, order_id, sender,
                                           recipient, items, weight_g}
    POST {base}/waybill/v1/cancel     JSON {partner_id, waybill_no}
    headers  X-Partner-Id, X-Timestamp (unix seconds), X-Signature =
             hex(HMAC-SHA256(key=secret, msg=timestamp + "\n" + body))
    answer   {"code": "0", "message": "ok", "data": {"waybill_no", "sort_code", "print_data"}}
             errors {"code": "AUTH_FAILED" | "BAD_ADDRESS" | "BUSY", "message"}
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from orderhub.core import clock
from orderhub.fulfilment.carriers.waybills import (
    CarrierRefused,
    CarrierUnavailable,
    IssuedWaybill,
    WaybillAdapter,
    WaybillRequest,
)

RETRYABLE_CODES = {"BUSY", "THROTTLED"}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


class DirectAdapter(WaybillAdapter):
    def call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(clock.now().timestamp()))
        headers = {"Content-Type": "application/json", "X-Partner-Id": self.account.app_key,
                   "X-Timestamp": timestamp,
                   "X-Signature": signature(self.account.secrets.get("app_secret", ""), timestamp, body)}
        answer = self.body_of(self.post(f"{self.account.base_url}{path}", content=body,
                                        headers=headers))
        code = str(answer.get("code", ""))
        if code != "0":
            text = f"{self.account.carrier} direct: {code} {answer.get('message', '')}".strip()
            raise (CarrierUnavailable if code in RETRYABLE_CODES else CarrierRefused)(text)
        return answer.get("data") or {}

    def get_waybill(self, request: WaybillRequest) -> IssuedWaybill:
        data = self.call("/waybill/v1/orders", {
            "partner_id": self.account.app_key, "monthly_account": self.account.monthly_account,
            "carrier": self.account.carrier, "order_id": request.object_id,
            "sender": self.account.sender, "recipient": request.recipient, "items": request.items,
            "weight_g": request.weight_g})
        if not data.get("waybill_no"):
            raise CarrierUnavailable(f"{self.account.carrier} direct: no waybill_no in the answer")
        return IssuedWaybill(tracking_no=str(data["waybill_no"]), sort_code=str(data.get("sort_code", "")),
                             print_data=data.get("print_data") or {})

    def cancel(self, tracking_no: str) -> None:
        self.call("/waybill/v1/cancel", {"partner_id": self.account.app_key, "waybill_no": tracking_no})
