"""What every platform simulator shares: an order book (the ground truth), realistic orders,
fault injection, and a real HTTP server.

A platform module (`sim/taobao.py`, …) subclasses `PlatformSim` and only speaks its wire
format: check the signature exactly as the platform does, select and page orders from the
book, render them with the platform's field names, units and masking, and answer errors in the
platform's shape. Faults are applied here, before the platform code runs, so every simulator
can be throttled, fail with 5xx, hang, or repeat rows across pages in the same way.

Control endpoints (under /_sim/, JSON) let tests, the demo and a person with curl drive a
running simulator: add orders, modify them after payment, inject faults, read the truth.
"""

from __future__ import annotations

import json
import random
import threading
import time
from abc import ABC, abstractmethod
from bisect import bisect_left, bisect_right
from collections import Counter
from copy import copy
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

import orjson

from orderhub.sim.own_store import GIVEN, PLACES, PRODUCTS, REMARKS, SURNAMES

# Lines whose merchant code no catalogue knows: the demo's "unmapped SKU" case.
UNKNOWN_PRODUCTS = [("NEW-2027-CAP-RED", "新款针织帽 红色", "59.00")]
STATUSES = ("unpaid", "paid", "shipped", "cancelled", "closed", "completed")
MODIFICATIONS = ("address", "remark", "refund", "cancel", "pay", "memo")


@dataclass
class SimLine:
    line_id: str
    sku_id: str  # the platform's own SKU id
    outer_code: str  # the merchant's SKU code as entered on the platform
    title: str
    quantity: int
    unit_price: Decimal  # yuan
    discount: Decimal = Decimal("0.00")
    refund: str = "none"  # none | requested | refunded


@dataclass
class SimOrder:
    order_id: str
    status: str  # one of STATUSES, platform-neutral
    created: datetime
    paid: datetime | None
    modified: datetime
    buyer_id: str
    buyer_nick: str
    receiver: dict[str, str]  # name, phone, province, city, district, street, detail, zip
    lines: list[SimLine]
    buyer_remark: str = ""
    seller_memo: str = ""
    shipping_fee: Decimal = Decimal("0.00")
    presale: bool = False
    promised_ship_at: datetime | None = None
    shipment: dict[str, str] | None = None
    version: int = 1

    def snapshot(self) -> SimOrder:
        """A copy that later changes to the book do not reach. Every field but the receiver,
        the lines and the shipment is immutable, so this is a deep copy at a fraction of
        `copy.deepcopy`'s cost (which was most of a list call's time)."""
        return replace(self, receiver=dict(self.receiver), lines=[copy(l) for l in self.lines],
                       shipment=None if self.shipment is None else dict(self.shipment))

    @property
    def goods_total(self) -> Decimal:
        return sum((l.unit_price * l.quantity for l in self.lines), Decimal("0.00"))

    @property
    def discount_total(self) -> Decimal:
        return sum((l.discount for l in self.lines), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.goods_total - self.discount_total + self.shipping_fee


@dataclass
class Faults:
    """What goes wrong, and how often. Counters ("next N calls") run down as calls arrive."""

    throttle: int = 0  # the next N API calls are throttled
    throttle_every: int = 0  # and every Nth call after that (0 = never)
    errors: int = 0  # the next N calls answer HTTP 502
    timeouts: int = 0  # the next N calls hang for hang_seconds before answering
    hang_seconds: float = 20.0
    slow_seconds: float = 0.0  # every call answers this late
    duplicates: bool = False  # each page after the first repeats the last row of the one before

    def update(self, values: dict[str, Any]) -> None:
        names = {f.name for f in fields(self)}
        unknown = set(values) - names
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; known: {sorted(names)}")
        for key, value in values.items():
            setattr(self, key, type(getattr(self, key))(value))


@dataclass
class SimRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # keys lower-cased
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        if "application/x-www-form-urlencoded" not in self.headers.get("content-type", ""):
            return {}
        return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def params(self) -> dict[str, str]:
        """Query and form parameters together, as most Chinese gateways read them."""
        return {**self.query, **self.form}


@dataclass
class SimResponse:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes/str sent as they are
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode("utf-8"), "text/plain; charset=utf-8"
        return encode_json(self.body), "application/json; charset=utf-8"


def encode_json(body: Any) -> bytes:
    """UTF-8 JSON. orjson is several times faster than the json module, which matters because
    the simulator shares the machine with OrderHub in tests and benches; what orjson refuses
    (integers beyond 64 bits, values needing `default`) goes through the json module."""
    try:
        return orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(body, ensure_ascii=False).encode("utf-8")


class OrderBook:
    """The simulator's orders: what the platform knows, and what a correct pull must end with."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.orders: dict[str, SimOrder] = {}
        self.shipments: list[dict[str, Any]] = []
        self.stock: dict[str, int] = {}
        self.stock_pushes: list[dict[str, int]] = []
        # by time field -> the orders sorted by (that time, id), so a page call finds its window
        # by bisection instead of looking at every order. Rebuilt after any change through the
        # book's methods (order times change only there) or an order added behind its back.
        self._sorted: dict[str, tuple[int, list[tuple[datetime, str, SimOrder]]]] = {}

    def add(self, order: SimOrder) -> None:
        with self.lock:
            self.orders[order.order_id] = order
            self._sorted.clear()

    def between(self, start: datetime, end: datetime, *, by: str = "modified") -> list[SimOrder]:
        """The live orders whose `by` time lies in [start, end], oldest first (ties by id).
        Call it, and use the rows, inside `with book.lock:`."""
        count, rows = self._sorted.get(by, (-1, []))
        if count != len(self.orders):
            rows = sorted(((t, o.order_id, o) for o in self.orders.values()
                           if (t := getattr(o, by)) is not None), key=lambda r: (r[0], r[1]))
            self._sorted[by] = (len(self.orders), rows)
        low = bisect_left(rows, start, key=lambda r: r[0])
        high = bisect_right(rows, end, key=lambda r: r[0])
        return [o for _, _, o in rows[low:high]]

    def get(self, order_id: str) -> SimOrder | None:
        with self.lock:
            order = self.orders.get(order_id)
            return order.snapshot() if order else None

    def modified_between(self, start: datetime, end: datetime, *,
                         statuses: tuple[str, ...] | None = None,
                         by: str = "modified") -> list[SimOrder]:
        """Copies of the orders whose `by` time lies in [start, end], oldest first (inclusive
        at both ends, as the platforms document their windows)."""
        with self.lock:
            return [o.snapshot() for o in self.between(start, end, by=by)
                    if statuses is None or o.status in statuses]

    def modify(self, order_id: str, kind: str, *, at: datetime, rng: random.Random) -> SimOrder:
        """A change the buyer, the seller or the platform makes after the order was placed."""
        with self.lock:
            order = self.orders[order_id]
            if kind == "address":
                order.receiver = dict(order.receiver, detail=order.receiver["detail"] + "（改）",
                                      name=order.receiver["name"])
            elif kind == "remark":
                order.buyer_remark = "麻烦改成周末送货，谢谢"
            elif kind == "memo":
                order.seller_memo = "客服已确认，优先发货"
            elif kind == "refund":
                order.lines[0].refund = "requested"
            elif kind == "cancel":
                order.status = "closed" if order.paid else "cancelled"
                for line in order.lines:
                    line.refund = "refunded" if order.paid else line.refund
            elif kind == "pay":
                order.status, order.paid = "paid", at
            else:
                raise ValueError(f"unknown modification {kind!r}; one of {MODIFICATIONS}")
            order.modified = max(at, order.modified + timedelta(seconds=1))
            order.version += 1
            self._sorted.clear()
            return order.snapshot()

    def ship(self, order_id: str, **record: Any) -> SimOrder:
        with self.lock:
            order = self.orders[order_id]
            order.shipment = {k: str(v) for k, v in record.items()}
            order.status = "shipped"
            order.modified = max(datetime.now(UTC), order.modified + timedelta(seconds=1))
            order.version += 1
            self._sorted.clear()
            self.shipments.append({"order_id": order_id, **record})
            return order.snapshot()

    def set_stock(self, levels: dict[str, int]) -> None:
        with self.lock:
            self.stock.update(levels)
            self.stock_pushes.append(dict(levels))

    def truth(self) -> dict[str, Any]:
        with self.lock:
            return {
                "orders": {o.order_id: {"status": o.status, "version": o.version,
                                        "modified": o.modified.isoformat(),
                                        "refunds": [l.refund for l in o.lines],
                                        "detail": o.receiver["detail"],
                                        "buyer_remark": o.buyer_remark}
                           for o in self.orders.values()},
                "shipments": list(self.shipments),
                "stock": dict(self.stock),
                "stock_pushes": len(self.stock_pushes),
            }


class OrderFactory:
    """Realistic orders: Chinese names, real divisions, remarks, presale, multi-line, refunds.
    Deterministic for a seed; order ids come from the platform (`new_id`)."""

    def __init__(self, sim: PlatformSim, seed: int | None) -> None:
        self.sim = sim
        self.rng = random.Random(seed)
        self.count = 0

    def make(self, *, created: datetime, unpaid_share: float = 0.1,
             unknown_sku_share: float = 0.0) -> SimOrder:
        rng = self.rng
        self.count += 1
        paid = None if rng.random() < unpaid_share else created + timedelta(seconds=rng.randint(3, 120))
        province, city, district, streets = rng.choice(PLACES)
        lines = [self._line(i, unknown_sku_share) for i in range(rng.choice((1, 1, 1, 2, 2, 3)))]
        presale = rng.random() < 0.05
        order = SimOrder(
            order_id=self.sim.new_id(self.count, created), status="paid" if paid else "unpaid",
            created=created, paid=paid, modified=paid or created,
            buyer_id=f"{rng.randint(10**9, 10**10 - 1)}", buyer_nick=self._name() + "的小号",
            receiver={"name": self._name(), "phone": self._phone(), "province": province,
                      "city": city, "district": district, "street": "",
                      "detail": f"{rng.choice(streets)}{rng.randint(1, 999)}号{rng.randint(1, 30)}幢"
                                f"{rng.randint(1, 30)}0{rng.randint(1, 6)}室",
                      "zip": ""},
            lines=lines, buyer_remark=rng.choice(REMARKS), presale=presale,
            promised_ship_at=created + timedelta(days=10) if presale else None)
        for i, line in enumerate(order.lines):
            line.line_id = self.sim.new_line_id(order.order_id, i)
        order.shipping_fee = Decimal("0.00") if order.goods_total >= 99 else Decimal("8.00")
        if paid and rng.random() < 0.03:
            order.lines[0].refund = "requested"
        return order

    def _line(self, index: int, unknown_sku_share: float) -> SimLine:
        rng = self.rng
        catalogue = UNKNOWN_PRODUCTS if rng.random() < unknown_sku_share else PRODUCTS
        position = rng.randrange(len(catalogue))
        code, title, price = catalogue[position]
        quantity = rng.choice((1, 1, 1, 2))
        discount = (Decimal(price) * quantity * Decimal(rng.choice((0, 0, 5, 10))) / 100)
        return SimLine(line_id="", sku_id=str(4_000_000_000 + position * 1_000 + len(code)),
                       outer_code=code, title=title, quantity=quantity, unit_price=Decimal(price),
                       discount=discount.quantize(Decimal("0.01")))

    def _name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choices(GIVEN, k=self.rng.choice((1, 2))))

    def _phone(self) -> str:
        return self.rng.choice(("138", "139", "150", "186", "177", "199")) + \
            f"{self.rng.randint(0, 99_999_999):08d}"


# How often a serving thread looks for stop(): socketserver's default half second was most of
# the time of a test that starts and stops a few simulators.
STOP_POLL_SECONDS = 0.05


class _Server(ThreadingHTTPServer):
    # Bursts of concurrent calls (waybills for a batch) overflow the default listen queue of 5,
    # and each dropped connection costs the client a one-second retry.
    request_queue_size = 256
    daemon_threads = True


class HttpServing:
    """A real HTTP server in a thread for anything with `dispatch(SimRequest) -> SimResponse`
    and a `name`: the platform simulators and the messaging ones."""

    name: str
    _server: ThreadingHTTPServer | None = None

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a background thread; returns the base URL."""
        self._server = _Server((host, port), _handler_for(self))  # type: ignore[arg-type]
        threading.Thread(target=self._server.serve_forever, args=(STOP_POLL_SECONDS,),
                         name=f"sim-{self.name}", daemon=True).start()
        return self.url

    @property
    def url(self) -> str:
        assert self._server is not None, "simulator not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def serve_forever(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), _handler_for(self))  # type: ignore[arg-type]
        self._server.serve_forever()

    def stop(self) -> None:
        self._on_stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _on_stop(self) -> None:
        """What else stops with the server (a feed of new orders)."""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class PlatformSim(HttpServing, ABC):
    """One platform. Subclasses implement `handle` (the platform API) and the error shapes."""

    name: str = "platform"

    def __init__(self, *, app_key: str = "sim-app-key", app_secret: str = "sim-app-secret",
                 access_token: str = "sim-access-token", seed: int | None = None,
                 extra: dict[str, str] | None = None) -> None:
        self.app_key, self.app_secret, self.access_token = app_key, app_secret, access_token
        self.extra = dict(extra or {})
        self.book = OrderBook()
        self.faults = Faults()
        self.factory = OrderFactory(self, seed)
        self.calls: Counter[str] = Counter()  # API calls by method name
        self.refused: Counter[str] = Counter()  # refusals by reason (bad sign, throttled, …)
        self._call_no = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._feed_stop = threading.Event()

    # --- the platform's side: subclasses ----------------------------------------------------

    @abstractmethod
    def handle(self, request: SimRequest) -> SimResponse:
        """Answer one API call (faults already applied)."""

    @abstractmethod
    def throttled(self, request: SimRequest) -> SimResponse:
        """The platform's answer when a client calls too fast."""

    def new_id(self, n: int, created: datetime) -> str:
        return f"{created:%y%m%d}{n:010d}"

    def new_line_id(self, order_id: str, index: int) -> str:
        return f"{order_id}{index + 1:02d}"

    # --- orders -----------------------------------------------------------------------------

    def generate(self, count: int, *, start: datetime | None = None, end: datetime | None = None,
                 unpaid_share: float = 0.1, unknown_sku_share: float = 0.0) -> list[SimOrder]:
        """`count` orders created evenly over [start, end) (default: the last 24 hours)."""
        end = end or datetime.now(UTC)
        start = start or end - timedelta(hours=24)
        span = (end - start) / max(count, 1)
        made = []
        for i in range(count):
            created = start + span * i + timedelta(seconds=self.factory.rng.random() *
                                                   span.total_seconds() * 0.5)
            order = self.factory.make(created=created, unpaid_share=unpaid_share,
                                      unknown_sku_share=unknown_sku_share)
            order.modified = min(order.modified, end)
            self.book.add(order)
            made.append(order)
        return made

    def modify(self, kind: str, *, count: int = 1, order_id: str | None = None,
               at: datetime | None = None) -> list[SimOrder]:
        """Change paid (or, for "pay", unpaid) orders after the fact."""
        at = at or datetime.now(UTC)
        if order_id:
            return [self.book.modify(order_id, kind, at=at, rng=self.factory.rng)]
        wanted = "unpaid" if kind == "pay" else "paid"
        with self.book.lock:
            candidates = sorted(o.order_id for o in self.book.orders.values() if o.status == wanted)
        chosen = self.factory.rng.sample(candidates, min(count, len(candidates)))
        return [self.book.modify(oid, kind, at=at, rng=self.factory.rng) for oid in chosen]

    def page(self, rows: list[Any], index: int, size: int) -> list[Any]:
        """Rows of page `index` (0-based). With the duplicates fault, every page after the first
        starts with the last row of the page before, as when rows shift during paging."""
        chunk = rows[index * size:(index + 1) * size]
        if self.faults.duplicates and index > 0 and index * size <= len(rows):
            chunk = [rows[index * size - 1], *chunk]
        return chunk

    def start_feed(self, *, every_seconds: float, unknown_sku_share: float = 0.05) -> None:
        """Keep new orders arriving (the demo): one order every `every_seconds`."""
        def run() -> None:
            while not self._feed_stop.wait(every_seconds):
                now = datetime.now(UTC)
                self.generate(1, start=now - timedelta(seconds=1), end=now,
                              unknown_sku_share=unknown_sku_share)
        threading.Thread(target=run, name=f"sim-{self.name}-feed", daemon=True).start()

    # --- dispatch ---------------------------------------------------------------------------

    def dispatch(self, request: SimRequest) -> SimResponse:
        if request.path.startswith("/_sim/"):
            return self._control(request)
        with self._lock:
            self._call_no += 1
            call_no = self._call_no
            fault = self._take_fault(call_no)
        if self.faults.slow_seconds:
            time.sleep(self.faults.slow_seconds)
        if fault == "throttle":
            self.refused["throttled"] += 1
            return self.throttled(request)
        if fault == "error":
            self.refused["error"] += 1
            return SimResponse(502, "<html><body>502 Bad Gateway</body></html>")
        if fault == "timeout":
            self.refused["timeout"] += 1
            time.sleep(self.faults.hang_seconds)
        return self.handle(request)

    def _take_fault(self, call_no: int) -> str | None:
        f = self.faults
        if f.errors > 0:
            f.errors -= 1
            return "error"
        if f.timeouts > 0:
            f.timeouts -= 1
            return "timeout"
        if f.throttle > 0:
            f.throttle -= 1
            return "throttle"
        if f.throttle_every and call_no % f.throttle_every == 0:
            return "throttle"
        return None

    def _control(self, request: SimRequest) -> SimResponse:
        action = request.path.removeprefix("/_sim/").strip("/")
        body = request.json() if request.body else {}
        try:
            if action == "truth":
                return SimResponse(200, self.book.truth() | {"calls": dict(self.calls),
                                                             "refused": dict(self.refused)})
            if action == "orders":
                made = self.generate(int(body.get("count", 10)),
                                     unknown_sku_share=float(body.get("unknown_sku_share", 0)))
                return SimResponse(200, {"created": [o.order_id for o in made]})
            if action == "modify":
                changed = self.modify(body["kind"], count=int(body.get("count", 1)),
                                      order_id=body.get("order_id"))
                return SimResponse(200, {"modified": [o.order_id for o in changed]})
            if action == "faults":
                self.faults.update(body)
                return SimResponse(200, asdict(self.faults))
        except (KeyError, ValueError) as exc:
            return SimResponse(400, {"error": str(exc)})
        return SimResponse(404, {"error": f"no control action {action!r}",
                                 "actions": ["truth", "orders", "modify", "faults"]})

    def _on_stop(self) -> None:
        self._feed_stop.set()


def _handler_for(sim: PlatformSim) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as two writes; with Nagle on, the body waits ~40 ms for the
        # client's delayed ACK, which would make every simulated call look that slow.
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = SimRequest(
                method=self.command, path=parts.path,
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"")
            try:
                response = sim.dispatch(request)
            except Exception as exc:  # noqa: BLE001 — a simulator bug answers 500, like a platform
                response = SimResponse(500, {"error": f"{type(exc).__name__}: {exc}"})
            payload, content_type = response.encoded()
            try:
                self.send_response(response.status)
                headers = {"Content-Type": content_type, **response.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout fault): nothing to tell it

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


BEIJING = timezone(timedelta(hours=8))


@lru_cache(maxsize=1 << 16)
def beijing(dt: datetime | None) -> str:
    """`yyyy-MM-dd HH:mm:ss` in GMT+8, the Chinese platforms' time format. Cached: a list call
    formats four or five times per order, every time it is asked for."""
    return "" if dt is None else dt.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def parse_beijing(text: str) -> datetime:
    """Accepts `yyyy-MM-dd HH:mm:ss` with optional `.fff` and optional `+0800`."""
    text = text.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S.%f%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S.%f",
                "%Y-%m-%d %H:%M:%S"):
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=BEIJING)
    raise ValueError(f"not a yyyy-MM-dd HH:mm:ss time: {text!r}")


def mask_name(name: str) -> str:
    return name[:1] + "**" if name else ""


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"
