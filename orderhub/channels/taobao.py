"""Taobao / Tmall through TOP (Taobao Open Platform).

Pull: `taobao.trades.sold.increment.get` by modified time, newest first, paged backwards from the
last page as TOP recommends (a trade modified while we page leaves the window and the rows behind
it move up: paging backwards turns that into a repeated row instead of a missed one). The list is
asked for every field we map, so `taobao.trade.fullinfo.get` is only called for a row that comes
back without them (apps whose list access is restricted) and by `fetch`.
Write-back: `taobao.logistics.offline.send`. Stock: `taobao.skus.quantity.update` by the
merchant's SKU code (`outerid_quantities`), `taobao.item.quantity.update` for items without SKUs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from orderhub.channels import _taobao_map as mapping
from orderhub.channels._top import SIGN_METHODS, beijing_text, sign
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
from orderhub.channels.paging import Unseen, read_backwards

TRADE_FIELDS = (
    "tid,tid_str,type,status,step_trade_status,step_paid_fee,created,modified,pay_time,"
    "consign_time,end_time,est_con_time,payment,total_fee,post_fee,discount_fee,adjust_fee,"
    "buyer_nick,buyer_open_uid,buyer_message,seller_memo,seller_flag,receiver_name,"
    "receiver_mobile,receiver_phone,receiver_state,receiver_city,receiver_district,receiver_town,"
    "receiver_address,receiver_zip,receiver_country,oaid,orders"
)
# Trade types TOP leaves out unless asked (it defaults to guarantee_trade, auto_delivery, ec,
# cod, step); fixed is the everyday buy-it-now trade.
TRADE_TYPES = ("fixed,auction,guarantee_trade,step,independent_simple_trade,independent_shop_trade,"
               "auto_delivery,ec,cod,nopaid,tmall_i18n")

# Our carrier codes -> TOP `company_code` (taobao.logistics.companies.get; Cainiao codes).
COMPANY_CODES = {"SF": "SF", "ZTO": "ZTO", "YTO": "YTO", "YUNDA": "YUNDA", "STO": "STO",
                 "JD": "JD", "EMS": "EMS", "JTSD": "JTSD", "DBKD": "DBKD"}

THROTTLE_CODES = {7, 8}  # App Call Limited, App Call Exceeds Limited Frequency
AUTH_CODES = {11, 12, 25, 26, 27, 28, 29}  # permissions, signature, session, app key
UNAVAILABLE_CODES = {10, 15}  # Service Currently Unavailable, Remote Service Error (isp.*)
BAN = re.compile(r"last for (\d+) more second")
SKUS_PER_UPDATE = 20  # taobao.skus.quantity.update takes at most 20 SKUs per call


class TaobaoConnector(Connector):
    channel = "taobao"
    default_base_url = "https://gw.api.taobao.com/router/rest"
    # TOP allows one day and recommends 30 minutes or less; a scheduled pull spans ~10 minutes
    # anyway, and short windows keep every page query cheap and rarely more than one page.
    max_window = timedelta(minutes=30)
    # 1-100 allowed, 40-50 recommended for response time; a 30-minute window fits one page of 50
    # for all but the busiest shops.
    page_size = 50

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # merchant code -> (num_iid, "sku" | "item"), or None when the shop has no such code
        self._stock_targets: dict[str, tuple[str, str] | None] = {}

    # --- transport ---------------------------------------------------------------------------

    @property
    def sign_method(self) -> str:
        method = self.credentials.extra.get("sign_method", "md5")
        if method not in SIGN_METHODS:
            raise AuthFailed(f"taobao: sign_method must be one of {SIGN_METHODS}, not {method!r}")
        return method

    def call(self, method: str, **business: Any) -> dict[str, Any]:
        """One signed TOP call; returns the body under `<method>_response` or raises."""
        params = {"method": method, "app_key": self.credentials.app_key,
                  "session": self.credentials.access_token, "timestamp": beijing_text(self.now()),
                  "format": "json", "v": "2.0", "sign_method": self.sign_method}
        params.update({k: str(v) for k, v in business.items() if v is not None})
        params["sign"] = sign(params, self.credentials.app_secret, params["sign_method"])
        response = self.send("POST", self.base_url, data=params)
        try:
            body = json_of(response)
        except ValueError:
            raise Unavailable(f"taobao {method}: HTTP {response.status_code}, not JSON: "
                              f"{response.text[:200]}") from None
        if not isinstance(body, dict):
            raise Unavailable(f"taobao {method}: unexpected body {response.text[:200]}")
        if "error_response" in body:
            raise error_from(body["error_response"], method)
        key = method.removeprefix("taobao.").replace(".", "_") + "_response"
        if key not in body:
            raise Unavailable(f"taobao {method}: no {key} in {response.text[:200]}")
        return body[key]

    # --- orders ------------------------------------------------------------------------------

    def pull(self, start: datetime, end: datetime) -> Iterator[Page]:
        if end - start > self.max_window:
            raise ValueError(f"taobao: window {end - start} is longer than {self.max_window}")
        unseen = Unseen(mapping.trade_id)  # a row read twice in this window is passed on once

        def read(page_no: int) -> tuple[list[Any], int | None, bool | None]:
            body = self._list(start, end, page_no)
            total = body.get("total_results")
            return ((body.get("trades") or {}).get("trade") or [],
                    None if total is None else int(total), body.get("has_next"))

        for rows in read_backwards(read, first=1, size=self.page_size):
            yield self._page(unseen(rows), requests=1)

    def _list(self, start: datetime, end: datetime, page_no: int) -> dict[str, Any]:
        # use_has_next would drop total_results, which finding the last page needs.
        return self.call("taobao.trades.sold.increment.get", fields=TRADE_FIELDS,
                         start_modified=beijing_text(start), end_modified=beijing_text(end),
                         type=TRADE_TYPES, page_no=page_no, page_size=self.page_size,
                         use_has_next="false")

    def _page(self, rows: list[dict[str, Any]], *, requests: int) -> Page:
        complete = []
        for row in rows:
            if all(key in row for key in mapping.NEEDED) or "tid" not in row:
                complete.append(row)  # complete, or beyond help: map_all keeps it as bad
                continue
            # The list left out fields we need: ask for the whole trade.
            requests += 1
            try:
                complete.append(self._fullinfo(mapping.trade_id(row)))
            except Rejected:
                complete.append(row)  # TOP refused the detail: the partial row is quarantined
        page = self.map_all(complete, mapping.to_order, mapping.trade_id, mapping.version)
        page.requests = requests
        return page

    def _fullinfo(self, tid: str) -> dict[str, Any]:
        body = self.call("taobao.trade.fullinfo.get", tid=tid, fields=TRADE_FIELDS,
                         include_oaid="true")
        if not isinstance(body.get("trade"), dict):
            raise Rejected(f"taobao: trade {tid} not in the fullinfo answer", platform_code="trade")
        return body["trade"]

    def fetch(self, platform_order_id: str) -> PulledOrder:
        raw = self._fullinfo(platform_order_id)
        return self.map_one(raw, platform_order_id)

    def raw_lines(self, raw: dict[str, Any]) -> list[dict[str, Any]]:
        return list((raw.get("orders") or {}).get("order") or [])

    def map_order(self, raw: dict[str, Any]) -> dict[str, Any]:
        """A quarantined trade payload, fixed by a person, mapped again."""
        return mapping.to_order(raw)

    # --- write-back --------------------------------------------------------------------------

    def confirm_shipment(self, platform_order_id: str, *, carrier: str, tracking_no: str,
                         line_ids: list[str] | None = None) -> None:
        company_code = self.carrier_code(carrier, COMPANY_CODES)
        split = {"sub_tid": ",".join(line_ids), "is_split": 1} if line_ids else {}
        body = self.call("taobao.logistics.offline.send", tid=platform_order_id,
                         out_sid=tracking_no, company_code=company_code, **split)
        if not (body.get("shipping") or {}).get("is_success"):
            raise Rejected(f"taobao: shipment of {platform_order_id} not accepted: {body}",
                           platform_code="is_success")

    def push_stock(self, levels: list[StockLevel]) -> None:
        by_item: dict[str, dict[str, int]] = {}
        whole_items: dict[str, int] = {}
        unknown = []
        for level in levels:
            target = self._stock_target(level.platform_sku)
            if target is None:
                unknown.append(level.platform_sku)
            elif target[1] == "sku":
                by_item.setdefault(target[0], {})[level.platform_sku] = level.quantity
            else:
                whole_items[target[0]] = level.quantity
        for num_iid, quantities in by_item.items():
            codes = list(quantities)
            for i in range(0, len(codes), SKUS_PER_UPDATE):
                chunk = ";".join(f"{code}:{quantities[code]}" for code in codes[i:i + SKUS_PER_UPDATE])
                self.call("taobao.skus.quantity.update", num_iid=num_iid,
                          outerid_quantities=chunk, type=1)  # 1 = set the full quantity
        for num_iid, quantity in whole_items.items():
            self.call("taobao.item.quantity.update", num_iid=num_iid, quantity=quantity, type=1)
        if unknown:
            raise Rejected(f"taobao: no item or SKU with merchant code {', '.join(unknown)}",
                           platform_code="outer_id")

    def _stock_target(self, outer_id: str) -> tuple[str, str] | None:
        """(num_iid, "sku"|"item") for a merchant code, looked up once per connector."""
        cache = self._stock_targets
        if outer_id not in cache:
            skus = self.call("taobao.skus.custom.get", outer_id=outer_id,
                             fields="sku_id,num_iid,outer_id")
            rows = (skus.get("skus") or {}).get("sku") or []
            if rows:
                cache[outer_id] = (str(rows[0]["num_iid"]), "sku")
            else:
                items = self.call("taobao.items.custom.get", outer_id=outer_id,
                                  fields="num_iid,outer_id")
                found = (items.get("items") or {}).get("item") or []
                cache[outer_id] = (str(found[0]["num_iid"]), "item") if found else None
        return cache[outer_id]


def error_from(error: dict[str, Any], method: str) -> ChannelError:
    """TOP's error_response as one of our errors, keeping TOP's code and messages."""
    try:
        code = int(error.get("code"))
    except (TypeError, ValueError):
        code = -1
    sub_code = str(error.get("sub_code") or "")
    text = f"taobao {method}: {code} {error.get('msg', '')}"
    if sub_code or error.get("sub_msg"):
        text += f" ({sub_code}: {error.get('sub_msg', '')})"
    platform_code = f"{code}/{sub_code}" if sub_code else str(code)
    if code in THROTTLE_CODES:
        ban = BAN.search(f"{error.get('sub_msg', '')} {error.get('msg', '')}")
        return Throttled(text, platform_code=platform_code,
                         retry_after=float(ban.group(1)) if ban else None)
    if code in AUTH_CODES:
        return AuthFailed(text, platform_code=platform_code)
    # Code 15 carries both the platform's own failures (isp.*: retry later) and refusals of our
    # arguments (isv.*: retrying the same call will not help).
    if code in UNAVAILABLE_CODES and not sub_code.startswith("isv."):
        return Unavailable(text, platform_code=platform_code)
    return Rejected(text, platform_code=platform_code)
