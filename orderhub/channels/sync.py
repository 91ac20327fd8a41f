"""Pulling a shop's orders: incremental by modified time, window by window, page by page.

    start = checkpoint - overlap (a new shop: now - first-pull hours), end = now
    for each window of at most the platform's maximum span:
        for each page the connector returns:   one transaction: store the page
        the window is done:                     one transaction: checkpoint = window end

The network is never inside a transaction. The checkpoint moves only after every page of a
window is committed, so a crash (or a kill) leaves no gap: the next pull re-reads from the old
checkpoint and the upsert makes the repeat harmless. Platforms that page backwards cannot tell
where a window's "first half" ends, so the window, not the page, is the unit of progress; with
30-minute windows that costs at most half an hour of re-reading.

Re-read orders the database already has in the same version (same modified time and status)
are skipped with one query per page, which keeps the overlap and re-pulls cheap.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from queue import Full, Queue
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from orderhub import pipeline
from orderhub.channels import overrides, service
from orderhub.channels.base import AuthFailed, ChannelError, Connector, Page, windows
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
    report.window_start, report.window_end = start, end
    try:
        for window_end, page in prefetched(_pages(connector, start, end)):
            if page is None:  # every page of the window is stored
                with unit_of_work(engine) as session:
                    report.checkpoint = _advance(session, shop_id, window_end)
                report.windows += 1
                continue
            page = overrides.apply_page(page, connector, field_overrides)
            with unit_of_work(engine) as session:
                stored = store_page(session, shop_name=shop_name, page=page,
                                    source=f"pull:{channel}")
                _count(session, run_id, page, stored)
            report.pages += 1
            report.requests += page.requests
            report.stored.add(stored)
    except ChannelError as exc:
        with unit_of_work(engine) as session:
            _failed(session, shop_id, run_id, exc, report)
        return report
    with unit_of_work(engine) as session:
        _succeeded(session, shop_id, run_id)
    return report


def _pages(connector: Connector, start: datetime,
           end: datetime) -> Iterator[tuple[datetime, Page | None]]:
    """(window end, page) for every page, then (window end, None) when a window is complete."""
    for window_start, window_end in windows(start, end, connector.max_window):
        for page in connector.pull(window_start, window_end):
            yield window_end, page
        yield window_end, None


def prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """`items`, produced by a thread of its own up to `depth` ahead: the next page travels over
    the network while this one is stored (both wait on I/O, so they overlap despite the GIL).
    An exception in the producer is raised here, in order; leaving early stops the producer."""
    queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if not _put(queue, ("item", item), stop):
                    return
            _put(queue, ("done", None), stop)
        except BaseException as exc:  # noqa: BLE001 — handed to the consumer, which re-raises
            _put(queue, ("error", exc), stop)

    thread = threading.Thread(target=produce, name="pull-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = queue.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join(timeout=30)


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
    stored = Stored(seen=len(page.orders) + len(page.bad))
    for bad in page.bad:
        stored.quarantined += _keep_bad(session, source=source, shop_name=shop_name, raw=bad.raw,
                                        reason=bad.reason, platform_order_id=bad.platform_order_id)
    valid: list[tuple[OrderIn, dict[str, Any]]] = []
    for pulled in page.orders:
        try:
            valid.append((OrderIn.model_validate({**pulled.order, "shop": shop_name}), pulled.raw))
        except ValidationError as exc:
            stored.quarantined += _keep_bad(
                session, source=source, shop_name=shop_name, raw=pulled.raw,
                reason=_validation_message(exc),
                platform_order_id=str(pulled.order.get("platform_order_id") or "") or None)
    known = _known_versions(session, shop_name, [data for data, _ in valid])
    actor = Actor.system(f"{source}:{shop_name}")
    seen_here: set[str] = set()
    todo: list[tuple[OrderIn, dict[str, Any]]] = []
    for data, raw in valid:
        key = data.platform_order_id
        if known.get(key) == _version(data) or key in seen_here:
            stored.unchanged += 1  # stored in this version, or a later copy in this page
            continue
        seen_here.add(key)
        todo.append((data, raw))
    for received in pipeline.receive_page(session, shop_name=shop_name, items=todo,
                                          source=source, actor=actor, known=known.keys()):
        if received.created:
            stored.created += 1
        elif received.stale or not received.changes:
            stored.unchanged += 1
        else:
            stored.updated += 1
    return stored


def _known_versions(session: Session, shop_name: str,
                    orders: list[OrderIn]) -> dict[str, tuple[Any, ...]]:
    """(modified time, platform status) of the page's orders we already have, in one query."""
    if not orders:
        return {}
    ids = list({o.platform_order_id for o in orders})
    rows = session.execute(
        select(Order.platform_order_id, Order.modified_at, Order.platform_status)
        .join(Shop, Shop.id == Order.shop_id)
        .where(Shop.name == shop_name, Order.platform_order_id.in_(ids))).all()
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


def _count(session: Session, run_id: int, page: Page, stored: Stored) -> None:
    runs = PullRun.__table__
    session.execute(update(runs).where(runs.c.id == run_id).values(
        pages=runs.c.pages + 1, requests=runs.c.requests + page.requests,
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
