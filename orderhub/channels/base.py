"""What every platform connector does, and the errors it speaks in.

A connector knows one platform's wire format: signing, parameter names, paging, time and money
units, status names and error bodies. It turns the platform's orders into the canonical order
shape (the dict `orders.schemas.OrderIn` validates, without "shop") and never touches the
database: `sync.py` stores what it returns, so the same connector serves pulls, pushes, tests
and benchmarks.

Platforms answer HTTP 200 with an error body; connectors raise the errors below for those too,
so callers decide on retrying from one vocabulary:

    Throttled     the platform asked us to slow down (retry after backing off)
    Unavailable   5xx, timeouts, connection errors, "remote service error" (retry later)
    AuthFailed    bad signature, app key, token or session: retrying will not help; the shop
                  is marked unhealthy and a person must fix the credentials
    Rejected      the platform refused this request (bad argument, order not shippable)
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx
import orjson

from orderhub.core.http import shared_client

# Our carrier codes (fulfilment uses them); each connector maps them to the platform's own.
CARRIERS = {
    "SF": "顺丰速运", "ZTO": "中通快递", "YTO": "圆通速递", "YUNDA": "韵达快递", "STO": "申通快递",
    "JD": "京东物流", "EMS": "中国邮政EMS", "JTSD": "极兔速递", "DBKD": "德邦快递",
}


class ChannelError(Exception):
    """A platform said no. `platform_code` is the platform's own error code, kept for people."""

    retryable = False
    kind = "error"

    def __init__(self, message: str, *, platform_code: str | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.platform_code = platform_code
        self.retry_after = retry_after


class Throttled(ChannelError):
    retryable = True
    kind = "throttled"


class Unavailable(ChannelError):
    retryable = True
    kind = "unavailable"


class AuthFailed(ChannelError):
    kind = "auth_failed"


class Rejected(ChannelError):
    kind = "rejected"


@dataclass(frozen=True)
class Credentials:
    """A shop's keys. `extra` holds what only some platforms need (Kuaishou's sign secret,
    Shopify's API version, a JD vendor id)."""

    app_key: str = ""
    app_secret: str = ""
    access_token: str = ""
    base_url: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass
class PulledOrder:
    """One platform order: the canonical dict (OrderIn without "shop") and the payload exactly
    as the platform sent it, which is kept beside the order."""

    order: dict[str, Any]
    raw: dict[str, Any]


@dataclass
class BadPayload:
    """A platform order we could not turn into a canonical order; it goes to quarantine."""

    raw: dict[str, Any]
    reason: str
    platform_order_id: str | None = None


@dataclass
class Page:
    orders: list[PulledOrder]
    bad: list[BadPayload] = field(default_factory=list)
    requests: int = 1  # HTTP calls it took (a list page plus any detail fetches)
    # Orders left out, unmapped, because the database already has them in this version
    # (see Connector.stored_versions); the pull counts them as seen and unchanged.
    unchanged: int = 0


# (platform order id, modified time, status) of one platform payload, exactly as the connector's
# mapping would set them, read without mapping the rest of the order.
VersionReader = Callable[[dict[str, Any]], tuple[str, datetime | None, str]]
# A version as the pull compares it: (modified time as a POSIX timestamp, status).
Version = tuple[float | None, str]


@dataclass(frozen=True)
class StockLevel:
    """Sellable quantity of one platform SKU (the merchant code we map from)."""

    platform_sku: str
    quantity: int


class Connector(ABC):
    """One shop on one platform. Subclasses set the class attributes from the platform's docs."""

    channel: ClassVar[str]
    default_base_url: ClassVar[str]
    max_window: ClassVar[timedelta]  # longest modified-time window one query may span
    page_size: ClassVar[int]  # the platform's maximum (or recommended) page size
    timeout: ClassVar[float] = 15.0
    # Set by a pull (sync.py): the versions the database holds of some platform order ids. With
    # it, `map_all` leaves out the orders the database has in the version the page carries, so
    # re-reading unchanged orders (the overlap, a re-pull) costs no mapping. The connector itself
    # never touches the database.
    stored_versions: Callable[[set[str]], dict[str, Version]] | None = None

    def __init__(self, credentials: Credentials, *, client: httpx.Client | None = None,
                 now: Callable[[], datetime] | None = None) -> None:
        self.credentials = credentials
        self.base_url = (credentials.base_url or self.default_base_url).rstrip("/")
        self.client = client or shared_client(self.timeout)
        self._now = now

    # --- what every platform offers ----------------------------------------------------------

    @abstractmethod
    def pull(self, start: datetime, end: datetime) -> Iterator[Page]:
        """Every order modified in [start, end) (end - start <= max_window), page by page, in the
        order the platform recommends (some page backwards so nothing shifts under them)."""

    @abstractmethod
    def fetch(self, platform_order_id: str) -> PulledOrder:
        """One order in full."""

    @abstractmethod
    def confirm_shipment(self, platform_order_id: str, *, carrier: str, tracking_no: str,
                         line_ids: list[str] | None = None) -> None:
        """Tell the platform the order left with `carrier` (one of CARRIERS) under
        `tracking_no`; `line_ids` ships only those lines where the platform allows it."""

    @abstractmethod
    def push_stock(self, levels: list[StockLevel]) -> None:
        """Set the sellable quantity of these SKUs on the platform."""

    def map_order(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The canonical order for one platform payload as `pull` returns it (re-processing a
        quarantined payload after a person fixed it)."""
        raise NotImplementedError(f"{self.channel} cannot map a single payload")

    def raw_lines(self, raw: dict[str, Any]) -> list[dict[str, Any]]:
        """The line payloads inside one order's payload, in the order `map_order` maps them
        (per-shop field overrides read them)."""
        return []

    def carrier_code(self, carrier: str, table: Mapping[str, Any]) -> Any:
        """The platform's code for one of our carriers: the connector's table, overridden or
        extended per shop by extra["carrier_codes"] = "JTSD:5001,DBKD:3046" (platforms add
        carriers faster than we release)."""
        overrides = dict(pair.strip().split(":", 1) for pair in
                         self.credentials.extra.get("carrier_codes", "").split(",") if ":" in pair)
        codes = {**table, **overrides}
        if carrier not in codes:
            raise Rejected(f"{self.channel}: no carrier code for {carrier!r}; set it in the "
                           f"shop's carrier_codes (e.g. {carrier}:<code>)", platform_code="carrier")
        return codes[carrier]

    def require_whole_order(self, platform_order_id: str, line_ids: list[str] | None,
                            api: str) -> None:
        """For ship APIs that ship the whole order: asking for some of its lines is refused
        (asking for all of them, or none, is the whole order)."""
        if not line_ids:
            return
        lines = {line["platform_line_id"] for line in self.fetch(platform_order_id).order["lines"]}
        if set(map(str, line_ids)) != lines:
            raise Rejected(f"{api} ships the whole order; lines {sorted(lines)} but asked for "
                           f"{sorted(map(str, line_ids))}")

    def map_one(self, raw: dict[str, Any], platform_order_id: str) -> PulledOrder:
        """One fetched order; one that does not map is refused with the reason."""
        try:
            return PulledOrder(order=self.map_order(raw), raw=raw)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise Rejected(f"{self.channel}: order {platform_order_id} cannot be mapped: "
                           f"{type(exc).__name__}: {exc}", platform_code="mapping") from exc

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        """True if a push really came from the platform (signature over the raw body)."""
        raise Rejected(f"{self.channel} does not push orders")

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> Page:
        """The orders a verified push carries."""
        raise Rejected(f"{self.channel} does not push orders")

    # --- helpers for subclasses --------------------------------------------------------------

    def now(self) -> datetime:
        from orderhub.core import clock
        return self._now() if self._now else clock.now()

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One HTTP call; transport failures and 5xx become Unavailable, 429 Throttled."""
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise Unavailable(f"{self.channel}: no answer within {self.timeout:g} s") from exc
        except httpx.TransportError as exc:
            raise Unavailable(f"{self.channel}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 429:
            raise Throttled(f"{self.channel}: HTTP 429 {response.text[:200]}",
                            platform_code="429", retry_after=_seconds(response.headers))
        if response.status_code >= 500:
            raise Unavailable(f"{self.channel}: HTTP {response.status_code} {response.text[:200]}",
                              platform_code=str(response.status_code))
        return response

    def map_all(self, raws: list[dict[str, Any]], to_order: Callable[[dict[str, Any]], dict[str, Any]],
                order_id: Callable[[dict[str, Any]], Any],
                version: VersionReader | None = None) -> Page:
        """Map each platform order; one that does not map is kept as a BadPayload with the
        reason, and the rest of the page carries on. With `version` (and `stored_versions` set),
        orders the database has in the same version are counted, not mapped."""
        answered = getattr(_pull_thread, "answered", None)
        if answered is not None:
            answered()
        page = Page(orders=[])
        if version is not None and self.stored_versions is not None:
            raws, page.unchanged = _changed_only(raws, version, self.stored_versions)
        for raw in raws:
            try:
                page.orders.append(PulledOrder(order=to_order(raw), raw=raw))
            except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
                try:
                    ident = order_id(raw)
                except Exception:  # noqa: BLE001 — the id itself may be what is missing
                    ident = None
                page.bad.append(BadPayload(raw=raw, reason=f"{type(exc).__name__}: {exc}",
                                           platform_order_id=None if ident is None else str(ident)))
        return page


_pull_thread = threading.local()


def on_answer(callback: Callable[[], None] | None) -> None:
    """Have `map_all` call `callback` in this thread whenever the platform has answered with a
    page, before the page is mapped. A pull fetches each window in a thread of its own and uses
    it to send the next window's request while this page is mapped and looked up."""
    _pull_thread.answered = callback


def _changed_only(raws: list[dict[str, Any]], version: VersionReader,
                  stored_versions: Callable[[set[str]], dict[str, Version]]
                  ) -> tuple[list[dict[str, Any]], int]:
    """The payloads whose (id, modified time, status) the database does not have, and how many
    were left out. A payload whose version cannot be read is kept: mapping it says what is
    wrong."""
    read: list[tuple[dict[str, Any], str | None, Version | None]] = []
    for raw in raws:
        try:
            key, modified, status = version(raw)
        except Exception:  # noqa: BLE001 — any trouble reading it is the mapper's to report
            read.append((raw, None, None))
            continue
        if not (isinstance(key, str) and key and key == key.strip() and isinstance(status, str)):
            read.append((raw, None, None))  # validation may change it: let the store compare
            continue
        read.append((raw, key, (None if modified is None else modified.timestamp(), status)))
    keys = {key for _, key, _ in read if key is not None}
    stored = stored_versions(keys) if keys else {}
    changed = [raw for raw, key, seen in read if key is None or stored.get(key) != seen]
    return changed, len(raws) - len(changed)


def json_of(response: httpx.Response) -> Any:
    """The response's JSON body; ValueError when it is not JSON. orjson parses the pages about
    three times faster than the json module; what it refuses but the json module reads (NaN,
    integers beyond 64 bits) still goes through the json module, so nothing that parsed before
    fails now."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return json.loads(response.content)


def _seconds(headers: Mapping[str, str]) -> float | None:
    try:
        return float(headers.get("Retry-After", ""))
    except ValueError:
        return None


def windows(start: datetime, end: datetime, size: timedelta) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut into consecutive windows no longer than `size`."""
    while start < end:
        stop = min(start + size, end)
        yield start, stop
        start = stop
