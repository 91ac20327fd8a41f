"""Douyin (抖店) e-waybill: `logistics.newCreateOrder` takes numbers and `logistics.cancelOrder`
voids one, through the Douyin open platform, signed exactly as the shop connector signs
(channels/douyin.py: param_json, sign, envelope and error classification). Douyin orders must
use it (accounts.PLATFORM_SOURCES).

The account's `app_key` is the shop app's key; secrets hold `app_secret` and `access_token`
(and optionally `sign_method`: md5 or hmac-sha256). The carrier goes as Douyin's
`logistics_code` (zhongtong, yuantong, …: channels/douyin.COMPANY_CODES).
"""

from __future__ import annotations

from typing import Any

from orderhub.channels.base import Throttled, Unavailable
from orderhub.channels.douyin import (
    API_VERSION,
    COMPANY_CODES,
    SUCCESS,
    error_for,
    param_json,
    sign,
)
from orderhub.core import clock
from orderhub.fulfilment.carriers.waybills import (
    CarrierRefused,
    CarrierUnavailable,
    IssuedWaybill,
    WaybillAdapter,
    WaybillRequest,
)


def douyin_address(place: dict[str, Any]) -> dict[str, str]:
    """Our address fields in Douyin's logistics address shape."""
    return {"country_code": "CHN", "province_name": str(place.get("province", "")),
            "city_name": str(place.get("city", "")), "district_name": str(place.get("district", "")),
            "street_name": str(place.get("town", "")), "detail_address": str(place.get("detail", ""))}


class DouyinWaybillAdapter(WaybillAdapter):
    def logistics_code(self) -> str:
        return COMPANY_CODES.get(self.account.carrier, self.account.carrier.lower())

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """One signed call; the envelope's `data`. Douyin's throttling and busy answers are
        retried (CarrierUnavailable); bad sign, token or parameters are refusals."""
        secrets = self.account.secrets
        body = param_json(params)
        timestamp = str(int(clock.now().timestamp()))
        sign_method = str(secrets.get("sign_method") or "md5")
        query = {"app_key": self.account.app_key, "method": method, "v": API_VERSION,
                 "timestamp": timestamp, "access_token": secrets.get("access_token", ""),
                 "sign": sign(app_key=self.account.app_key, app_secret=secrets.get("app_secret", ""),
                              method=method, param_json=body, timestamp=timestamp,
                              sign_method=sign_method)}
        if sign_method != "md5":
            query["sign_method"] = sign_method
        response = self.post(f"{self.account.base_url}/{method.replace('.', '/')}", params=query,
                             content=body.encode("utf-8"),
                             headers={"Content-Type": "application/json", "x-open-no-old-err-code": "1"})
        envelope = self.body_of(response)
        if str(envelope.get("code", envelope.get("err_no", ""))) not in (SUCCESS, "0"):
            error = error_for(envelope)
            retry = isinstance(error, (Throttled, Unavailable))
            raise (CarrierUnavailable if retry else CarrierRefused)(error.message)
        data = envelope.get("data")
        return data if isinstance(data, dict) else {}

    def get_waybill(self, request: WaybillRequest) -> IssuedWaybill:
        sender = self.account.sender
        recipient = request.recipient
        params = {
            "sender_info": {"address": douyin_address(sender),
                            "contact": {"name": sender.get("name", ""), "mobile": sender.get("mobile", ""),
                                        "phone": sender.get("phone", "")}},
            "logistics_code": self.logistics_code(),
            "order_infos": [{
                "order_id": request.trade_orders[0] if request.trade_orders else request.object_id,
                "pack_id": request.object_id,  # our order number: the key echoed back
                "receiver_info": {"address": douyin_address(recipient),
                                  "contact": {"name": recipient.get("name", ""),
                                              "mobile": recipient.get("mobile", "")}},
                "items": [{"item_name": str(item.get("name", "")), "item_count": int(item.get("count", 1))}
                          for item in request.items],
                "weight": request.weight_g,
            }],
        }
        if self.account.monthly_account:
            params["net_info"] = {"monthly_account": self.account.monthly_account}
        data = self.call("logistics.newCreateOrder", params)
        return self._issued(data, request.object_id)

    def _issued(self, data: dict[str, Any], object_id: str) -> IssuedWaybill:
        for info in data.get("ebill_infos") or []:
            if str(info.get("pack_id") or info.get("order_id")) == object_id and info.get("track_no"):
                number, sort_code = str(info["track_no"]), str(info.get("sort_code") or "")
                # The print component needs the routing facts; we keep them in the same shape
                # the cloud-print answers use, so labels read every source alike.
                print_data = {"data": {"waybillCode": number, "cpCode": self.account.carrier,
                                       "routingInfo": {"sortation": {"name": sort_code},
                                                       "consolidation": {"name": str(info.get("package_center_name") or "")},
                                                       "routeCode": str(info.get("short_address_code") or "")}},
                              "source": "douyin", "ebill_info": info}
                return IssuedWaybill(tracking_no=number, sort_code=sort_code, print_data=print_data)
        for err in data.get("err_infos") or []:
            if str(err.get("pack_id") or err.get("order_id")) == object_id:
                raise CarrierRefused(f"douyin logistics.newCreateOrder: {err.get('err_code', '')} "
                                     f"{err.get('err_msg', '')}".strip())
        raise CarrierUnavailable(f"douyin: no waybill for {object_id} in the answer")

    def cancel(self, tracking_no: str) -> None:
        data = self.call("logistics.cancelOrder", {"logistics_code": self.logistics_code(),
                                                   "track_no": tracking_no})
        if data.get("cancel_result") is not True:
            raise CarrierRefused(f"douyin refused to cancel {tracking_no}")
