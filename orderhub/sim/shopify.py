"""Shopify Admin REST simulator: access-token check (401), a leaky bucket per shop (40 calls,
2/s; HTTP 429 + Retry-After), orders with Link-header `page_info` paging that refuses other
filters beside page_info, fulfillment orders and fulfillments, inventory levels, products and
locations, and signed webhooks sent to a URL.

Configurable through `extra`: currency ("USD" default, or "CNY" for a shop selling to buyers in
China), timezone, shop, bucket_size, leak_rate.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from orderhub.channels.base import Credentials
from orderhub.channels.shopify import webhook_signature
from orderhub.core.http import shared_client
from orderhub.sim import shopify_render as view
from orderhub.sim.platform import PlatformSim, SimOrder, SimRequest, SimResponse

PATH = re.compile(r"^/admin/api/(?P<version>\d{4}-\d{2})/(?P<resource>.+)\.json$")
BAD_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
TOO_FAST = ("Exceeded 2 calls per second for api client. Reduce request rates to resume "
            "uninterrupted service.")
ID_SEGMENT = re.compile(r"/\d+")
NOT_FOUND = SimResponse(404, {"errors": "Not Found"})


class ShopifySim(PlatformSim):
    name = "shopify"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.currency = self.extra.get("currency", "USD")
        default_zone = "Asia/Shanghai" if self.currency == "CNY" else "America/New_York"
        self.zone = ZoneInfo(self.extra.get("timezone", default_zone))
        self.shop = self.extra.get("shop", "sim-store")
        self.bucket_size = int(self.extra.get("bucket_size", 40))
        self.leak_rate = float(self.extra.get("leak_rate", 2))
        self.numbers: dict[str, int] = {}  # order id -> order number (#1001, …)
        self.fulfilled: dict[str, int] = {}  # line id -> quantity fulfilled
        self.broken: dict[str, list[str]] = {}  # order id -> fields left out (break_order)
        self._last_select: tuple[Any, list[SimOrder]] = (None, [])
        self._level, self._leaked_at = 0.0, time.monotonic()
        self._bucket_lock = threading.Lock()

    # --- orders of a cross-border shop -------------------------------------------------------

    def new_id(self, n: int, created: datetime) -> str:
        order_id = str(view.ORDER_BASE + n * 1_000)
        self.numbers[order_id] = 1000 + n
        return order_id

    def new_line_id(self, order_id: str, index: int) -> str:
        return str(int(order_id) * 10 + index + 1)

    def generate(self, count: int, **kwargs: Any) -> list[SimOrder]:
        made = super().generate(count, **kwargs)
        if self.currency != "CNY":
            with self.book.lock:
                for order in made:
                    view.overseas(self.book.orders[order.order_id], self.factory.rng)
        return [self.book.get(o.order_id) for o in made]

    def modify(self, kind: str, **kwargs: Any) -> list[SimOrder]:
        changed = super().modify(kind, **kwargs)
        if kind == "address" and self.currency != "CNY":
            with self.book.lock:  # an overseas buyer types a new street, not "（改）"
                for order in changed:
                    stored = self.book.orders[order.order_id]
                    stored.receiver["detail"] = view.new_street(self.factory.rng)
                    order.receiver = dict(stored.receiver)
        return changed

    def break_order(self, order_id: str, path: str) -> None:
        """Render this order without the field at `path` ("line_items.0.price"): a payload
        the connector cannot map, for the quarantine path."""
        self.broken.setdefault(order_id, []).append(path)

    def render(self, order: SimOrder) -> dict[str, Any]:
        rendered = view.render(order, number=self.numbers.get(order.order_id, 1000),
                               currency=self.currency, zone=self.zone, fulfilled=self.fulfilled)
        for path in self.broken.get(order.order_id, []):
            *parents, key = path.split(".")
            node: Any = rendered
            for part in parents:
                node = node[int(part)] if part.isdigit() else node[part]
            node.pop(key, None)
        return rendered

    # --- gateway -----------------------------------------------------------------------------

    def credentials(self) -> Credentials:
        """What a shop pointed at this running simulator needs."""
        return Credentials(app_key=self.app_key, app_secret=self.app_secret,
                           access_token=self.access_token, base_url=self.url,
                           extra={"shop": self.shop})

    def throttled(self, request: SimRequest) -> SimResponse:
        return SimResponse(429, {"errors": TOO_FAST}, {
            "Retry-After": "2.0",
            "X-Shopify-Shop-Api-Call-Limit": f"{self.bucket_size}/{self.bucket_size}"})

    def handle(self, request: SimRequest) -> SimResponse:
        match = PATH.match(request.path)
        if match is None:
            return NOT_FOUND
        resource = match["resource"]
        route = f"{request.method} {ID_SEGMENT.sub('/{id}', resource)}"
        self.calls[route] += 1
        if request.headers.get("x-shopify-access-token") != self.access_token:
            self.refused["bad_token"] += 1
            return SimResponse(401, {"errors": BAD_TOKEN})
        used = self._drip()
        if used is None:
            self.refused["throttled"] += 1
            return self.throttled(request)
        handler = ROUTES.get(route)
        response = NOT_FOUND if handler is None else handler(self, request, resource)
        response = SimResponse(response.status, response.body, dict(response.headers))
        response.headers["X-Shopify-Shop-Api-Call-Limit"] = f"{used}/{self.bucket_size}"
        response.headers["X-Shopify-API-Version"] = match["version"]
        return response

    def _drip(self) -> int | None:
        """One call into the bucket; None when it would overflow."""
        with self._bucket_lock:
            now = time.monotonic()
            self._level = max(0.0, self._level - (now - self._leaked_at) * self.leak_rate)
            self._leaked_at = now
            if self._level + 1 > self.bucket_size:
                return None
            self._level += 1
            return int(self._level + 0.999)

    # --- orders ------------------------------------------------------------------------------

    def _orders(self, request: SimRequest, resource: str) -> SimResponse:
        query = dict(request.query)
        try:
            limit, filters, cursor = self._paging(query, ("status", "updated_at_min",
                                                          "updated_at_max", "created_at_min",
                                                          "created_at_max"))
            with self.book.lock:  # render the live orders while nobody can change them
                rows = self._selected(filters)
                chunk, more = self._slice(rows, cursor, limit, descending=True)
                orders = [self.render(o) for o in chunk]
        except ValueError as exc:
            return SimResponse(400, {"errors": json.loads(str(exc))})
        fields = [f for f in query.get("fields", "").split(",") if f]
        if fields:
            orders = [{k: v for k, v in o.items() if k in fields} for o in orders]
        return SimResponse(200, {"orders": orders},
                           self._links(request, "orders", filters, chunk, more, limit, fields))

    def _selected(self, filters: dict[str, str]) -> list[SimOrder]:
        """The filtered orders newest first (by id); reused while the book is unchanged (any
        change bumps an order's version), so paging a big window is not quadratic."""
        signature = (tuple(sorted(filters.items())), len(self.book.orders),
                     sum(o.version for o in self.book.orders.values()))
        if self._last_select[0] != signature:
            rows = self._select(filters)
            rows.sort(key=lambda o: int(o.order_id), reverse=True)
            self._last_select = (signature, rows)
        return self._last_select[1]

    def _select(self, filters: dict[str, str]) -> list[SimOrder]:
        status = filters.get("status", "open")
        bounds = {k: _time(k, v) for k, v in filters.items() if k != "status"}
        if status not in ("open", "closed", "cancelled", "any"):
            raise ValueError(json.dumps({"status": ["is not included in the list"]}))
        chosen = []
        for order in self.book.orders.values():
            cancelled = order.status in ("cancelled", "closed")
            if (status == "open" and (cancelled or order.status == "completed")) or \
                    (status == "cancelled" and not cancelled) or \
                    (status == "closed" and order.status != "completed"):
                continue
            updated, created = _second(order.modified), _second(order.created)
            if (bounds.get("updated_at_min") and updated < bounds["updated_at_min"]) or \
                    (bounds.get("updated_at_max") and updated > bounds["updated_at_max"]) or \
                    (bounds.get("created_at_min") and created < bounds["created_at_min"]) or \
                    (bounds.get("created_at_max") and created > bounds["created_at_max"]):
                continue
            chosen.append(order)
        return chosen

    def _paging(self, query: dict[str, str], filter_names: tuple[str, ...]
                ) -> tuple[int, dict[str, str], int | None]:
        limit = int(query.get("limit", 50)) if query.get("limit", "50").isdigit() else -1
        if not 1 <= limit <= 250:
            raise ValueError(json.dumps({"limit": ["must be between 1 and 250"]}))
        if "page_info" not in query:
            return limit, {k: v for k, v in query.items() if k in filter_names}, None
        others = set(query) - {"page_info", "limit", "fields"}
        if others:  # as Shopify: page_info carries the filters; nothing else may come along
            raise ValueError(json.dumps({"page_info": [
                f"cannot be used with {', '.join(sorted(others))}; only limit and fields"]}))
        try:
            token = query["page_info"]
            state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            return limit, dict(state["filters"]), int(state["after"])
        except (ValueError, KeyError, TypeError):
            raise ValueError(json.dumps({"page_info": ["Invalid value."]})) from None

    def _slice(self, rows: list[Any], after: int | None, limit: int, *, descending: bool
               ) -> tuple[list[Any], bool]:
        """Keyset paging on the id: rows added or changed mid-paging never shift the rest."""
        ident = (lambda r: int(r.order_id)) if rows and isinstance(rows[0], SimOrder) \
            else (lambda r: int(r["id"]))
        if after is None:
            rest = rows
        else:
            rest = [r for r in rows if (ident(r) < after if descending else ident(r) > after)]
            if self.faults.duplicates:
                rest = [r for r in rows if ident(r) == after] + rest  # the last row again
        return rest[:limit], len(rest) > limit

    def _links(self, request: SimRequest, resource: str, filters: dict[str, str],
               chunk: list[Any], more: bool, limit: int, fields: list[str]) -> dict[str, str]:
        if not more or not chunk:
            return {}
        last = chunk[-1]
        after = int(last.order_id) if isinstance(last, SimOrder) else int(last["id"])
        token = base64.urlsafe_b64encode(json.dumps(
            {"filters": filters, "after": after}).encode()).decode().rstrip("=")
        version = PATH.match(request.path)["version"]
        host = request.headers.get("host", "127.0.0.1")
        extra = f"&fields={','.join(fields)}" if fields else ""
        url = f"http://{host}/admin/api/{version}/{resource}.json?limit={limit}{extra}&page_info={token}"
        return {"Link": f'<{url}>; rel="next"'}

    def _one_order(self, request: SimRequest, resource: str) -> SimResponse:
        order = self.book.get(resource.split("/")[1])
        return NOT_FOUND if order is None else SimResponse(200, {"order": self.render(order)})

    # --- fulfilment --------------------------------------------------------------------------

    def _fulfillment_orders(self, request: SimRequest, resource: str) -> SimResponse:
        order = self.book.get(resource.split("/")[1])
        if order is None:
            return NOT_FOUND
        return SimResponse(200, {"fulfillment_orders": view.fulfillment_orders(order,
                                                                               self.fulfilled)})

    def _fulfil(self, request: SimRequest, resource: str) -> SimResponse:
        try:
            body = request.json()["fulfillment"]
            batches = body["line_items_by_fulfillment_order"]
            tracking = body.get("tracking_info") or {}
        except (ValueError, KeyError, TypeError):
            return SimResponse(400, {"errors": {"fulfillment": "Required parameter missing or invalid"}})
        with self.book.lock:
            plan, problem = self._plan(batches)
            if problem:
                return SimResponse(422, {"errors": [problem]})
            order_id = str(int(batches[0]["fulfillment_order_id"]) - view.FO_OFFSET)
            for line_id, quantity in plan.items():
                self.fulfilled[line_id] = self.fulfilled.get(line_id, 0) + quantity
            self.book.ship(order_id, carrier=tracking.get("company", ""),
                           tracking_no=tracking.get("number", ""), url=tracking.get("url", ""),
                           lines=",".join(sorted(plan)))
        return SimResponse(201, {"fulfillment": {
            "id": 5_100_000_000_000 + len(self.book.shipments), "order_id": int(order_id),
            "status": "success", "tracking_company": tracking.get("company"),
            "tracking_number": tracking.get("number"), "tracking_numbers": [tracking.get("number")],
            "tracking_url": tracking.get("url"), "created_at": _now_iso(self.zone),
            "line_items": [{"id": int(line_id), "quantity": q} for line_id, q in plan.items()]}})

    def _plan(self, batches: list[dict[str, Any]]) -> tuple[dict[str, int], str | None]:
        plan: dict[str, int] = {}
        for batch in batches:
            order = self.book.get(str(int(batch["fulfillment_order_id"]) - view.FO_OFFSET))
            if order is None:
                return {}, f"Fulfillment order {batch['fulfillment_order_id']} does not exist."
            fo = view.fulfillment_orders(order, self.fulfilled)[0]
            if fo["status"] not in ("open", "in_progress"):
                return {}, f"Fulfillment order {fo['id']} has an unfulfillable status= {fo['status']}."
            open_lines = {li["id"]: li for li in fo["line_items"]}
            for item in batch.get("fulfillment_order_line_items") or []:
                li = open_lines.get(int(item["id"]))
                if li is None or not 1 <= int(item["quantity"]) <= li["fulfillable_quantity"]:
                    return {}, f"Invalid fulfillment order line item quantity requested: {item}"
                plan[str(li["line_item_id"])] = int(item["quantity"])
        return plan, None if plan else "No line items to fulfil."

    # --- stock -------------------------------------------------------------------------------

    def _locations(self, request: SimRequest, resource: str) -> SimResponse:
        return SimResponse(200, {"locations": [{
            "id": view.LOCATION_ID, "name": "深圳仓 Shenzhen Warehouse", "active": True,
            "address1": "宝安区福永街道", "city": "Shenzhen", "country_code": "CN", "legacy": False}]})

    def _products(self, request: SimRequest, resource: str) -> SimResponse:
        query = dict(request.query)
        try:
            limit, filters, cursor = self._paging(query, ())
        except ValueError as exc:
            return SimResponse(400, {"errors": json.loads(str(exc))})
        with self.book.lock:
            rows = view.product_rows(dict(self.book.stock), self.currency)
        chunk, more = self._slice(rows, cursor, limit, descending=False)
        fields = [f for f in query.get("fields", "").split(",") if f]
        if fields:
            chunk = [{k: v for k, v in p.items() if k in fields} for p in chunk]
        return SimResponse(200, {"products": chunk},
                           self._links(request, "products", filters, chunk, more, limit, fields))

    def _set_level(self, request: SimRequest, resource: str) -> SimResponse:
        try:
            body = request.json()
            location, item, available = (int(body["location_id"]), int(body["inventory_item_id"]),
                                         int(body["available"]))
        except (ValueError, KeyError, TypeError):
            return SimResponse(400, {"errors": {"inventory_level": "Required parameter missing"}})
        sku = next((code for code, _, _ in view.CATALOGUE
                    if view.ids(code)["inventory_item_id"] == item), None)
        if location != view.LOCATION_ID or sku is None:
            return SimResponse(422, {"errors": ["Inventory item or location does not exist"]})
        self.book.set_stock({sku: available})
        return SimResponse(200, {"inventory_level": {
            "inventory_item_id": item, "location_id": location, "available": available,
            "updated_at": _now_iso(self.zone)}})

    # --- webhooks ----------------------------------------------------------------------------

    def send_webhook(self, url: str, topic: str, order_id: str, *,
                     secret: str | None = None) -> httpx.Response:
        """POST the order to `url` as Shopify does, signed with the app secret (or `secret`,
        to test a refusal)."""
        order = self.book.get(order_id)
        if order is None:
            raise KeyError(f"no order {order_id}")
        body = json.dumps(self.render(order), ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json", "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": webhook_signature(secret or self.app_secret, body),
            "X-Shopify-Shop-Domain": f"{self.shop}.myshopify.com",
            "X-Shopify-API-Version": "2024-10", "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": datetime.now(UTC).isoformat()}
        return shared_client(10).post(url, content=body, headers=headers)


ROUTES = {
    "GET orders": ShopifySim._orders, "GET orders/{id}": ShopifySim._one_order,
    "GET orders/{id}/fulfillment_orders": ShopifySim._fulfillment_orders,
    "POST fulfillments": ShopifySim._fulfil, "GET locations": ShopifySim._locations,
    "GET products": ShopifySim._products, "POST inventory_levels/set": ShopifySim._set_level,
}


def _second(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def _time(name: str, text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(json.dumps({name: ["is not a valid ISO 8601 time"]})) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _now_iso(zone: ZoneInfo) -> str:
    return datetime.now(zone).replace(microsecond=0).isoformat()
