"""Direct-carrier e-waybill simulator (the API described in fulfilment/carriers/direct.py and
docs/carriers.md), and `WaybillBook`, the carriers' side shared with the Cainiao and PDD
simulators: real-looking tracking numbers per carrier and sort codes (三段码) per province.

Faults (`/_sim/faults`: errors, timeouts + hang_seconds, slow_seconds) come from ServiceSim.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
from typing import Any

from orderhub.sim.platform import SimRequest, SimResponse
from orderhub.sim.service import ServiceSim

# Each carrier's waybill number: prefix and how many random digits follow.
NUMBER_FORMATS = {
    "SF": ("SF", 12), "ZTO": ("75", 12), "YTO": ("YT", 13), "YUNDA": ("43", 11),
    "STO": ("77", 11), "JD": ("JDX", 12), "EMS": ("11", 11), "JTSD": ("JT", 13),
    "DBKD": ("DPK", 12),
}
ALT_PREFIX = {"ZTO": "78", "STO": "88", "YUNDA": "46"}  # these carriers use two number ranges
# First segment of the 三段码: the destination province's sorting centre.
PROVINCE_CODES = {"北京": "010", "上海": "021", "天津": "022", "重庆": "023", "广东": "755",
                  "浙江": "571", "江苏": "025", "四川": "028", "湖北": "027", "山东": "531",
                  "河南": "371", "福建": "591", "湖南": "731", "安徽": "551", "陕西": "029"}


def short(province: str) -> str:
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"):
        if province.endswith(suffix):
            return province[: -len(suffix)]
    return province


class WaybillBook:
    """Numbers issued and cancelled, thread-safe; deterministic for a seed."""

    def __init__(self, seed: int | None = None) -> None:
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.issued: dict[str, dict[str, Any]] = {}  # number -> what it was issued for
        self.cancelled: set[str] = set()

    def issue(self, carrier: str, object_id: str, recipient: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        """A new (number, sort code, print data) for one parcel."""
        prefix, digits = NUMBER_FORMATS.get(carrier, (carrier[:2], 12))
        province = short(str((recipient.get("address") or recipient).get("province", "")))
        city = str((recipient.get("address") or recipient).get("city", ""))
        with self.lock:
            while True:
                head = ALT_PREFIX[carrier] if carrier in ALT_PREFIX and self.rng.random() < 0.5 else prefix
                number = head + "".join(self.rng.choice("0123456789") for _ in range(digits))
                if number not in self.issued:
                    break
            sort_code = (f"{PROVINCE_CODES.get(province, '999')}-"
                         f"{self.rng.choice('ABCDEFGH')}{self.rng.randint(1, 99):02d} {self.rng.randint(0, 99):02d}")
            self.issued[number] = {"carrier": carrier, "object_id": object_id, "sort_code": sort_code}
        print_data = {"data": {"waybillCode": number, "cpCode": carrier,
                               "routingInfo": {"sortation": {"name": sort_code},
                                               "consolidation": {"name": f"{province}{city}集包"},
                                               "routeCode": sort_code.replace(" ", "")},
                               "recipient": recipient},
                      "signature": hashlib.sha1(number.encode()).hexdigest(),
                      "templateURL": f"https://cloudprint.example/template/{carrier.lower()}"}
        return number, sort_code, print_data

    def cancel(self, number: str) -> bool:
        with self.lock:
            if number not in self.issued or number in self.cancelled:
                return False
            self.cancelled.add(number)
            return True


def cloud_print_orders(text: str) -> dict[str, Any] | None:
    """The JSON of `param_waybill_cloud_print_apply_new_request`, or None when it is not."""
    try:
        value = json.loads(text or "")
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("trade_order_info_dtos"), list):
        return None
    return value


class CarrierSim(ServiceSim):
    """A carrier-side simulator: ServiceSim's faults and control endpoints (HttpServing's wide
    listen queue takes a batch's burst of waybill calls)."""


class CarrierDirectSim(CarrierSim):
    name = "carrier-direct"

    def __init__(self, *, partner_id: str = "sim-partner", secret: str = "sim-carrier-secret",
                 seed: int | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.partner_id, self.secret = partner_id, secret
        self.book = WaybillBook(seed)

    def throttled(self, request: SimRequest) -> SimResponse:
        return SimResponse(200, {"code": "THROTTLED", "message": "too many requests"})

    def handle(self, request: SimRequest) -> SimResponse:
        if request.method != "POST" or request.path not in ("/waybill/v1/orders", "/waybill/v1/cancel"):
            return SimResponse(404, {"code": "NOT_FOUND", "message": request.path})
        expected = hmac.new(self.secret.encode(), request.headers.get("x-timestamp", "").encode()
                            + b"\n" + request.body, hashlib.sha256).hexdigest()
        if request.headers.get("x-partner-id") != self.partner_id or not hmac.compare_digest(
                expected, request.headers.get("x-signature", "")):
            return self.refuse("bad_sign", SimResponse(200, {"code": "AUTH_FAILED",
                                                             "message": "partner id or signature wrong"}))
        try:
            body = request.json()
        except ValueError:
            return self.refuse("bad_body", SimResponse(200, {"code": "BAD_REQUEST", "message": "not JSON"}))
        if request.path.endswith("/cancel"):
            if not self.book.cancel(str(body.get("waybill_no", ""))):
                return SimResponse(200, {"code": "NOT_CANCELLABLE", "message": "unknown or cancelled"})
            self.accept({"api": "cancel", "waybill_no": body["waybill_no"]})
            return SimResponse(200, {"code": "0", "message": "ok", "data": {}})
        recipient = body.get("recipient") or {}
        if not recipient.get("province") or not recipient.get("detail"):
            return self.refuse("bad_address", SimResponse(200, {"code": "BAD_ADDRESS",
                                                                "message": "recipient address incomplete"}))
        number, sort_code, print_data = self.book.issue(str(body.get("carrier", "SF")),
                                                        str(body.get("order_id", "")), recipient)
        self.accept({"api": "orders", "order_id": body.get("order_id"), "waybill_no": number})
        return SimResponse(200, {"code": "0", "message": "ok", "data": {
            "waybill_no": number, "sort_code": sort_code, "print_data": print_data}})
