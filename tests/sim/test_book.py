"""The order book answers page calls from a sorted index and cheap copies: windows still see
every change made through the book, and a copy handed out never changes afterwards."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from orderhub.sim.platform import SimResponse, encode_json
from orderhub.sim.taobao import TaobaoSim


def _sim(count: int = 50, now: datetime = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
         ) -> tuple[TaobaoSim, datetime]:
    sim = TaobaoSim(seed=3)
    sim.generate(count, start=now - timedelta(hours=10), end=now)
    return sim, now


def _scan(sim: TaobaoSim, start: datetime, end: datetime, by: str = "modified") -> list[str]:
    rows = [o for o in sim.book.orders.values()
            if getattr(o, by) is not None and start <= getattr(o, by) <= end]
    return [o.order_id for o in sorted(rows, key=lambda o: (getattr(o, by), o.order_id))]


def test_windows_are_what_a_scan_of_every_order_finds() -> None:
    sim, now = _sim()
    rng = random.Random(5)
    for _ in range(40):
        start = now - timedelta(minutes=rng.randint(0, 700))
        end = start + timedelta(minutes=rng.randint(0, 120))
        for by in ("modified", "created", "paid"):
            got = [o.order_id for o in sim.book.modified_between(start, end, by=by)]
            assert got == _scan(sim, start, end, by)


def test_windows_see_modifications_shipments_and_new_orders() -> None:
    # A shipment is stamped with the wall clock, so this book's "now" is the wall clock's too
    # (a fixed date made the test fail once the clock passed it).
    sim, now = _sim(now=datetime.now(UTC))
    start, end = now - timedelta(hours=11), now + timedelta(hours=1)
    sim.book.modified_between(start, end)  # the index is built
    later = now + timedelta(minutes=30)
    moved = sim.modify("remark", count=3, at=later)
    shipped = sim.book.ship(sim.modify("address", count=1, at=later)[0].order_id, carrier="SF")
    added = sim.generate(2, start=now, end=now + timedelta(minutes=10))
    window = [o.order_id for o in sim.book.modified_between(now + timedelta(minutes=29), end)]
    assert {o.order_id for o in moved} <= set(window)
    assert shipped.order_id in window
    assert window == _scan(sim, now + timedelta(minutes=29), end)
    assert {o.order_id for o in added} <= {o.order_id for o in sim.book.modified_between(start, end)}


def test_a_copy_does_not_change_with_the_book() -> None:
    sim, now = _sim(5)
    order_id = next(iter(sim.book.orders))
    copy = sim.book.get(order_id)
    sim.modify("address", order_id=order_id, at=now)
    sim.modify("refund", order_id=order_id, at=now)
    sim.book.ship(order_id, carrier="SF", tracking_no="SF1")
    assert copy is not None and copy.version == 1 and copy.shipment is None
    assert copy.lines[0].refund == "none" and not copy.receiver["detail"].endswith("（改）")
    assert sim.book.get(order_id).version == 4


def test_json_bodies_read_back_the_same() -> None:
    sim, _ = _sim(20)
    body = sim.increment_get({"start_modified": "2026-11-24 08:00:00",
                              "end_modified": "2026-11-24 20:00:00", "page_size": "100",
                              "fields": "tid,status,orders,receiver_name,payment,modified"})
    payload, content_type = SimResponse(200, body).encoded()
    assert len(body["trades"]["trade"]) >= 15
    assert json.loads(payload) == body and content_type.startswith("application/json")
    assert "订单" in encode_json({"t": "订单"}).decode("utf-8")  # UTF-8, not \\u escapes
    huge = {"id": 2**70, 1: "int key"}
    assert json.loads(encode_json(huge)) == {"id": 2**70, "1": "int key"}
