"""Pinduoduo (拼多多) open platform.

Every call is `POST /api/router` with all parameters at one level: the system ones (`type` =
the API name, `client_id`, `access_token`, `timestamp` in seconds, `data_type=JSON`) beside
the business ones, and `sign` = UPPER(MD5(secret + k1v1k2v2… sorted by key + secret)). Errors
come as `{"error_response": {...}}` on HTTP 200 (docs/channels.md, "## Pinduoduo").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from math import ceil, floor
from typing import Any, ClassVar

from orderhub.channels.base import (
    AuthFailed,
    ChannelError,
    Connector,
    Page,
    PulledOrder,
    Rejected,
    StockLevel,
    Throttled,
    Unavailable,
    json_of,
    windows,
)
from orderhub.channels.paging import Unseen, read_backwards
from orderhub.channels.pdd_map import to_order, version

# Our carrier codes -> PDD `logistics_id` (pdd.logistics.companies.get). Unverified from a
# published list; override per shop with Credentials.extra["carrier_codes"] = "SF:44".
LOGISTICS_IDS = {"SF": 44, "ZTO": 115, "YTO": 85, "YUNDA": 121, "STO": 1, "JD": 120,
                 "EMS": 118, "JTSD": 384, "DBKD": 131}

AUTH_CODES = {"20004", "10016", "10019"}  # bad sign [V]; bad client_id, token expired [U]
THROTTLE_CODES = {"70031"}  # [U] the rate-limit code is unpublished
UNAVAILABLE_CODES = {"50000"}  # [U] system error
AUTH_WORDS = ("签名", "sign", "access_token", "client_id", "授权")
THROTTLE_WORDS = ("频繁", "限流", "frequency", "limit")
UNAVAILABLE_WORDS = ("系统繁忙", "系统异常", "服务不可用", "timeout")


def text_of(value: Any) -> str:
    """How a parameter value is written on the wire and in the sign: booleans in lower case,
    objects and lists as compact JSON, the rest as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def sign(params: Mapping[str, Any], secret: str) -> str:
    """PDD's sign: drop `sign` and nulls, sort by key, concatenate key+value, wrap in the client
    secret, MD5, upper-case hex."""
    body = "".join(f"{key}{text_of(params[key])}" for key in sorted(params)
                   if key != "sign" and params[key] is not None)
    return hashlib.md5(f"{secret}{body}{secret}".encode()).hexdigest().upper()


def error_for(error: Mapping[str, Any]) -> ChannelError:
    code = str(error.get("error_code", ""))
    sub_code = str(error.get("sub_code") or "")
    text = " ".join(str(error.get(k) or "") for k in ("error_msg", "sub_msg")).strip()
    message = f"pdd {code}{f'/{sub_code}' if sub_code and sub_code != code else ''}: {text}"
    words = text.lower()
    if code in THROTTLE_CODES or sub_code in THROTTLE_CODES or any(w in words for w in THROTTLE_WORDS):
        return Throttled(message, platform_code=code, retry_after=None)
    if code in AUTH_CODES or any(w in words for w in AUTH_WORDS):
        return AuthFailed(message, platform_code=code)
    if code in UNAVAILABLE_CODES or any(w in words for w in UNAVAILABLE_WORDS):
        return Unavailable(message, platform_code=code)
    return Rejected(message, platform_code=code)


class PddConnector(Connector):
    channel = "pdd"
    default_base_url = "https://gw-api.pinduoduo.com"
    max_window: ClassVar[timedelta] = timedelta(minutes=30)  # increment.get: span <= 30 min
    page_size: ClassVar[int] = 100

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._skus: dict[str, tuple[int, int]] = {}  # outer_id -> (goods_id, sku_id)

    # --- transport ---------------------------------------------------------------------------

    def call(self, api: str, params: Mapping[str, Any], *, answer: str) -> dict[str, Any]:
        """One signed call; returns the body under `answer` (e.g. order_info_get_response)."""
        creds = self.credentials
        form = {"type": api, "client_id": creds.app_key, "access_token": creds.access_token,
                "timestamp": str(int(self.now().timestamp())), "data_type": "JSON", **params}
        form = {key: text_of(value) for key, value in form.items() if value is not None}
        form["sign"] = sign(form, creds.app_secret)
        response = self.send("POST", f"{self.base_url}/api/router", data=form)
        try:
            body = json_of(response)
        except ValueError as exc:
            raise Unavailable(f"pdd {api}: answer is not JSON: {response.text[:200]}") from exc
        if not isinstance(body, dict):
            raise Unavailable(f"pdd {api}: unexpected answer {response.text[:200]}")
        if "error_response" in body:
            raise error_for(body["error_response"] or {})
        if not isinstance(body.get(answer), dict):
            raise Unavailable(f"pdd {api}: no {answer} in {response.text[:200]}")
        return body[answer]

    # --- orders ------------------------------------------------------------------------------

    def pull(self, start: datetime, end: datetime) -> Iterator[Page]:
        for lo, hi in windows(start, end, self.max_window):
            # Whole seconds, inclusive at both ends: [lo, hi) -> floor(lo) .. ceil(hi) - 1.
            first_s, last_s = floor(lo.timestamp()), ceil(hi.timestamp()) - 1
            unseen = Unseen(lambda row: str(row["order_sn"]))
            counted: list[int] = []

            def read(page: int, first_s: int = first_s, last_s: int = last_s,
                     counted: list[int] = counted):
                # The first read asks for total_count (use_has_next=false); with the count
                # known, the rest use has_next, which PDD documents as the cheaper query.
                data = self.call("pdd.order.number.list.increment.get", {
                    "start_updated_at": first_s, "end_updated_at": last_s,
                    "is_lucky_flag": 0, "order_status": 5, "refund_status": 5,
                    "page": page, "page_size": self.page_size, "use_has_next": bool(counted),
                }, answer="order_sn_increment_get_response")
                total = data.get("total_count")
                if total is not None:
                    counted.append(int(total))
                return (data.get("order_sn_list") or [], None if total is None else int(total),
                        bool(data.get("has_next")))

            # PDD recommends paging from the last page backwards (see channels/paging.py).
            for rows in read_backwards(read, first=1, size=self.page_size):
                yield self.map_all(unseen(rows), to_order, lambda raw: raw["order_sn"], version)

    def detail(self, platform_order_id: str) -> dict[str, Any]:
        data = self.call("pdd.order.information.get", {"order_sn": platform_order_id},
                         answer="order_info_get_response")
        raw = data.get("order_info")
        if not raw:
            raise Rejected(f"pdd pdd.order.information.get: no order {platform_order_id}")
        return raw

    def raw_lines(self, raw: dict[str, Any]) -> list[dict[str, Any]]:
        return list(raw.get("item_list") or [])

    def map_order(self, raw: dict[str, Any]) -> dict[str, Any]:
        return to_order(raw)

    def fetch(self, platform_order_id: str) -> PulledOrder:
        return self.map_one(self.detail(platform_order_id), platform_order_id)

    # --- write-back and stock ----------------------------------------------------------------

    def confirm_shipment(self, platform_order_id: str, *, carrier: str, tracking_no: str,
                         line_ids: list[str] | None = None) -> None:
        self.require_whole_order(platform_order_id, line_ids, "pdd.logistics.online.send")
        data = self.call("pdd.logistics.online.send", {
            "order_sn": platform_order_id, "logistics_id": int(self.carrier_code(carrier, LOGISTICS_IDS)),
            "tracking_number": tracking_no}, answer="logistics_online_send_response")
        if data.get("is_success") is not True:
            raise Rejected(f"pdd.logistics.online.send for {platform_order_id}: {data}")

    def push_stock(self, levels: list[StockLevel]) -> None:
        """pdd.goods.quantity.update needs the goods id, which we find once per merchant SKU
        code with pdd.goods.list.get (outer_id) and remember for the connector's life."""
        for level in levels:
            goods_id, sku_id = self.find_sku(level.platform_sku)
            data = self.call("pdd.goods.quantity.update", {
                "goods_id": goods_id, "sku_id": sku_id, "quantity": int(level.quantity),
                "update_type": 1}, answer="goods_quantity_update_response")
            if data.get("is_success") is not True:
                raise Rejected(f"pdd.goods.quantity.update for {level.platform_sku}: {data}")

    def find_sku(self, outer_id: str) -> tuple[int, int]:
        if outer_id not in self._skus:
            data = self.call("pdd.goods.list.get", {"outer_id": outer_id, "page": 1,
                                                    "page_size": 100},
                             answer="goods_list_get_response")
            for goods in data.get("goods_list") or []:
                for sku in goods.get("sku_list") or []:
                    if str(sku.get("outer_id")) == outer_id:
                        self._skus[outer_id] = (int(goods["goods_id"]), int(sku["sku_id"]))
            if outer_id not in self._skus:
                raise Rejected(f"pdd: no goods with SKU outer_id {outer_id!r}")
        return self._skus[outer_id]
