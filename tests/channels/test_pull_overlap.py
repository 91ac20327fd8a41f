"""A pull sends the next window's request while the page that just arrived is still being mapped
(real Taobao simulator over HTTP, real database), and a throttled first window still costs one
call."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from orderhub.channels import _taobao_map, sync
from orderhub.channels.models import ChannelAccount
from orderhub.core.db import unit_of_work
from tests.channels.conftest import stored_orders

LIST = "taobao.trades.sold.increment.get"


def test_the_next_window_is_asked_for_while_this_page_is_mapped(make_sim, add_shop, committed,
                                                                 monkeypatch) -> None:
    sim = make_sim("taobao")
    since = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    # One order in the first of the pull's 30-minute windows, one in a later window.
    early = sim.generate(1, start=since, end=since + timedelta(minutes=1), unpaid_share=0)
    sim.generate(1, start=since + timedelta(hours=1), end=since + timedelta(minutes=61),
                 unpaid_share=0)
    shop_id = add_shop("taobao", sim)
    with unit_of_work(committed) as session:  # the pull starts at the checkpoint less the overlap
        session.get(ChannelAccount, shop_id).checkpoint = since

    seen_while_mapping: list[int] = []
    real_to_order = _taobao_map.to_order
    first = threading.Event()

    def slow_to_order(raw):
        if not first.is_set():  # the first order mapped: hold it until the sim hears more
            first.set()
            deadline = time.monotonic() + 30
            while sim.calls[LIST] < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            seen_while_mapping.append(sim.calls[LIST])
        return real_to_order(raw)

    monkeypatch.setattr(_taobao_map, "to_order", slow_to_order)
    report = sync.pull_shop(committed, shop_id=shop_id)

    assert report.outcome == "ok", report.error
    assert report.windows >= 4
    assert seen_while_mapping == [2], \
        "the second window was not asked for (or not only it) while the first page was mapped"
    assert early[0].order_id in stored_orders(committed, shop_id)
    assert report.stored.created == 2


def test_a_throttled_first_window_makes_one_call(make_sim, add_shop, committed) -> None:
    sim = make_sim("taobao")
    now = datetime.now(UTC)
    sim.generate(3, start=now - timedelta(hours=5), end=now - timedelta(minutes=1))  # 48 windows
    shop_id = add_shop("taobao", sim)
    sim.faults.update({"throttle": 5})  # counts down one per call that arrives
    report = sync.pull_shop(committed, shop_id=shop_id)
    assert report.outcome == "throttled"
    assert sim.faults.throttle == 4 and report.requests == 0
