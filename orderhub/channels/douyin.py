"""Douyin shop (抖店, jinritemai) open platform.

Every call is `POST /<method with dots as slashes>?app_key&method&v=2&timestamp&access_token
&sign[&sign_method]` with the business parameters as the JSON body (`param_json`). The sign
covers app_key, method, param_json, timestamp and v wrapped in the app secret
(docs/channels.md, "## Douyin"). Success is envelope code 10000; anything else is an error even
on HTTP 200.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from math import ceil, floor
from typing import Any, ClassVar

from orderhub.channels.base import (
    CARRIERS,
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
from orderhub.channels.douyin_map import to_order, version
from orderhub.channels.paging import Unseen, read_backwards

API_VERSION = "2"
SUCCESS = "10000"

# Our carrier codes -> Douyin `company_code` (order.logisticsCompanyList). The first seven are
# the codes Douyin's list uses; jtexpress/debangkuaidi are unverified. Override per shop with
# Credentials.extra["carrier_codes"] = "JTSD:jtexpress".
COMPANY_CODES = {"SF": "shunfeng", "ZTO": "zhongtong", "YTO": "yuantong", "YUNDA": "yunda",
                 "STO": "shentong", "JD": "jd", "EMS": "ems", "JTSD": "jtexpress",
                 "DBKD": "debangkuaidi"}

# Error classification. Douyin's own throttle / bad-sign codes are unpublished (REFERENCE [U]),
# so we read the sub_code words as well as the few codes we know of.
THROTTLE_WORDS = ("limit", "frequen", "flow-control", "too-many", "限流", "频繁")
AUTH_WORDS = ("sign", "token", "app-key", "app_key", "appkey", "auth", "permission", "签名")
THROTTLE_CODES = {"90000"}
UNAVAILABLE_CODES = {"20000", "50000"}


def param_json(params: Mapping[str, Any]) -> str:
    """The business parameters as the sign expects them: keys sorted at every depth, compact,
    UTF-8 as it is (no ASCII or HTML escaping)."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sign(*, app_key: str, app_secret: str, method: str, param_json: str, timestamp: str,
         sign_method: str = "md5", v: str = API_VERSION) -> str:
    """Douyin's request sign (official SDK `SignUtil.sign`): the pattern
    secret + "app_key"K + "method"M + "param_json"P + "timestamp"T + "v"V + secret, hashed with
    MD5 or HMAC-SHA256 (keyed with the secret), lower-case hex. access_token is not signed."""
    pattern = (f"{app_secret}app_key{app_key}method{method}param_json{param_json}"
               f"timestamp{timestamp}v{v}{app_secret}").encode()
    if sign_method == "md5":
        return hashlib.md5(pattern).hexdigest()
    if sign_method == "hmac-sha256":
        return hmac.new(app_secret.encode("utf-8"), pattern, hashlib.sha256).hexdigest()
    raise ValueError(f"unknown Douyin sign_method {sign_method!r}; md5 or hmac-sha256")


def push_sign(app_key: str, body: bytes, app_secret: str) -> str:
    """The `event-sign` header of a pushed message: MD5(app_key + raw body + app_secret)."""
    return hashlib.md5(app_key.encode("utf-8") + body + app_secret.encode("utf-8")).hexdigest()


def error_for(envelope: Mapping[str, Any]) -> ChannelError:
    code = str(envelope.get("code", envelope.get("err_no", "")))
    sub_code = str(envelope.get("sub_code") or "")
    text = " ".join(str(envelope.get(k) or "") for k in ("msg", "message", "sub_msg")).strip()
    message = f"douyin {code} {sub_code}: {text}".strip()
    words = f"{sub_code} {text}".lower()
    if code in THROTTLE_CODES or any(w in words for w in THROTTLE_WORDS):
        return Throttled(message, platform_code=code, retry_after=None)
    if any(w in words for w in AUTH_WORDS):
        return AuthFailed(message, platform_code=code)
    if code in UNAVAILABLE_CODES or sub_code.startswith("isp."):
        return Unavailable(message, platform_code=code)
    return Rejected(message, platform_code=code)


class DouyinConnector(Connector):
    channel = "douyin"
    default_base_url = "https://openapi-fxg.jinritemai.com"
    # Our choice, not a platform rule: an hour of a busy shop stays a few pages deep, and the
    # platform's own window limit is unpublished.
    max_window: ClassVar[timedelta] = timedelta(hours=1)
    page_size: ClassVar[int] = 100  # order.searchList: size <= 100

    # --- transport ---------------------------------------------------------------------------

    def call(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """One signed API call; returns the envelope's `data`."""
        body = param_json(params)
        creds = self.credentials
        timestamp = str(int(self.now().timestamp()))  # seconds, as the guide recommends
        sign_method = creds.extra.get("sign_method", "md5")
        query = {"app_key": creds.app_key, "method": method, "v": API_VERSION,
                 "timestamp": timestamp, "access_token": creds.access_token,
                 "sign": sign(app_key=creds.app_key, app_secret=creds.app_secret, method=method,
                              param_json=body, timestamp=timestamp, sign_method=sign_method)}
        if sign_method != "md5":
            query["sign_method"] = sign_method
        response = self.send("POST", f"{self.base_url}/{method.replace('.', '/')}", params=query,
                             content=body.encode("utf-8"),
                             headers={"Content-Type": "application/json",
                                      "x-open-no-old-err-code": "1"})
        try:
            envelope = json_of(response)
        except ValueError as exc:
            raise Unavailable(f"douyin {method}: answer is not JSON: {response.text[:200]}") from exc
        if not isinstance(envelope, dict):
            raise Unavailable(f"douyin {method}: unexpected answer {response.text[:200]}")
        if "code" in envelope:
            ok = str(envelope["code"]) == SUCCESS
        else:  # the old envelope {"err_no": 0, "message": ...}
            ok = str(envelope.get("err_no")) == "0"
        if not ok:
            raise error_for(envelope)
        return envelope.get("data") or {}

    # --- orders ------------------------------------------------------------------------------

    def pull(self, start: datetime, end: datetime) -> Iterator[Page]:
        for lo, hi in windows(start, end, self.max_window):
            # Whole seconds, both ends inclusive on the platform: [lo, hi) becomes
            # floor(lo) .. ceil(hi) - 1 so consecutive windows neither gap nor overlap.
            first_s, last_s = floor(lo.timestamp()), ceil(hi.timestamp()) - 1
            unseen = Unseen(lambda row: str(row["order_id"]))

            def read(page: int, first_s: int = first_s, last_s: int = last_s):
                data = self.call("order.searchList", {
                    "page": page, "size": self.page_size, "update_time_start": first_s,
                    "update_time_end": last_s, "order_by": "update_time", "order_asc": True})
                rows = data.get("shop_order_list") or []
                return rows, int(data.get("total") or 0), None

            for rows in read_backwards(read, first=0, size=self.page_size):
                yield self.map_all(unseen(rows), to_order, lambda raw: raw["order_id"], version)

    def detail(self, platform_order_id: str) -> dict[str, Any]:
        """order.orderDetail: the order's payload as the platform sends it."""
        data = self.call("order.orderDetail", {"shop_order_id": str(platform_order_id)})
        raw = data.get("shop_order_detail")
        if not raw:
            raise Rejected(f"douyin order.orderDetail: no order {platform_order_id}")
        return raw

    def raw_lines(self, raw: dict[str, Any]) -> list[dict[str, Any]]:
        return list(raw.get("sku_order_list") or [])

    def map_order(self, raw: dict[str, Any]) -> dict[str, Any]:
        return to_order(raw)

    def fetch(self, platform_order_id: str) -> PulledOrder:
        return self.map_one(self.detail(platform_order_id), platform_order_id)

    # --- write-back and stock ----------------------------------------------------------------

    def confirm_shipment(self, platform_order_id: str, *, carrier: str, tracking_no: str,
                         line_ids: list[str] | None = None) -> None:
        self.require_whole_order(platform_order_id, line_ids, "douyin order.logisticsAdd")
        self.call("order.logisticsAdd", {
            "order_id": str(platform_order_id),
            "company_code": self.carrier_code(carrier, COMPANY_CODES),
            "company": CARRIERS.get(carrier, carrier), "logistics_code": tracking_no})

    def push_stock(self, levels: list[StockLevel]) -> None:
        # sku.syncStock sets one SKU at a time; `code` is the merchant SKU code we map from.
        for level in levels:
            self.call("sku.syncStock", {"code": level.platform_sku, "stock_num": int(level.quantity),
                                        "incremental": False})

    # --- pushed messages ---------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        lowered = {k.lower(): v for k, v in headers.items()}
        given = lowered.get("event-sign", "")
        app_id = lowered.get("app-id")
        if app_id is not None and app_id != self.credentials.app_key:
            return False
        expected = push_sign(self.credentials.app_key, body, self.credentials.app_secret)
        return bool(given) and hmac.compare_digest(given.lower(), expected)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> Page:
        """A push is a JSON list of messages {tag, msg_id, data (a JSON string)}; order messages
        carry ids (`p_id`, `s_ids`), not the order, so each order is fetched in full."""
        try:
            messages = json.loads(body)
        except ValueError as exc:
            raise Rejected(f"douyin push is not JSON: {exc}") from exc
        if isinstance(messages, dict):
            messages = [messages]
        order_ids: list[str] = []
        for message in messages:
            data = message.get("data") if isinstance(message, dict) else None
            if isinstance(data, str):
                try:
                    data = json.loads(data)
                except ValueError:
                    data = None
            ident = data.get("p_id") if isinstance(data, dict) else None
            if ident and str(ident) not in order_ids:
                order_ids.append(str(ident))
        page = self.map_all([self.detail(order_id) for order_id in order_ids], to_order,
                            lambda r: r["order_id"])
        page.requests = len(order_ids)
        return page
