"""Re-reading orders the database already has: the connector reads (id, modified time, status)
off the platform's payload and leaves the unchanged ones unmapped; what changed is mapped and
stored as before, and a pull that stores nothing costs one transaction, not one per page."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orderhub.channels import (
    _jd_map,
    _taobao_map,
    douyin_map,
    kuaishou_mapping,
    pdd_map,
    shopify_mapping,
    sync,
)
from orderhub.channels.base import Credentials, Page, windows
from orderhub.channels.demo import sim_credentials
from orderhub.channels.models import ChannelAccount
from orderhub.channels.registry import connector
from orderhub.core.db import unit_of_work
from tests.channels.conftest import ALL_PLATFORMS
from tests.channels.test_sync import (
    assert_matches_truth,
    day_of_orders,
    pull_until_done,
)

READERS = {"taobao": _taobao_map.version, "jd": _jd_map.version, "douyin": douyin_map.version,
           "pdd": pdd_map.version, "kuaishou": kuaishou_mapping.version,
           "shopify": shopify_mapping.version}


@pytest.mark.parametrize("channel", ALL_PLATFORMS)
def test_the_version_reader_says_what_the_mapping_says(channel, make_sim) -> None:
    sim = make_sim(channel)
    day_of_orders(sim, 60)
    for kind in ("pay", "cancel", "refund", "address"):
        sim.modify(kind, count=2)
    time.sleep(1.1)
    client = connector(channel, Credentials(base_url=sim.url, **sim_credentials(sim)))
    now = datetime.now(UTC)
    pulled = [o for start, end in windows(now - timedelta(hours=25), now, client.max_window)
              for page in client.pull(start, end) for o in page.orders]
    listed = getattr(sim, "visible", lambda order: True)  # JD and PDD list paid orders only
    assert {o.order["platform_order_id"] for o in pulled} == \
        {oid for oid, order in sim.book.orders.items() if listed(order)}
    statuses = set()
    for order in pulled:
        mapped = order.order
        assert READERS[channel](order.raw) == (mapped["platform_order_id"],
                                               mapped["modified_at"], mapped["status"])
        statuses.add(mapped["status"])
    assert "paid" in statuses and len(statuses) >= 2  # cancelled or closed ones were compared too


@pytest.mark.parametrize("channel", ALL_PLATFORMS)
def test_a_re_pull_maps_only_what_changed_and_stores_it(channel, make_sim, add_shop, committed,
                                                         monkeypatch) -> None:
    sim = make_sim(channel)
    day_of_orders(sim, 80)
    shop_id = add_shop(channel, sim)
    pull_until_done(committed, shop_id)
    changed = {o.order_id for kind in ("remark", "cancel", "address")
               for o in sim.modify(kind, count=1)}
    time.sleep(1.1)  # platforms query whole seconds
    with unit_of_work(committed) as session:
        session.get(ChannelAccount, shop_id).checkpoint = None  # read the whole day again
    pages: list[Page] = []
    real_store_pages = sync.store_pages

    def spy(session: Any, **kwargs: Any) -> sync.Stored:
        pages.extend(kwargs["pages"])
        return real_store_pages(session, **kwargs)

    monkeypatch.setattr(sync, "store_pages", spy)
    report = pull_until_done(committed, shop_id)[-1]
    mapped = {o.order["platform_order_id"] for page in pages for o in page.orders}
    assert mapped == changed  # every other order was left unmapped
    listed = getattr(sim, "visible", lambda order: True)
    assert sum(page.unchanged for page in pages) >= \
        sum(map(listed, sim.book.orders.values())) - len(changed)
    assert report.stored.updated == len(changed) and report.stored.created == 0
    assert report.stored.seen == report.stored.updated + report.stored.unchanged
    stored = assert_matches_truth(committed, shop_id, sim)
    assert all(stored[oid].version > 1 for oid in changed)


@pytest.mark.parametrize("channel", ALL_PLATFORMS)
def test_a_pull_that_stores_nothing_is_one_transaction_and_moves_the_checkpoint(
        channel, make_sim, add_shop, committed, monkeypatch) -> None:
    sim = make_sim(channel)
    day_of_orders(sim, 80)
    shop_id = add_shop(channel, sim)
    pull_until_done(committed, shop_id)
    with unit_of_work(committed) as session:
        session.get(ChannelAccount, shop_id).checkpoint = None
    real_count, counted = sync._count, []

    def count(session: Any, run_id: int, pages: list[Page], stored: sync.Stored) -> None:
        counted.append(len(pages))
        real_count(session, run_id, pages, stored)

    monkeypatch.setattr(sync, "_count", count)
    again = sync.pull_shop(committed, shop_id=shop_id)
    assert again.outcome == "ok" and again.stored.unchanged == again.stored.seen >= 60
    assert counted == [again.pages] and again.pages >= 1
    with unit_of_work(committed) as session:
        assert session.get(ChannelAccount, shop_id).checkpoint == again.checkpoint == again.window_end
