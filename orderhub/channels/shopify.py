"""Shopify Admin REST connector (independent cross-border sites).

`https://{shop}.myshopify.com/admin/api/{version}/…` with `X-Shopify-Access-Token`. Orders:
`orders.json?status=any&updated_at_min&updated_at_max&limit=250`, then cursor paging by the
`Link` header (`page_info`; only `limit` and `fields` may go with it). The leaky bucket (40
calls, leaking 2/s on standard plans) answers HTTP 429 with `Retry-After`; we also slow down
ourselves when `X-Shopify-Shop-Api-Call-Limit` says the bucket is nearly full. A bad token is
HTTP 401. Ship: fulfillment orders, then `POST fulfillments.json`. Stock:
`inventory_levels/set.json` by inventory item and location. Webhooks: Base64 HMAC-SHA256 of the
raw body with the app's client secret in `X-Shopify-Hmac-Sha256`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from orderhub.channels import shopify_mapping as mapping
from orderhub.channels.base import (
    AuthFailed,
    BadPayload,
    Connector,
    Credentials,
    Page,
    PulledOrder,
    Rejected,
    StockLevel,
    Unavailable,
    json_of,
)

ORDER_TOPICS = {"orders/create", "orders/paid", "orders/updated", "orders/cancelled",
                "orders/fulfilled", "orders/partially_fulfilled"}
# Our carrier code -> the tracking company name Shopify recognises, and a tracking page that
# works for every Chinese carrier (Shopify links known companies itself; the URL is for others).
TRACKING_COMPANIES = {
    "SF": "SF Express", "ZTO": "ZTO Express", "YTO": "YTO Express", "YUNDA": "Yunda Express",
    "STO": "STO Express", "JD": "JD Logistics", "EMS": "China EMS (ePacket)",
    "JTSD": "J&T Express", "DBKD": "DEPPON",
}
TRACKING_URL = "https://www.kuaidi100.com/chaxun?nu={number}"


def webhook_signature(secret: str, body: bytes) -> str:
    """Base64(HMAC-SHA256(key=app client secret, message=raw body))."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class ShopifyConnector(Connector):
    channel = "shopify"
    default_base_url = "https://{shop}.myshopify.com"
    max_window = timedelta(days=7)  # Shopify sets none; a week keeps one re-pull bounded
    page_size = 250
    bucket_margin = 4  # calls kept free in the bucket for other apps of the shop

    def __init__(self, credentials: Credentials, **kwargs: Any) -> None:
        super().__init__(credentials, **kwargs)
        if "{shop}" in self.base_url:
            shop = credentials.extra.get("shop", "")
            if not shop:
                raise ValueError("shopify: set base_url or extra['shop'] (the myshopify name)")
            self.base_url = self.base_url.format(shop=shop)
        self._skus: dict[str, int] | None = None

    @property
    def api_version(self) -> str:
        return self.credentials.extra.get("api_version", "2024-10")

    def url(self, path: str) -> str:
        return f"{self.base_url}/admin/api/{self.api_version}/{path}"

    # --- one call ----------------------------------------------------------------------------

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"X-Shopify-Access-Token": self.credentials.access_token,
                   "Accept": "application/json"}
        response = self.send(method, url, headers=headers, **kwargs)
        self._pace(response)
        if response.status_code in (401, 403):
            raise AuthFailed(f"shopify: HTTP {response.status_code} {_errors(response)}",
                             platform_code=str(response.status_code))
        if response.status_code >= 300:
            raise Rejected(f"shopify {method} {url.split('/admin/')[-1]}: HTTP "
                           f"{response.status_code} {_errors(response)}",
                           platform_code=str(response.status_code))
        return response

    def _pace(self, response: httpx.Response) -> None:
        """Wait out the leak before the bucket overflows instead of collecting 429s."""
        used, _, size = response.headers.get("X-Shopify-Shop-Api-Call-Limit", "").partition("/")
        if used.isdigit() and size.isdigit() and int(used) >= int(size) - self.bucket_margin:
            time.sleep(0.5 * (int(used) - int(size) + self.bucket_margin + 1))

    def get_json(self, url: str, **kwargs: Any) -> tuple[Any, httpx.Response]:
        response = self.request("GET", url, **kwargs)
        try:
            return json_of(response), response
        except ValueError as exc:
            raise Unavailable(f"shopify: not JSON: {response.text[:200]!r}") from exc

    # --- orders ------------------------------------------------------------------------------

    def pull(self, start: datetime, end: datetime) -> Iterator[Page]:
        low, high = _second(start), _second(end)
        url: str | None = self.url("orders.json")
        params: dict[str, Any] | None = {
            "status": "any", "updated_at_min": low.isoformat(), "updated_at_max": high.isoformat(),
            "limit": self.page_size}
        while url:
            body, response = self.get_json(url, params=params)
            # updated_at_max is inclusive: an order stamped exactly `high` is the next window's
            rows = [r for r in body.get("orders", []) if _before(r, high)]
            page = self.map_all(rows, mapping.to_order, mapping.order_id, mapping.version)
            yield page
            # the next link carries page_info (+ limit); nothing else may go with it
            url, params = response.links.get("next", {}).get("url"), None

    def raw_lines(self, raw: dict[str, Any]) -> list[dict[str, Any]]:
        return list(raw.get("line_items") or [])

    def map_order(self, raw: dict[str, Any]) -> dict[str, Any]:
        return mapping.to_order(raw)

    def fetch(self, platform_order_id: str) -> PulledOrder:
        body, _ = self.get_json(self.url(f"orders/{platform_order_id}.json"))
        return self.map_one(body["order"], platform_order_id)

    # --- webhooks ----------------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        given = _header(headers, "X-Shopify-Hmac-Sha256")
        if not given or not self.credentials.app_secret:
            return False
        expected = webhook_signature(self.credentials.app_secret, body)
        return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "replace"))

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> Page:
        topic = _header(headers, "X-Shopify-Topic")
        if topic not in ORDER_TOPICS:
            raise Rejected(f"shopify webhook topic {topic!r} carries no order; subscribe to "
                           f"{sorted(ORDER_TOPICS)}", platform_code=topic or None)
        try:
            raw = json.loads(body.decode("utf-8"))
            if not isinstance(raw, dict):
                raise TypeError("the body is not a JSON object")
        except (UnicodeDecodeError, ValueError, TypeError) as exc:
            text = body.decode("utf-8", "replace")
            return Page(orders=[], requests=0, bad=[BadPayload(
                raw={"body": text}, reason=f"{type(exc).__name__}: {exc}")])
        page = self.map_all([raw], mapping.to_order, mapping.order_id)
        page.requests = 0
        return page

    # --- write-back --------------------------------------------------------------------------

    def confirm_shipment(self, platform_order_id: str, *, carrier: str, tracking_no: str,
                         line_ids: list[str] | None = None) -> None:
        """Fulfil the open fulfillment-order lines (only `line_ids` when given). Lines already
        fulfilled are not sent again, so a retried write-back is harmless."""
        if carrier not in TRACKING_COMPANIES:
            raise Rejected(f"shopify: no tracking company for carrier {carrier!r}")
        body, _ = self.get_json(self.url(f"orders/{platform_order_id}/fulfillment_orders.json"))
        wanted = set(line_ids) if line_ids else None
        batches, closed = [], []
        for fo in body.get("fulfillment_orders", []):
            items = [{"id": li["id"], "quantity": li["fulfillable_quantity"]}
                     for li in fo.get("line_items", [])
                     if li.get("fulfillable_quantity", 0) > 0
                     and (wanted is None or str(li["line_item_id"]) in wanted)]
            if fo.get("status") in ("open", "in_progress") and items:
                batches.append({"fulfillment_order_id": fo["id"],
                                "fulfillment_order_line_items": items})
            elif fo.get("status") in ("cancelled", "on_hold", "incomplete"):
                closed.append(f"{fo['id']} is {fo['status']}")
        if not batches:
            if closed:
                raise Rejected(f"shopify order {platform_order_id}: nothing to fulfil "
                               f"({'; '.join(closed)})")
            return  # every wanted line already fulfilled: an earlier try got through
        self.request("POST", self.url("fulfillments.json"), json={"fulfillment": {
            "line_items_by_fulfillment_order": batches,
            "tracking_info": {"company": self.carrier_code(carrier, TRACKING_COMPANIES),
                              "number": tracking_no,
                              "url": TRACKING_URL.format(number=tracking_no)},
            "notify_customer": True}})

    def push_stock(self, levels: list[StockLevel]) -> None:
        location = self._location()
        skus = self._inventory_items()
        unknown = [level.platform_sku for level in levels if level.platform_sku not in skus]
        for level in levels:
            if level.platform_sku in skus:
                self.request("POST", self.url("inventory_levels/set.json"), json={
                    "location_id": location, "inventory_item_id": skus[level.platform_sku],
                    "available": level.quantity})
        if unknown:
            self._skus = None  # maybe new products: look again next time
            raise Rejected(f"shopify: no variant with SKU {', '.join(sorted(unknown))}")

    def _location(self) -> int:
        if self.credentials.extra.get("location_id"):
            return int(self.credentials.extra["location_id"])
        body, _ = self.get_json(self.url("locations.json"))
        active = [loc for loc in body.get("locations", []) if loc.get("active")]
        if not active:
            raise Rejected("shopify: the shop has no active location to hold stock")
        return int(active[0]["id"])

    def _inventory_items(self) -> dict[str, int]:
        """SKU -> inventory_item_id from the product variants (Link-paged), cached."""
        if self._skus is None:
            found: dict[str, int] = {}
            url: str | None = self.url("products.json")
            params: dict[str, Any] | None = {"limit": 250, "fields": "id,variants"}
            while url:
                body, response = self.get_json(url, params=params)
                for product in body.get("products", []):
                    for variant in product.get("variants", []):
                        if variant.get("sku"):
                            found[variant["sku"]] = int(variant["inventory_item_id"])
                url, params = response.links.get("next", {}).get("url"), None
            self._skus = found
        return self._skus


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), "")


def _errors(response: httpx.Response) -> str:
    try:
        return json.dumps(json_of(response).get("errors"), ensure_ascii=False)[:300]
    except (ValueError, AttributeError):
        return response.text[:300]


def _second(value: datetime) -> datetime:
    """Shopify times have whole seconds; both window bounds are cut the same way."""
    return value.astimezone(UTC).replace(microsecond=0)


def _before(row: dict[str, Any], high: datetime) -> bool:
    try:
        return datetime.fromisoformat(row["updated_at"]) < high
    except (KeyError, TypeError, ValueError):
        return True  # keep it: mapping turns it into a BadPayload with the reason
