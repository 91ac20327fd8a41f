"""Pulling a shop's orders: incremental by modified time, window by window, page by page.

    start = checkpoint - overlap (a new shop: now - first-pull hours), end = now
    a thread fetches, for each window of at most the platform's maximum span, page after page,
    then "window done"; the pull takes what has arrived (up to BATCH_ORDERS orders) and stores
    it in one transaction: the pages' orders, and checkpoint = the end of the last window
    whose pages are all in this or an earlier transaction

The network is never inside a transaction. The checkpoint moves only in the transaction that
stores the last pages of its window, so a crash (or a kill) leaves no gap: the next pull
re-reads from the old checkpoint and the upsert makes the repeat harmless; pages fetched but not
yet stored are simply fetched again. Platforms that page backwards cannot tell where a window's
"first half" ends, so the window, not the page, is the unit of progress; with 30-minute windows
that costs at most half an hour of re-reading.

Storing several pages in one transaction matters because a page costs about fifteen round trips
to the database whatever its size (lookups, locks, one COPY per table, counters, commit): at
40-100 orders a page those weighed as much as the rows. When the database keeps up, each batch
is the one page that just arrived, as before; when it falls behind, the pages queue up and the
next batch takes them all.

A batch with nothing to store (its orders all unchanged, or empty windows) is not a transaction
of its own: its counts and checkpoint go with the next batch that stores something, or the
pull's last one (at most DEFER_UNCHANGED orders wait), so the checkpoint only ever lags.

Re-read orders the database already has in the same version (same modified time and status)
are left out in the fetch thread, before mapping: the connector reads (id, modified time,
status) off the platform's payload and asks, one query per page, what the database holds
(`Connector.stored_versions`). What gets past that is compared again per batch, on the
connector's dict before validating it. That keeps the overlap and re-pulls cheap.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from queue import Empty, Full, Queue
from typing import Any, Generic, TypeVar

from pydantic import ValidationError
from sqlalchemy import (
    Connection,
    Engine,
    String,
    any_,
    bindparam,
    create_engine,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from orderhub import pipeline
from orderhub.channels import base, overrides, service
from orderhub.channels.base import (
    AuthFailed,
    ChannelError,
    Connector,
    Page,
    PulledOrder,
    windows,
)
from orderhub.channels.models import ChannelAccount, PullRun
from orderhub.core import clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.models import QuarantinedInput
from orderhub.core.quarantine import quarantine
from orderhub.core.settings import get_settings
from orderhub.orders.models import Order, Shop
from orderhub.orders.schemas import OrderIn

T = TypeVar("T")
FAILING_AFTER = 5  # consecutive failed pulls before alerts hear of it
BATCH_ORDERS = 500  # most orders stored in one transaction (a batch of waiting pages)
PREFETCH_ITEMS = 32  # pages (and window ends) fetched ahead of the store at most
WINDOWS_IN_FLIGHT = 2
DEFER_UNCHANGED = 2000  # unchanged orders whose counts and checkpoint may wait for a transaction


@dataclass
class Stored:
    seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0

    def add(self, other: Stored) -> None:
        for name in ("seen", "created", "updated", "unchanged", "quarantined"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class PullReport:
    shop: str
    outcome: str = "ok"  # ok | throttled | unavailable | auth_failed | rejected | skipped
    window_start: datetime | None = None
    window_end: datetime | None = None
    windows: int = 0
    pages: int = 0
    requests: int = 0
    stored: Stored = field(default_factory=Stored)
    error: str | None = None
    retry_at: datetime | None = None
    checkpoint: datetime | None = None


def pull_shop(engine: Engine, *, shop_id: int, trigger: str = "schedule",
              until: datetime | None = None) -> PullReport:
    """One pull of one shop, up to `until` (default now). Never raises for platform trouble:
    the outcome, the backoff and the shop's health are recorded and reported."""
    with unit_of_work(engine) as session:
        shop, account = _load(session, shop_id)
        report = PullReport(shop=shop.name)
        if not account.healthy:
            report.outcome, report.error = "skipped", f"shop unhealthy: {account.unhealthy_reason}"
            return report
        connector = service.connector_for(shop, account)
        start, end = _span(account, until)
        run = PullRun(shop_id=shop.id, trigger=trigger, started_at=clock.now(), window_start=start,
                      window_end=end, pages=0, requests=0, seen=0, created=0, updated=0,
                      unchanged=0, quarantined=0, outcome="running", details={})
        session.add(run)
        session.flush()
        run_id, shop_name, channel = run.id, shop.name, shop.channel
        field_overrides = dict(account.field_overrides or {})
        # A shop without orders (a first pull) has nothing to leave unmapped: no lookups.
        versions = StoredVersions(engine, shop.id) if _has_orders(session, shop.id) else None
    report.window_start, report.window_end = start, end
    connector.stored_versions = versions
    # Batches with nothing to store (every order unchanged, or empty windows) wait for the next
    # batch's transaction instead of costing one each: a re-pull is then a few transactions.
    pending: list[tuple[datetime, Page | None]] = []

    def store(batch: list[tuple[datetime, Page | None]]) -> None:
        _store_batch(engine, shop_id=shop_id, shop_name=shop_name, run_id=run_id,
                     source=f"pull:{channel}", batch=batch, report=report)
    try:
        pages = _pages(connector, start, end, field_overrides)
        for batch in prefetched(pages, depth=PREFETCH_ITEMS, full=_enough):
            pending.extend(batch)
            if not _nothing_to_store(batch) or _unchanged(pending) >= DEFER_UNCHANGED:
                store(pending)
                pending = []
        if pending:
            store(pending)
    except ChannelError as exc:
        if pending:
            store(pending)  # the windows completed before the failure still count
        with unit_of_work(engine) as session:
            _failed(session, shop_id, run_id, exc, report)
        return report
    finally:
        if versions is not None:
            versions.close()
    with unit_of_work(engine) as session:
        _succeeded(session, shop_id, run_id)
    return report


def _store_batch(engine: Engine, *, shop_id: int, shop_name: str, run_id: int, source: str,
                 batch: list[tuple[datetime, Page | None]], report: PullReport) -> None:
    """One transaction: the batch's pages, its counts on the run, and the checkpoint moved to
    the end of the last window the batch completes (a None page marks a window complete; the
    pages before it, in this batch or an earlier one, are committed with or before it)."""
    pages = [page for _, page in batch if page is not None]
    completed = [window_end for window_end, page in batch if page is None]
    with unit_of_work(engine) as session:
        stored = store_pages(session, shop_name=shop_name, pages=pages, source=source)
        if pages:
            _count(session, run_id, pages, stored)
        if completed:
            report.checkpoint = _advance(session, shop_id, completed[-1])
    report.windows += len(completed)
    report.pages += len(pages)
    report.requests += sum(page.requests for page in pages)
    report.stored.add(stored)


def _nothing_to_store(batch: list[tuple[datetime, Page | None]]) -> bool:
    return all(not page.orders and not page.bad for _, page in batch if page is not None)


def _unchanged(batch: list[tuple[datetime, Page | None]]) -> int:
    return sum(page.unchanged for _, page in batch if page is not None)


def _enough(batch: list[tuple[datetime, Page | None]]) -> bool:
    return sum(len(page.orders) + len(page.bad) for _, page in batch if page) >= BATCH_ORDERS


def _pages(connector: Connector, start: datetime, end: datetime,
           field_overrides: dict[str, str]) -> Iterator[tuple[datetime, Page | None]]:
    """(window end, page) for every page, then (window end, None) when a window is complete,
    in window order. Fetching, mapping and the shop's field overrides run in threads of their
    own, WINDOWS_IN_FLIGHT windows at a time once the platform has answered: the next window's
    request travels while this window's page is mapped, looked up and stored, which is most of
    a pull's wall time. An error in a later window is raised after the earlier windows' pages,
    as if they had been read one by one."""
    flights = _Flights(connector, start, end, field_overrides)
    try:
        flights.start_next()
        while (flight := flights.first()) is not None:
            for page in flight.pages:
                flights.answered(flight)  # a page is an answer, whether or not it was mapped
                yield flight.window_end, page
            flights.land(flight)
            yield flight.window_end, None
    finally:
        flights.close()


@dataclass(eq=False)
class _Flight:
    window_end: datetime
    pages: _Ahead[Page] | None = None
    answered: bool = False


class _Flights:
    """The windows being fetched, oldest first. A window starts when the one started before it
    has had an answer from the platform (its first page arrived, before it is mapped) and fewer
    than WINDOWS_IN_FLIGHT are out: a pull that is throttled or refused makes one call, as
    reading one by one would. The fetch threads report answers themselves (`base.on_answer`),
    so the next request goes out while a page is still being mapped."""

    def __init__(self, connector: Connector, start: datetime, end: datetime,
                 field_overrides: dict[str, str]) -> None:
        self.connector, self.field_overrides = connector, field_overrides
        self.spans = windows(start, end, connector.max_window)
        self.running: deque[_Flight] = deque()
        self.lock = threading.Lock()
        self.closed = False

    def first(self) -> _Flight | None:
        with self.lock:
            return self.running[0] if self.running else None

    def start_next(self) -> None:
        with self.lock:
            if (self.closed or len(self.running) >= WINDOWS_IN_FLIGHT
                    or (self.running and not self.running[-1].answered)):
                return
            span = next(self.spans, None)
            if span is None:
                return
            flight = _Flight(window_end=span[1])
            self.running.append(flight)
            flight.pages = _Ahead(self._window(flight, *span), depth=PREFETCH_ITEMS,
                                  name="pull-window")

    def answered(self, flight: _Flight) -> None:
        if not flight.answered:
            flight.answered = True
            self.start_next()

    def land(self, flight: _Flight) -> None:
        """The window's pages are all handed over."""
        with self.lock:
            self.running.popleft()
        self.start_next()

    def close(self) -> None:
        with self.lock:
            self.closed = True
            running = list(self.running)
        for flight in running:
            if flight.pages is not None:
                flight.pages.stop()

    def _window(self, flight: _Flight, window_start: datetime,
                window_end: datetime) -> Iterator[Page]:
        base.on_answer(lambda: self.answered(flight))  # this thread is the window's own
        for page in self.connector.pull(window_start, window_end):
            yield overrides.apply_page(page, self.connector, self.field_overrides)


class _Ahead(Generic[T]):
    """A generator run by a thread of its own from now on, up to `depth` items ahead. Iterating
    hands the items over one by one, `batches` in lists; either way the items come in order,
    then what the generator raised, if anything. `stop` ends the thread (and closes the
    generator, so a generator left early stops what it started)."""

    def __init__(self, items: Iterator[T], *, depth: int, name: str) -> None:
        self.queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._produce, args=(items,), daemon=True, name=name)
        self.thread.start()

    def _produce(self, items: Iterator[T]) -> None:
        try:
            for item in items:
                if not _put(self.queue, ("item", item), self.halt):
                    return
            _put(self.queue, ("done", None), self.halt)
        except BaseException as exc:  # noqa: BLE001 — handed to the consumer, which re-raises
            _put(self.queue, ("error", exc), self.halt)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> Iterator[T]:
        for batch in self.batches(lambda _: True):
            yield from batch

    def batches(self, full: Callable[[list[T]], bool]) -> Iterator[list[T]]:
        """What has arrived by the time the consumer asks (waiting for at least one item), up
        to the first prefix that is `full`."""
        while True:
            batch: list[T] = []
            kind, value = self.queue.get()
            while kind == "item":
                batch.append(value)
                if full(batch):
                    break
                try:
                    kind, value = self.queue.get_nowait()
                except Empty:
                    break
            if batch:
                yield batch
            if kind == "done":
                return
            if kind == "error":
                raise value

    def stop(self) -> None:
        self.halt.set()
        self.thread.join(timeout=30)


def prefetched(items: Iterator[T], *, depth: int,
               full: Callable[[list[T]], bool]) -> Iterator[list[T]]:
    """`items`, produced by a thread of its own up to `depth` ahead, handed over in lists: each
    list is what has arrived by the time the consumer asks (waiting for at least one item), up to
    the first prefix that is `full`. The next page travels over the network while this batch is
    stored. An exception in the producer is raised here, in order, after the items before it;
    leaving early stops the producer."""
    ahead = _Ahead(items, depth=depth, name="pull-prefetch")
    try:
        yield from ahead.batches(full)
    finally:
        ahead.stop()


def _put(queue: Queue[tuple[str, Any]], entry: tuple[str, Any], stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            queue.put(entry, timeout=0.2)
            return True
        except Full:
            continue
    return False


def store_page(session: Session, *, shop_name: str, page: Page, source: str) -> Stored:
    """Store what one page (or one push) carried; returns the counts. Orders that do not map or
    do not validate are quarantined with the reason; the rest of the page is stored."""
    return store_pages(session, shop_name=shop_name, pages=[page], source=source)


def store_pages(session: Session, *, shop_name: str, pages: list[Page], source: str) -> Stored:
    """`store_page` for several pages in a row, as if stored one after the other, in one go.

    Copies of one order (a page re-read, an order modified while we paged, the boundary second
    of two windows): a copy in the version already stored, or already taken from an earlier
    page, is unchanged; a copy in another version is stored after the earlier one, in a second
    round, as the next page would have done. Most batches have one round."""
    stored = Stored(seen=sum(len(page.orders) + len(page.bad) + page.unchanged for page in pages),
                    unchanged=sum(page.unchanged for page in pages))
    for page in pages:
        for bad in page.bad:
            stored.quarantined += _keep_bad(session, source=source, shop_name=shop_name,
                                            raw=bad.raw, reason=bad.reason,
                                            platform_order_id=bad.platform_order_id)
    # (platform order id, version, OrderIn if validated already, the pulled order)
    entries: list[tuple[str, tuple[Any, ...], OrderIn | None, PulledOrder]] = []
    for pulled in (pulled for page in pages for pulled in page.orders):
        quick = _quick_version(pulled.order)
        if quick is not None:
            entries.append((*quick, None, pulled))
            continue
        data = _validated(session, pulled, shop_name, source, stored)
        if data is not None:
            entries.append((data.platform_order_id, _version(data), data, pulled))
    known = _known_versions(session, shop_name, {key for key, _, _, _ in entries})
    rounds: list[list[tuple[OrderIn, dict[str, Any]]]] = []
    taken: dict[str, tuple[tuple[Any, ...], int]] = {}  # id -> (version taken, its round)
    for key, version, data, pulled in entries:
        before = taken[key][0] if key in taken else known.get(key)
        if before == version:
            stored.unchanged += 1  # stored in this version, or an earlier copy in this batch
            continue
        if data is None:
            data = _validated(session, pulled, shop_name, source, stored)
            if data is None:
                continue
        position = taken[key][1] + 1 if key in taken else 0
        taken[key] = (version, position)
        if position == len(rounds):
            rounds.append([])
        rounds[position].append((data, pulled.raw))
    actor = Actor.system(f"{source}:{shop_name}")
    have = set(known)
    for items in rounds:
        for received in pipeline.receive_page(session, shop_name=shop_name, items=items,
                                              source=source, actor=actor, known=have):
            if received.created:
                stored.created += 1
            elif received.stale or not received.changes:
                stored.unchanged += 1
            else:
                stored.updated += 1
        have.update(data.platform_order_id for data, _ in items)
    return stored


def _validated(session: Session, pulled: PulledOrder, shop_name: str, source: str,
               stored: Stored) -> OrderIn | None:
    """The canonical order, or None when it does not validate (then it is quarantined)."""
    try:
        return OrderIn.model_validate({**pulled.order, "shop": shop_name})
    except ValidationError as exc:
        stored.quarantined += _keep_bad(
            session, source=source, shop_name=shop_name, raw=pulled.raw,
            reason=_validation_message(exc),
            platform_order_id=str(pulled.order.get("platform_order_id") or "") or None)
        return None


def _quick_version(order: dict[str, Any]) -> tuple[str, tuple[Any, ...]] | None:
    """(platform order id, version) read off the connector's dict where its values already are
    what validation would make of them, so an order stored in this version is skipped without
    validating it; None: validate first."""
    key, modified, status = (order.get("platform_order_id"), order.get("modified_at"),
                             order.get("status", "paid"))
    if (isinstance(key, str) and key and key == key.strip() and isinstance(status, str)
            and (modified is None or isinstance(modified, datetime))):
        return key, (_instant(modified), status)
    return None


_VERSIONS = select(Order.platform_order_id, Order.modified_at, Order.platform_status)
# The platform ids as one array on PostgreSQL: one statement text whatever the page's size, so
# psycopg prepares it once and the server stops planning it. An expanding IN list of 40-500
# literals was planned on every call: 5 ms a lookup against 0.35 ms (measured, 40 ids).
_KEYS = {"postgresql": Order.platform_order_id == any_(bindparam("keys", type_=ARRAY(String))),
         "sqlite": Order.platform_order_id.in_(bindparam("keys", expanding=True))}
_KNOWN_BY_SHOP_ID = {name: _VERSIONS.where(Order.shop_id == bindparam("shop"), keys)
                     for name, keys in _KEYS.items()}
_KNOWN_BY_SHOP_NAME = {name: _VERSIONS.join(Shop, Shop.id == Order.shop_id)
                       .where(Shop.name == bindparam("shop"), keys) for name, keys in _KEYS.items()}


class StoredVersions:
    """What the connector asks, page by page in the fetch thread, to leave unchanged orders
    unmapped: one statement per page on a connection of its own, kept for the pull, outside any
    transaction (no BEGIN and ROLLBACK round trips). Orders it leaves out are the ones the store
    would find unchanged anyway — the database had them in that version, and a version the store
    writes meanwhile is a newer one, against which the copy would be stale."""

    def __init__(self, engine: Engine, shop_id: int) -> None:
        self.reader = _reader(engine)
        self.shop_id = shop_id
        self.idle: Queue[Connection] = Queue()  # one per window fetched at the same time
        self.connections: list[Connection] = []
        self.lock = threading.Lock()

    def __call__(self, keys: set[str]) -> dict[str, Any]:
        try:
            connection = self.idle.get_nowait()
        except Empty:
            connection = self.reader.connect().execution_options(isolation_level="AUTOCOMMIT")
            with self.lock:
                self.connections.append(connection)
        try:
            rows = connection.execute(_KNOWN_BY_SHOP_ID[connection.dialect.name],
                                      {"shop": self.shop_id, "keys": list(keys)})
            return {key: (_instant(modified), status) for key, modified, status in rows}
        finally:
            self.idle.put(connection)

    def close(self) -> None:
        with self.lock:
            connections, self.connections = self.connections, []
        for connection in connections:
            connection.close()


def _has_orders(session: Session, shop_id: int) -> bool:
    return session.scalar(select(Order.id).where(Order.shop_id == shop_id).limit(1)) is not None


@lru_cache(maxsize=4)
def _reader(engine: Engine) -> Engine:
    """The engine the fetch thread reads with. On SQLite every transaction of OrderHub's engine
    takes the write lock up front (core/db.py), so a lookup would wait for the batch being
    stored and fetching would stop while storing; a plain engine reads the last committed
    state (WAL) without a lock. A lookup that misses only means an order gets mapped."""
    if engine.dialect.name != "sqlite":
        return engine
    return create_engine(engine.url, connect_args={"timeout": 5})


def _known_versions(session: Session, shop_name: str,
                    keys: set[str]) -> dict[str, tuple[Any, ...]]:
    """(modified time, platform status) of the orders we already have, in one query."""
    if not keys:
        return {}
    rows = session.execute(_KNOWN_BY_SHOP_NAME[session.get_bind().dialect.name],
                           {"shop": shop_name, "keys": list(keys)}).all()
    return {r.platform_order_id: (_instant(r.modified_at), r.platform_status) for r in rows}


def _version(data: OrderIn) -> tuple[Any, ...]:
    return (_instant(data.modified_at), data.status)


def _instant(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _keep_bad(session: Session, *, source: str, shop_name: str, raw: dict[str, Any], reason: str,
              platform_order_id: str | None) -> int:
    """Quarantine a payload once: the overlap re-reads it on every pull."""
    body = json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    where = (f"{source}:{shop_name}" + (f":{platform_order_id}" if platform_order_id else ""))[:120]
    exists = session.scalar(select(QuarantinedInput.id).where(
        QuarantinedInput.source == where, QuarantinedInput.resolved_at.is_(None),
        QuarantinedInput.raw == body.decode("utf-8")).limit(1))
    if exists is not None:
        return 0
    quarantine(session, source=where, reason_code="unmappable_order", reason=reason, raw=body,
               content_type="application/json")
    return 1


def _validation_message(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]]
    return "order does not validate: " + "; ".join(parts)


def _load(session: Session, shop_id: int) -> tuple[Shop, ChannelAccount]:
    shop = session.get(Shop, shop_id)
    account = session.get(ChannelAccount, shop_id)
    if shop is None or account is None:
        raise LookupError(f"no shop with a channel account has id {shop_id}")
    return shop, account


def _span(account: ChannelAccount, until: datetime | None) -> tuple[datetime, datetime]:
    settings = get_settings()
    # Platforms speak whole seconds: a window ending at 10:00:00.700 is asked as 10:00:00, so
    # the checkpoint must not claim the 0.7 s it did not cover.
    end = (until or clock.now()).replace(microsecond=0)
    if account.checkpoint is None:
        return end - timedelta(hours=settings.channel_first_pull_hours), end
    start = account.checkpoint - timedelta(seconds=settings.channel_pull_overlap_seconds)
    return min(start, end), end


def _count(session: Session, run_id: int, pages: list[Page], stored: Stored) -> None:
    runs = PullRun.__table__
    session.execute(update(runs).where(runs.c.id == run_id).values(
        pages=runs.c.pages + len(pages),
        requests=runs.c.requests + sum(page.requests for page in pages),
        seen=runs.c.seen + stored.seen, created=runs.c.created + stored.created,
        updated=runs.c.updated + stored.updated, unchanged=runs.c.unchanged + stored.unchanged,
        quarantined=runs.c.quarantined + stored.quarantined))


def _advance(session: Session, shop_id: int, window_end: datetime) -> datetime:
    """One statement: the checkpoint only ever moves forward."""
    accounts = ChannelAccount.__table__
    session.execute(update(accounts).where(
        accounts.c.shop_id == shop_id,
        or_(accounts.c.checkpoint.is_(None), accounts.c.checkpoint < window_end))
        .values(checkpoint=window_end))
    return window_end


def _succeeded(session: Session, shop_id: int, run_id: int) -> None:
    now = clock.now()
    account = session.get(ChannelAccount, shop_id)
    assert account is not None
    account.last_success_at, account.failures, account.retry_at = now, 0, None
    session.execute(update(PullRun).where(PullRun.id == run_id)
                    .values(outcome="ok", finished_at=now))


def _failed(session: Session, shop_id: int, run_id: int, exc: ChannelError,
            report: PullReport) -> None:
    now = clock.now()
    shop, account = _load(session, shop_id)
    message = f"{exc.kind}: {exc.message}" + (f" (code {exc.platform_code})" if exc.platform_code else "")
    report.outcome, report.error = exc.kind, message
    account.last_error, account.last_error_at = message, now
    actor = Actor.system(f"pull:{shop.name}")
    if isinstance(exc, AuthFailed):
        service.mark_unhealthy(session, shop=shop, account=account, reason=message, actor=actor)
    elif exc.retryable:
        account.failures += 1
        account.retry_at = report.retry_at = service.backoff_until(
            account.failures, now=now, retry_after=exc.retry_after)
        if account.failures == FAILING_AFTER:
            outbox.emit(session, "channel.pull_failing", aggregate_type="shop",
                        aggregate_id=shop.id, actor=actor,
                        payload={"shop": shop.name, "failures": account.failures,
                                 "error": message})
    session.execute(update(PullRun).where(PullRun.id == run_id).values(
        outcome=exc.kind, finished_at=now, error=message,
        details={"platform_code": exc.platform_code, "retry_after": exc.retry_after}))
    session.flush()
