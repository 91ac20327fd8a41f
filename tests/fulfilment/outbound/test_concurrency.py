"""Two doors scan the same parcels at once (PostgreSQL): every parcel ships exactly once, the
other scan answers `already_shipped`, stock is consumed once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

from sqlalchemy import Engine, func, select

from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent
from orderhub.fulfilment.outbound.models import ScanLog
from orderhub.fulfilment.outbound.service import ScanResult, scan
from orderhub.inventory.models import StockMovement, Warehouse
from orderhub.orders.models import Order
from tests.fulfilment.outbound.support import ACTOR, SKU, printed_order, warehouse
from tests.inventory.helpers import levels
from tests.support.postgres import wait_for_lock_waiters
from tests.support.processes import REPO

PARCELS = 12


def _printed(engine: Engine, count: int) -> list[tuple[int, str]]:
    with unit_of_work(engine) as session:
        wh = warehouse(session, on_hand=100)
        made = [printed_order(session, wh) for _ in range(count)]
        return [(order.id, waybill.tracking_no) for order, waybill in made]


def test_a_held_row_lock_makes_the_second_scan_see_the_first(postgres_only: Engine,
                                                             committed: Engine) -> None:
    [(order_id, tracking_no)] = _printed(committed, 1)
    results: list[ScanResult] = []

    def door(station: str) -> None:
        with unit_of_work(committed) as session:
            results.append(scan(session, code=tracking_no, actor=ACTOR, station=station))

    # A third transaction holds the order row, so both doors are provably inside their scan,
    # waiting on the same lock, before either may go on.
    with committed.connect() as blocker:
        tx = blocker.begin()
        blocker.execute(select(Order.id).where(Order.id == order_id).with_for_update())
        doors = [threading.Thread(target=door, args=(f"door-{i}",)) for i in (1, 2)]
        for thread in doors:
            thread.start()
        wait_for_lock_waiters(committed, 2, timeout=60, never="the doors never queued on the order row")
        tx.commit()
    for thread in doors:
        thread.join(timeout=30)
    assert sorted(r.kind for r in results) == ["already_shipped", "shipped"]
    second = next(r for r in results if not r.ok)
    assert second.message_key == "scan.msg.scanned_twice"
    _shipped_once(committed, [order_id], on_hand=99)


def test_two_processes_race_over_a_dozen_parcels(postgres_only: Engine, committed: Engine) -> None:
    parcels = _printed(committed, PARCELS)
    codes = [tracking_no for _, tracking_no in parcels]
    start = time.time() + 3  # both processes imported and connected by then
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-m", "tests.fulfilment.outbound.racer", str(start),
                               station, *codes], cwd=REPO, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for station in ("door-1", "door-2")]
    outcomes: dict[str, list[str]] = {code: [] for code in codes}
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        for code, kind in json.loads(out.strip().splitlines()[-1]):
            outcomes[code].append(kind)
    assert all(sorted(kinds) == ["already_shipped", "shipped"] for kinds in outcomes.values()), outcomes
    _shipped_once(committed, [order_id for order_id, _ in parcels], on_hand=100 - PARCELS)


def _shipped_once(engine: Engine, order_ids: list[int], *, on_hand: int) -> None:
    with unit_of_work(engine) as session:
        statuses = session.scalars(select(Order.status).where(Order.id.in_(order_ids))).all()
        assert set(statuses) == {"shipped"}
        for topic in ("order.shipped", "channel.ship_confirm_requested"):
            assert session.scalar(select(func.count()).select_from(OutboxEvent).where(
                OutboxEvent.topic == topic)) == len(order_ids), topic
        ships = session.scalars(select(StockMovement.order_id).where(StockMovement.kind == "ship"))
        assert sorted(ships) == sorted(order_ids)
        oks = session.scalar(select(func.count()).select_from(ScanLog).where(ScanLog.ok.is_(True)))
        assert oks == len(order_ids)
    with unit_of_work(engine) as session:
        wh = session.scalar(select(Warehouse))
        assert levels(session, SKU, wh) == (on_hand, 0)
