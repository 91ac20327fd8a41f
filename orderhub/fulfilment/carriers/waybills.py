"""The e-waybill adapter interface: get a waybill number (with sort code and print data) and
cancel it. One implementation per protocol: cainiao.py, pdd_waybill.py,
douyin_waybill.py, direct.py.

Adapters are plain objects built from an account snapshot (no session), so many run at once in
threads; they raise `CarrierUnavailable` (try again later: network, 5xx, timeout, throttling)
or `CarrierRefused` (a person must act: credentials, address, account).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import httpx

from orderhub.core.http import shared_client


class CarrierError(Exception):
    retryable = False


class CarrierUnavailable(CarrierError):
    """The carrier could not answer now; the request is retried."""

    retryable = True


class CarrierRefused(CarrierError):
    """The carrier answered no (bad credentials, bad address): retrying will not help."""


@dataclass(frozen=True)
class AccountInfo:
    """What an adapter needs of a carrier account, read out of the session beforehand."""

    id: int
    carrier: str
    source: str
    base_url: str
    app_key: str
    secrets: dict[str, Any]
    sender: dict[str, Any]
    monthly_account: str = ""
    branch: str = ""


@dataclass(frozen=True)
class WaybillRequest:
    object_id: str  # our order number: the key the carrier echoes back
    recipient: dict[str, str]  # name, mobile, province, city, district, detail
    items: list[dict[str, Any]]  # [{"name", "count"}]
    weight_g: int = 0
    order_channel: str = "OTHERS"  # the platform's order_channels_type (TB, PDD, OTHERS, …)
    trade_orders: list[str] = field(default_factory=list)  # platform order ids


@dataclass(frozen=True)
class IssuedWaybill:
    tracking_no: str
    sort_code: str
    print_data: dict[str, Any]


class WaybillAdapter(ABC):
    timeout = 10.0

    def __init__(self, account: AccountInfo, *, client: httpx.Client | None = None) -> None:
        self.account = account
        self.client = client or shared_client(self.timeout)

    @abstractmethod
    def get_waybill(self, request: WaybillRequest) -> IssuedWaybill:
        """A new waybill number for one parcel."""

    @abstractmethod
    def cancel(self, tracking_no: str) -> None:
        """Void a waybill number that will not be used."""

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.client.post(url, **kwargs)
        except httpx.TimeoutException as exc:
            raise CarrierUnavailable(f"{self.account.carrier}: no answer in {self.timeout:g} s") from exc
        except httpx.TransportError as exc:
            raise CarrierUnavailable(f"{self.account.carrier}: cannot connect ({exc})") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise CarrierUnavailable(f"{self.account.carrier}: HTTP {response.status_code}")
        return response

    def body_of(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise CarrierUnavailable(f"{self.account.carrier}: answer is not JSON: "
                                     f"HTTP {response.status_code} {response.text[:200]}") from None
        if not isinstance(body, dict):
            raise CarrierUnavailable(f"{self.account.carrier}: unexpected answer {response.text[:200]}")
        return body


def cloud_print_request(account: AccountInfo, request: WaybillRequest, *, code_key: str) -> str:
    """`param_waybill_cloud_print_apply_new_request`, the JSON both Cainiao and PDD take;
    `code_key` is `cp_code` (Cainiao) or `wp_code` (PDD)."""
    sender = account.sender
    payload = {
        code_key: account.carrier,
        "sender": {"name": sender.get("name", ""), "mobile": sender.get("mobile", ""),
                   "phone": sender.get("phone", ""), "address": _address(sender)},
        "trade_order_info_dtos": [{
            "object_id": request.object_id,
            "order_info": {"order_channels_type": request.order_channel,
                           "trade_order_list": request.trade_orders or [request.object_id]},
            "package_info": {"id": request.object_id, "items": request.items,
                             "weight": request.weight_g},
            "recipient": {"name": request.recipient.get("name", ""),
                          "mobile": request.recipient.get("mobile", ""),
                          "address": _address(request.recipient)},
            "template_url": f"standard-{account.carrier.lower()}",
            "user_id": account.app_key,
        }],
        "need_encrypt": False,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _address(place: dict[str, Any]) -> dict[str, str]:
    return {key: str(place.get(key, "")) for key in ("province", "city", "district", "town", "detail")}


def issued_from_modules(modules: list[dict[str, Any]], object_id: str, source: str) -> IssuedWaybill:
    """The cloud-print module answering our object_id: its waybill code, and the sort code
    (三段码) from `print_data.data.routingInfo.sortation.name`. print_data comes as a JSON
    string, as the cloud-print component expects it."""
    for module in modules:
        if str(module.get("object_id")) != object_id or not module.get("waybill_code"):
            continue
        print_data = module.get("print_data") or {}
        if isinstance(print_data, str):
            try:
                print_data = json.loads(print_data)
            except ValueError:
                raise CarrierUnavailable(f"{source}: print_data is not JSON") from None
        routing = (print_data.get("data") or {}).get("routingInfo") or {}
        return IssuedWaybill(tracking_no=str(module["waybill_code"]),
                             sort_code=str((routing.get("sortation") or {}).get("name", "")),
                             print_data=print_data)
    raise CarrierUnavailable(f"{source}: no waybill for {object_id} in the answer")
