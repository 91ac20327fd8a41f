"""Pages that waited while the previous ones were stored go into the database together, in one
transaction with the checkpoint they complete: as if stored page by page (copies of one order,
changes between pages), and a failure in the middle of a batch loses nothing."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.channels import sync
from orderhub.channels.base import Page, PulledOrder
from orderhub.channels.models import ChannelAccount
from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent, QuarantinedInput
from orderhub.orders.models import Order
from tests.builders import ensure_shop, order_payload
from tests.channels.conftest import ALL_PLATFORMS, stored_orders
from tests.channels.test_sync import (
    assert_matches_truth,
    day_of_orders,
    pull_until_done,
)

# --- prefetched: what arrived meanwhile, in order, errors after the items before them --------


def _slowly(items: list[Any], fail: Exception | None = None) -> Any:
    yield from items
    if fail is not None:
        raise fail


def test_batches_hold_what_arrived_meanwhile_up_to_full() -> None:
    batches = []
    for batch in sync.prefetched(iter(range(10)), depth=16, full=lambda b: len(b) >= 4):
        batches.append(batch)
        time.sleep(0.2)  # the producer runs ahead meanwhile
    assert [x for batch in batches for x in batch] == list(range(10))
    assert all(1 <= len(batch) <= 4 for batch in batches)
    assert max(len(batch) for batch in batches) == 4  # waiting pages are taken together


def test_an_error_comes_after_the_items_before_it() -> None:
    seen: list[int] = []
    with pytest.raises(RuntimeError, match="page 4 failed"):
        for batch in sync.prefetched(_slowly([1, 2, 3], RuntimeError("page 4 failed")),
                                     depth=8, full=lambda b: False):
            seen.extend(batch)
    assert seen == [1, 2, 3]


def test_leaving_early_stops_the_producer() -> None:
    produced: list[int] = []

    def endless() -> Any:
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    for batch in sync.prefetched(endless(), depth=4, full=lambda b: True):
        assert batch == [0]
        break
    time.sleep(0.5)
    count = len(produced)
    time.sleep(0.3)
    assert len(produced) == count <= 6
    assert not any(t.name == "pull-prefetch" and t.is_alive() for t in threading.enumerate())


# --- store_pages: several pages at once, as if one after the other ---------------------------


def _pulled(payload: dict[str, Any], *, as_datetime: bool = False) -> PulledOrder:
    """As a connector hands it over: the canonical dict (times as datetimes, with as_datetime,
    compared without validating) and the payload as received."""
    order = {k: v for k, v in payload.items() if k != "shop"}
    if as_datetime and isinstance(order.get("modified_at"), str):
        order["modified_at"] = datetime.fromisoformat(order["modified_at"])
    return PulledOrder(order=order, raw=payload)


def _store(session: Session, pages: list[Page]) -> sync.Stored:
    ensure_shop(session, "batch-shop")
    return sync.store_pages(session, shop_name="batch-shop", pages=pages, source="pull:test")


def _topics(session: Session, order_id: int) -> list[str]:
    return list(session.scalars(select(OutboxEvent.topic).where(
        OutboxEvent.aggregate_id == str(order_id)).order_by(OutboxEvent.id)))


@pytest.mark.parametrize("as_datetime", [False, True], ids=["validated", "quick"])
def test_an_order_changed_between_two_pages_of_one_batch_is_created_then_updated(
        session: Session, as_datetime: bool) -> None:
    first = order_payload(modified_at="2026-11-23T10:05:00+08:00")
    moved = {**first, "modified_at": "2026-11-23T10:20:00+08:00",
             "receiver": {**first["receiver"], "address": "文一西路969号"}}
    other = order_payload()

    def pulled(payload: dict[str, Any]) -> PulledOrder:
        return _pulled(payload, as_datetime=as_datetime)

    stored = _store(session, [Page(orders=[pulled(first), pulled(other)]),
                              Page(orders=[pulled(dict(first)), pulled(moved)])])
    assert (stored.seen, stored.created, stored.updated, stored.unchanged) == (4, 2, 1, 1)
    order = session.scalar(select(Order).where(Order.platform_order_id == first["platform_order_id"]))
    assert order.receiver_detail == "文一西路969号"
    topics = _topics(session, order.id)
    assert topics.count("order.created") == 1 and "order.address_changed" in topics
    # The same pages again: everything is stored in this version already.
    again = _store(session, [Page(orders=[pulled(first), pulled(other)]),
                             Page(orders=[pulled(moved)])])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_an_older_copy_after_a_newer_one_in_a_batch_changes_nothing(session: Session) -> None:
    newer = order_payload(modified_at="2026-11-23T11:00:00+08:00", buyer_remark="新的备注")
    older = {**newer, "modified_at": "2026-11-23T10:00:00+08:00", "buyer_remark": "旧的备注"}
    stored = _store(session, [Page(orders=[_pulled(newer)]), Page(orders=[_pulled(older)])])
    assert (stored.created, stored.updated, stored.unchanged) == (1, 0, 1)
    order = session.scalar(select(Order).where(Order.platform_order_id == newer["platform_order_id"]))
    assert order.buyer_remark == "新的备注"


def test_a_bad_order_in_a_batch_is_quarantined_and_the_rest_stored(session: Session) -> None:
    bad = order_payload(lines=[])
    good = order_payload()
    stored = _store(session, [Page(orders=[_pulled(bad)]), Page(orders=[_pulled(good)])])
    assert (stored.created, stored.quarantined) == (1, 1)
    reasons = session.scalars(select(QuarantinedInput.reason).where(
        QuarantinedInput.source.contains(bad["platform_order_id"]))).all()
    assert len(reasons) == 1 and "lines" in reasons[0]


# --- a failure in the middle of a pull: nothing half-stored, no gap, nothing twice ----------


@pytest.mark.parametrize("channel", ALL_PLATFORMS)
def test_a_batch_that_fails_leaves_nothing_behind_and_the_next_pull_completes(
        channel, make_sim, add_shop, committed, monkeypatch) -> None:
    sim = make_sim(channel)
    day_of_orders(sim, 300)
    shop_id = add_shop(channel, sim)
    real_count = sync._count
    calls: list[sync.Stored] = []
    pages_in: list[int] = []

    def count_then_fail(session: Session, run_id: int, pages: list[Page],
                        stored: sync.Stored) -> None:
        real_count(session, run_id, pages, stored)
        calls.append(stored)
        pages_in.append(len(pages))
        if len(calls) == 1:
            time.sleep(1.0)  # pages queue up meanwhile: the next batch takes several
        elif len(calls) == 2:
            raise RuntimeError("the database went away")  # after the batch's rows were written

    monkeypatch.setattr(sync, "_count", count_then_fail)
    # The first batch is one page however fast the pages arrive (a loaded machine can queue
    # them all before the first batch is taken), so a second batch always follows it.
    real_enough = sync._enough
    monkeypatch.setattr(sync, "_enough", lambda batch: not calls or real_enough(batch))
    with pytest.raises(RuntimeError, match="went away"):
        sync.pull_shop(committed, shop_id=shop_id)
    assert calls[1].seen > 0
    if channel != "shopify":  # (Shopify's 250-order pages: 300 orders are two pages)
        assert pages_in[1] > 1, "the pages that waited were not stored together"
    kept = stored_orders(committed, shop_id)
    assert len(kept) == calls[0].created  # the failed batch left nothing behind
    with unit_of_work(committed) as session:
        checkpoint = session.get(ChannelAccount, shop_id).checkpoint
    truth = sim.book.truth()["orders"]
    if checkpoint is not None:  # no gap: everything before the checkpoint is stored
        behind = {oid for oid, o in sim.book.orders.items() if oid in truth
                  and _modified(o) < checkpoint - timedelta(seconds=1)}
        assert behind <= set(kept)
    monkeypatch.setattr(sync, "_count", real_count)
    monkeypatch.setattr(sync, "_enough", real_enough)
    pull_until_done(committed, shop_id)
    assert_matches_truth(committed, shop_id, sim)  # and each order created once


def _modified(order: Any) -> datetime:
    value = order.modified
    return value if value.tzinfo else value.replace(tzinfo=UTC)
