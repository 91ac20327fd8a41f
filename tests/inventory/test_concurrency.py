"""Real concurrent processes reserving the same stock: never oversold, never negative, every
order answered exactly once, all or nothing per order, no deadlock left unhandled.

PostgreSQL: 16 processes x 4 threads = 64 concurrent clients, each with its own connection
(64 Python processes would not fit two shared cores). SQLite: 4 processes x 2 threads.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from collections import defaultdict
from pathlib import Path

from sqlalchemy import Engine, func, select

from orderhub.core.actor import Actor
from orderhub.core.db import is_postgres, unit_of_work
from orderhub.inventory import service
from orderhub.inventory.models import Reservation, Sku, StockLevel
from tests.support.processes import REPO

ACTOR = Actor.system("test")


def _clients(engine: Engine) -> tuple[int, int]:
    return (16, 4) if is_postgres(engine) else (4, 2)


def _seed(engine: Engine, stock: dict[str, int], bundles: dict[str, list[tuple[str, int]]]) -> int:
    with unit_of_work(engine) as s:
        wh, _ = service.upsert_warehouse(s, code="HZ", name="杭州仓", actor=ACTOR)
        for code, units in stock.items():
            service.upsert_sku(s, code=code, name=code, actor=ACTOR)
            service.set_level(s, sku=code, warehouse_id=wh.id, on_hand=units, actor=ACTOR)
        for code, parts in bundles.items():
            service.upsert_sku(s, code=code, name=code, actor=ACTOR)
            service.set_bundle(s, code=code, parts=parts, actor=ACTOR)
        return wh.id


class Watch(threading.Thread):
    """Samples the levels while the clients run: the lowest available and reserved seen."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(daemon=True)
        self.engine, self.stop, self.lowest, self.samples = engine, threading.Event(), 0, 0

    def run(self) -> None:
        stmt = select(func.min(StockLevel.on_hand - StockLevel.reserved), func.min(StockLevel.reserved))
        while not self.stop.is_set():
            with self.engine.connect() as conn:
                avail, reserved = conn.execute(stmt).one()
            self.lowest = min(self.lowest, avail, reserved)
            self.samples += 1
            self.stop.wait(0.02)


def _run(engine: Engine, tmp_path: Path, orders: list[dict]) -> tuple[dict[int, bool], int, Watch]:
    processes, threads = _clients(engine)
    orders_file, start = tmp_path / "orders.json", tmp_path / "go"
    orders_file.write_text(json.dumps(orders))
    env = {**os.environ, "PYTHONPATH": str(REPO), "ORDERHUB_DB_POOL_SIZE": str(threads)}
    procs = [subprocess.Popen([sys.executable, "-m", "tests.inventory.reserve_clients", str(orders_file),
                               str(start), str(i), str(processes), str(threads)],
                              cwd=REPO, env=env, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
             for i in range(processes)]
    watch = Watch(engine)
    watch.start()
    start.touch()
    answers: dict[int, bool] = {}
    retries = 0
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err
            for line in out.splitlines():
                order_id, ok, n = json.loads(line)
                assert order_id not in answers, f"order {order_id} answered twice"
                answers[order_id] = ok
                retries += n
    finally:
        watch.stop.set()
        watch.join()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    assert set(answers) == {o["order_id"] for o in orders}, "an order got no answer"
    return answers, retries, watch


def _reserved(engine: Engine) -> dict[str, tuple[int, int]]:
    """SKU code -> (on hand, reserved) of the one warehouse."""
    stmt = (select(Sku.code, StockLevel.on_hand, StockLevel.reserved)
            .join(StockLevel, StockLevel.sku_id == Sku.id))
    with engine.connect() as conn:
        return {code: (on_hand, reserved) for code, on_hand, reserved in conn.execute(stmt)}


def _ledger_ok(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        assert service.verify(s) == []


def test_hot_sku_with_100_units_is_never_oversold(committed, tmp_path):
    wh = _seed(committed, {"HOT": 100}, {})
    orders = [{"order_id": i, "warehouse_id": wh, "lines": [["HOT", 1]]} for i in range(1, 257)]
    answers, _retries, watch = _run(committed, tmp_path, orders)
    assert sum(answers.values()) == 100
    assert _reserved(committed) == {"HOT": (100, 100)}
    assert watch.lowest >= 0 and watch.samples > 0
    with unit_of_work(committed) as s:
        rows = s.execute(select(Reservation.order_id, Reservation.quantity)).all()
    assert sorted(o for o, _ in rows) == sorted(o for o, ok in answers.items() if ok)
    _ledger_ok(committed)


def test_bundles_sharing_components_and_orders_in_any_line_order(committed, tmp_path):
    stock = {"P": 70, "Q": 90, "R": 60, "S": 50}
    bundles = {"B1": [("P", 1), ("Q", 2)], "B2": [("Q", 1), ("R", 1)], "B3": [("P", 1), ("S", 1)]}
    wh = _seed(committed, stock, bundles)
    rng = random.Random(4)
    codes = list(stock) + list(bundles)
    orders = []
    for i in range(1, 257):
        lines = [[c, rng.randint(1, 3)] for c in rng.sample(codes, rng.randint(1, 4))]
        orders.append({"order_id": i, "warehouse_id": wh, "lines": lines})  # random line order
    answers, retries, watch = _run(committed, tmp_path, orders)
    want: dict[str, int] = defaultdict(int)
    for order in orders:
        if answers[order["order_id"]]:
            for code, qty in order["lines"]:
                for part, ratio in dict(bundles).get(code, [(code, 1)]):
                    want[part] += qty * ratio
    got = _reserved(committed)
    assert {c: r for c, (_, r) in got.items()} == {c: want.get(c, 0) for c in stock}
    assert all(r <= on_hand for on_hand, r in got.values())
    assert watch.lowest >= 0
    assert 0 < sum(answers.values()) < len(orders)  # stock ran out part-way: the race was real
    # An order that failed left nothing behind.
    with unit_of_work(committed) as s:
        reserved_orders = set(s.scalars(select(Reservation.order_id).distinct()))
    assert reserved_orders == {o for o, ok in answers.items() if ok}
    _ledger_ok(committed)
    print(f"deadlocks retried: {retries}")
