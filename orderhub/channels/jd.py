"""JD POP through JOS (宙斯, `routerjson`).

Every business parameter travels as one JSON string, `360buy_param_json`, signed like TOP's md5.
Pull: `jingdong.pop.order.search` with dateType=0 (modified time), pages 1..n by `orderTotal`.
Forward paging can skip a row when an order leaves the window while we page; every answer
repeats `orderTotal`, so a walk that sees it change is walked again (a repeated row is harmless,
a skipped one is not). Detail: `jingdong.pop.order.get`. Write-back: `jingdong.pop.order.shipment`.
Stock: `jingdong.sku.read.searchSkuList` (merchant code -> JD skuId, once) then
`jingdong.stock.write.updateSkuStock`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from orderhub.channels import _jd_map as mapping
from orderhub.channels._top import BEIJING, beijing_text, sign
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
)
from orderhub.channels.paging import Unseen

# Our carrier codes -> JD logiCoprId (the seller's list comes from jingdong.delivery.logistics.get;
# these ids are the common ones seen in integrations). 极兔 has no widely published id: a shop sets
# it in Credentials.extra["carrier_codes"] as "JTSD:<id>" (that also overrides any other).
LOGI_COPR_IDS = {"SF": "467", "EMS": "465", "ZTO": "1499", "YTO": "463", "YUNDA": "1327",
                 "STO": "470", "JD": "2087", "DBKD": "3046"}

THROTTLE_CODES = {"2"}
AUTH_CODES = {"11", "12", "19"}  # app key, signature, access token
UNAVAILABLE_CODES = {"1", "66"}  # system error, "please retry" (the C# SDK retries on 66)
WALKS = 3  # times a window is walked again when orderTotal moves under us


class JdConnector(Connector):
    channel = "jd"
    default_base_url = "https://api.jd.com/routerjson"
    # JOS allows a month per query; an hour keeps each walk short (JD stops answering deep pages)
    # and cheap to repeat when orderTotal moves. A scheduled pull spans ~10 minutes anyway.
    max_window = timedelta(hours=1)
    page_size = 50  # the documented maximum of jingdong.pop.order.search

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sku_ids: dict[str, str | None] = {}  # merchant code -> JD skuId (None: no such code)

    # --- transport ---------------------------------------------------------------------------

    def call(self, method: str, business: dict[str, Any]) -> dict[str, Any]:
        """One signed JOS call; returns the body under `<method>_responce` (JD's spelling)."""
        moment = self.now().astimezone(BEIJING)
        params = {"method": method, "app_key": self.credentials.app_key,
                  "access_token": self.credentials.access_token, "v": "2.0", "format": "json",
                  # the Python SDK's form: yyyy-MM-dd HH:mm:ss.000+0800
                  "timestamp": f"{moment:%Y-%m-%d %H:%M:%S}.000+0800",
                  "360buy_param_json": json.dumps(business, ensure_ascii=False,
                                                  separators=(",", ":"))}
        params["sign"] = sign(params, self.credentials.app_secret, "md5")
        response = self.send("POST", self.base_url, data=params)
        try:
            body = json_of(response)
        except ValueError:
            raise Unavailable(f"jd {method}: HTTP {response.status_code}, not JSON: "
                              f"{response.text[:200]}") from None
        if not isinstance(body, dict):
            raise Unavailable(f"jd {method}: unexpected body {response.text[:200]}")
        if "error_response" in body:
            raise error_from(body["error_response"], method)
        key = method.replace(".", "_") + "_responce"
        inner = body.get(key)
        if not isinstance(inner, dict):
            raise Unavailable(f"jd {method}: no {key} in {response.text[:200]}")
        if str(inner.get("code", "0")) != "0":
            raise error_from(inner, method)
        return inner

    # --- orders ------------------------------------------------------------------------------

    def pull(self, start: datetime, end: datetime) -> Iterator[Page]:
        if end - start > self.max_window:
            raise ValueError(f"jd: window {end - start} is longer than {self.max_window}")
        unseen = Unseen(mapping.order_id)  # a row read again (a re-walk, a repeat) goes on once
        for _walk in range(WALKS):
            moved = yield from self._walk(start, end, unseen)
            if not moved:
                return

    def _walk(self, start: datetime, end: datetime, unseen: Unseen) -> Iterator[Page]:
        """Pages 1..n; returns True if orderTotal changed during the walk."""
        total, pages, page_no, moved = None, 1, 1, False
        while page_no <= pages:
            result = self._search(start, end, page_no)
            count = int(result.get("orderTotal") or 0)
            if total is None:
                total, pages = count, max(1, math.ceil(count / self.page_size))
            moved = moved or count != total
            rows = result.get("orderInfoList") or []
            yield self.map_all(unseen(rows), mapping.to_order, mapping.order_id, mapping.version)
            if not rows:
                break
            page_no += 1
        return moved

    def _search(self, start: datetime, end: datetime, page_no: int) -> dict[str, Any]:
        inner = self.call("jingdong.pop.order.search", {
            "start_date": beijing_text(start), "end_date": beijing_text(end),
            "order_state": mapping.ORDER_STATES, "optional_fields": mapping.OPTIONAL_FIELDS,
            "page": str(page_no), "page_size": str(self.page_size),
            "dateType": 0,  # 0 = modified time, 1 = created time
            "sortType": 0,  # ascending
        })
        return _api_result(inner, "searchorderinfo_result", "jingdong.pop.order.search")

    def fetch(self, platform_order_id: str) -> PulledOrder:
        inner = self.call("jingdong.pop.order.get", {
            "order_id": platform_order_id, "optional_fields": mapping.OPTIONAL_FIELDS,
            "order_state": mapping.ORDER_STATES})
        detail = _api_result(inner, "orderDetailInfo", "jingdong.pop.order.get")
        raw = detail.get("orderInfo")
        if not isinstance(raw, dict):
            raise Rejected(f"jd: order {platform_order_id} not in the answer", platform_code="orderInfo")
        return self.map_one(raw, platform_order_id)

    def raw_lines(self, raw: dict[str, Any]) -> list[dict[str, Any]]:
        return list(raw.get("itemInfoList") or [])

    def map_order(self, raw: dict[str, Any]) -> dict[str, Any]:
        """A quarantined order payload, fixed by a person, mapped again."""
        return mapping.to_order(raw)

    # --- write-back --------------------------------------------------------------------------

    def confirm_shipment(self, platform_order_id: str, *, carrier: str, tracking_no: str,
                         line_ids: list[str] | None = None) -> None:
        if line_ids:
            raise Rejected("jd: jingdong.pop.order.shipment ships whole orders; split the order "
                           "on JD first", platform_code="line_ids")
        inner = self.call("jingdong.pop.order.shipment", {
            "orderId": platform_order_id, "logiCoprId": self.carrier_code(carrier, LOGI_COPR_IDS),
            "logiNo": tracking_no})
        result = inner.get("sopjosshipment_result") or {}
        if not result.get("success"):
            reason = (result.get("chinese_err_code") or result.get("chineseErrCode")
                      or result.get("english_err_code") or result.get("englishErrCode") or result)
            raise Rejected(f"jd: shipment of {platform_order_id} refused: {reason}",
                           platform_code=str(result.get("error_code") or result.get("errorCode") or ""))

    def push_stock(self, levels: list[StockLevel]) -> None:
        unknown = []
        for level in levels:
            sku_id = self._sku_id(level.platform_sku)
            if sku_id is None:
                unknown.append(level.platform_sku)
                continue
            inner = self.call("jingdong.stock.write.updateSkuStock",
                              {"skuId": int(sku_id), "stockNum": level.quantity})
            if inner.get("success") is False:
                raise Rejected(f"jd: stock of {level.platform_sku} not updated: {inner}",
                               platform_code="success")
        if unknown:
            raise Rejected(f"jd: no SKU with merchant code {', '.join(unknown)}",
                           platform_code="outerId")

    def _sku_id(self, outer_id: str) -> str | None:
        if outer_id not in self._sku_ids:
            inner = self.call("jingdong.sku.read.searchSkuList",
                              {"outId": outer_id, "field": "skuId,outerId,wareId", "page_size": 20})
            rows = [r for r in (inner.get("page") or {}).get("data") or []
                    if str(r.get("outerId")) == outer_id]
            self._sku_ids[outer_id] = str(rows[0]["skuId"]) if rows else None
        return self._sku_ids[outer_id]


def _api_result(inner: dict[str, Any], key: str, method: str) -> dict[str, Any]:
    """The result object, or an error when its apiResult says the call failed (HTTP 200 and
    code "0" notwithstanding)."""
    result = inner.get(key)
    if not isinstance(result, dict):
        raise Unavailable(f"jd {method}: no {key} in the answer")
    api = result.get("apiResult") or {}
    if api.get("success") is False:
        text = (f"jd {method}: {api.get('numberCode', '')} {api.get('chineseErrCode', '')} "
                f"{api.get('englishErrCode', '')}")
        code = str(api.get("numberCode") or api.get("englishErrCode") or "apiResult")
        busy = any(word in str(api.get("chineseErrCode")) for word in ("繁忙", "系统异常"))
        raise (Unavailable if busy else Rejected)(text, platform_code=code)
    return result


def error_from(error: dict[str, Any], method: str) -> ChannelError:
    """JOS's error_response (code is a string) as one of our errors."""
    code = str(error.get("code", ""))
    text = f"jd {method}: {code} {error.get('zh_desc', '')} {error.get('en_desc', '')}".strip()
    if code in THROTTLE_CODES:
        return Throttled(text, platform_code=code)
    if code in AUTH_CODES:
        return AuthFailed(text, platform_code=code)
    if code in UNAVAILABLE_CODES:
        return Unavailable(text, platform_code=code)
    return Rejected(text, platform_code=code)

