"""Kuaishou shop (快手小店) open platform connector.

Gateway `https://openapi.kwaixiaodian.com/<method with dots as slashes>`; system parameters
appkey, method, version=1, param (the business parameters as one JSON string), access_token,
timestamp (Unix ms), signMethod, sign. GET for reads, form-encoded POST for writes.

Orders: `open.order.cursor.list` by update time (queryType 2), windows of at most 7 days, up to
100 per page, cursor paging: "" first, then the returned cursor until the end marker. The end
value is not confirmed by a source (REFERENCE §5 [U]); we stop on "nomore", on an empty cursor
and on an empty page. Detail: `open.order.detail`. Ship: `open.seller.order.goods.deliver`.
Stock: `open.item.sku.stock.update` changes stock by a delta (changeType 1 add / 2 reduce), so
we first read the current stock from `open.item.list.get`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from orderhub.channels import kuaishou_mapping as mapping
from orderhub.channels.base import (
    AuthFailed,
    Connector,
    Page,
    PulledOrder,
    Rejected,
    StockLevel,
    Throttled,
    Unavailable,
    json_of,
)

SIGNED_KEYS = ("access_token", "appkey", "method", "param", "signMethod", "timestamp", "version")
END_OF_DATA = "nomore"
AUTH_CODES = {12: "token empty", 21: "token expired", 24: "authorization revoked",
              27: "sign invalid"}
THROTTLE_CODES = {1016}
# Our carrier code -> Kuaishou's numeric expressCode. [U] the numbers are not confirmed from a
# source we could read; the simulator uses this same table. Replace from Kuaishou's carrier list
# (open.express.standard.template.list.get) before going live.
EXPRESS_CODES = {"SF": 4, "ZTO": 9, "YTO": 8, "YUNDA": 12, "STO": 7, "JD": 13, "EMS": 1,
                 "JTSD": 1071, "DBKD": 3}


def sign_string(params: Mapping[str, str], sign_secret: str) -> str:
    """What is signed: the seven system keys present, sorted, k=v joined with &, then
    &signSecret=<the separate sign secret>."""
    pairs = [f"{k}={params[k]}" for k in sorted(SIGNED_KEYS) if params.get(k) is not None]
    return "&".join(pairs) + f"&signSecret={sign_secret}"


def sign(params: Mapping[str, str], sign_secret: str, sign_method: str = "HMAC_SHA256") -> str:
    """MD5 -> lower-case hex; HMAC_SHA256 -> Base64 of the HMAC keyed with the sign secret."""
    text = sign_string(params, sign_secret).encode("utf-8")
    if sign_method == "MD5":
        return hashlib.md5(text).hexdigest()
    if sign_method == "HMAC_SHA256":
        digest = hmac.new(sign_secret.encode("utf-8"), text, hashlib.sha256).digest()
        return base64.b64encode(digest).decode("ascii")
    raise ValueError(f"unknown Kuaishou signMethod {sign_method!r}: MD5 or HMAC_SHA256")


class KuaishouConnector(Connector):
    channel = "kuaishou"
    default_base_url = "https://openapi.kwaixiaodian.com"
    max_window = timedelta(days=7)
    page_size = 100

    @property
    def sign_method(self) -> str:
        return self.credentials.extra.get("sign_method", "HMAC_SHA256")

    @property
    def sign_secret(self) -> str:
        """Kuaishou's signSecret is its own credential; a shop set up with only an app secret
        (`orderhub shops add --app-secret`) is taken to have put the signSecret there."""
        return self.credentials.extra.get("sign_secret") or self.credentials.app_secret

    # --- one API call ------------------------------------------------------------------------

    def call(self, method: str, param: dict[str, Any], *, post: bool = False) -> Any:
        """Signed call; returns `data` of a result=1 answer, raises a ChannelError otherwise."""
        params = {
            "appkey": self.credentials.app_key, "method": method, "version": "1",
            "param": json.dumps(param, ensure_ascii=False, separators=(",", ":")),
            "access_token": self.credentials.access_token,
            "timestamp": str(mapping.to_ms(self.now())), "signMethod": self.sign_method,
        }
        params["sign"] = sign(params, self.sign_secret, self.sign_method)
        url = f"{self.base_url}/{method.replace('.', '/')}"
        response = (self.send("POST", url, data=params) if post
                    else self.send("GET", url, params=params))
        return self._data(method, response)

    def _data(self, method: str, response: httpx.Response) -> Any:
        if response.status_code in (401, 403):
            raise AuthFailed(f"kuaishou {method}: HTTP {response.status_code}",
                             platform_code=str(response.status_code))
        if response.status_code >= 300:
            raise Rejected(f"kuaishou {method}: HTTP {response.status_code} {response.text[:200]}",
                           platform_code=str(response.status_code))
        try:
            body = json_of(response)
            result = int(body["result"])
        except (ValueError, KeyError, TypeError) as exc:
            raise Unavailable(f"kuaishou {method}: unreadable answer {response.text[:200]!r}") from exc
        if result == 1:
            return body.get("data")
        message = f"kuaishou {method}: result {result} {body.get('error_msg') or body.get('msg') or ''}"
        if result in THROTTLE_CODES:
            raise Throttled(message, platform_code=str(result))
        if result in AUTH_CODES:
            raise AuthFailed(message, platform_code=str(result))
        raise Rejected(message, platform_code=str(result))

    # --- orders ------------------------------------------------------------------------------

    def pull(self, start: datetime, end: datetime) -> Iterator[Page]:
        if end - start > self.max_window:
            raise ValueError(f"kuaishou windows are at most {self.max_window}; got {end - start}")
        begin, stop = mapping.to_ms(start), mapping.to_ms(end)
        cursor = ""
        while True:
            data = self.call("open.order.cursor.list", {
                "queryType": 2, "beginTime": begin, "endTime": stop, "sort": 1,
                "pageSize": self.page_size, "cursor": cursor, "cpsType": 0})
            rows = list((data or {}).get("orderList") or [])
            # endTime is inclusive on Kuaishou; an order stamped exactly `stop` belongs to the
            # next window, so adjacent windows see every order exactly once.
            page = self.map_all([r for r in rows if _before(r, stop)], mapping.to_order,
                                mapping.order_id, mapping.version)
            yield page
            next_cursor = str((data or {}).get("cursor") or "")
            if not rows or next_cursor in ("", END_OF_DATA):
                return
            if next_cursor == cursor:
                raise Unavailable("kuaishou open.order.cursor.list: cursor did not advance",
                                  platform_code="cursor")
            cursor = next_cursor

    def raw_lines(self, raw: dict[str, Any]) -> list[dict[str, Any]]:
        return [raw["orderItemInfo"]] if isinstance(raw.get("orderItemInfo"), dict) else []

    def map_order(self, raw: dict[str, Any]) -> dict[str, Any]:
        return mapping.to_order(raw)

    def fetch(self, platform_order_id: str) -> PulledOrder:
        raw = self.call("open.order.detail", {"oid": int(platform_order_id)})
        if not isinstance(raw, dict) or "orderBaseInfo" not in raw:
            raise Rejected(f"kuaishou open.order.detail: no order {platform_order_id}")
        return self.map_one(raw, platform_order_id)

    # --- write-back --------------------------------------------------------------------------

    def confirm_shipment(self, platform_order_id: str, *, carrier: str, tracking_no: str,
                         line_ids: list[str] | None = None) -> None:
        """Whole order only (one item per order anyway). Repeating with the same tracking
        number succeeds on Kuaishou, so a retried write-back is harmless."""
        self.call("open.seller.order.goods.deliver", {
            "orderId": int(platform_order_id), "expressNo": tracking_no,
            "expressCode": int(self.carrier_code(carrier, EXPRESS_CODES))}, post=True)

    def push_stock(self, levels: list[StockLevel]) -> None:
        skus = self._sku_index()
        unknown = []
        for level in levels:
            found = skus.get(level.platform_sku)
            if found is None:
                unknown.append(level.platform_sku)
                continue
            item_id, sku_id, current = found
            delta = level.quantity - current
            if delta == 0:
                continue
            self.call("open.item.sku.stock.update", {
                "kwaiItemId": item_id, "skuId": sku_id, "skuChangeStock": abs(delta),
                "changeType": 1 if delta > 0 else 2}, post=True)
        if unknown:
            raise Rejected(f"kuaishou: no SKU with code {', '.join(sorted(unknown))}")

    def _sku_index(self) -> dict[str, tuple[int, int, int]]:
        """merchant SKU code (and Kuaishou sku id) -> (item id, sku id, current stock).
        [U] field names of open.item.list.get's answer."""
        index: dict[str, tuple[int, int, int]] = {}
        page_no = 1
        while True:
            data = self.call("open.item.list.get", {"pageNumber": page_no, "pageSize": 100}) or {}
            items = data.get("items") or []
            for item in items:
                for sku in item.get("skuList") or []:
                    found = (int(item["kwaiItemId"]), int(sku["kwaiSkuId"]), int(sku["skuStock"]))
                    index[str(sku["kwaiSkuId"])] = found
                    if sku.get("skuNick"):
                        index[sku["skuNick"]] = found
            if not items or page_no * 100 >= int(data.get("totalCount") or 0):
                return index
            page_no += 1


def _before(row: dict[str, Any], stop_ms: int) -> bool:
    try:
        return int(row["orderBaseInfo"]["updateTime"]) < stop_ms
    except (KeyError, TypeError, ValueError):
        return True  # keep it: mapping turns it into a BadPayload with the reason
