"""The routing pipeline step per order: orderhub.routing.service.allocate (gather the situation,
decide, reserve, transition, record the decision) on freshly received paid orders, one order
per transaction as the pipeline runs it. Rules and receiving are not timed.

Three warehouses as in the demo, 200 SKUs with ample stock, a bundle, region rules; orders of 1
to 3 lines to the provinces the warehouses serve. Reports the median, 95th and 99th percentile of
allocate() alone (up to its flush), of allocate() + commit, and of this process's CPU time for
allocate() (less sensitive to other load on a shared machine), and the outcomes.

    python bench/routing_bench.py                             # SQLite in a temporary directory
    python bench/routing_bench.py --db postgresql://postgres@127.0.0.1:5432/oh_route --reset
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import event, text

from orderhub.core.actor import Actor
from orderhub.core.db import get_engine, unit_of_work
from orderhub.core.heap import freeze_startup_objects
from orderhub.core.ids import order_numbers
from orderhub.core.settings import get_settings
from orderhub.inventory import reservations
from orderhub.inventory import service as inventory
from orderhub.inventory.demo import WAREHOUSES
from orderhub.orders.schemas import OrderIn
from orderhub.orders.service import create_shop, receive_order
from orderhub.routing import regions, service, situation
from orderhub.schema import metadata, migrate

PROVINCES = ("浙江省", "江苏省", "上海市", "安徽省", "广东省", "福建省", "四川省", "重庆市",
             "湖北省", "新疆维吾尔自治区", "西藏自治区")
SKUS = [f"BENCH-{i:04d}" for i in range(200)]
BUNDLE = "BENCH-SET"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--reset", action="store_true", help="drop every table first (PostgreSQL)")
    parser.add_argument("--profile", action="store_true",
                        help="also print a cProfile of allocate() (top functions by own time)")
    parser.add_argument("--show-sql", action="store_true",
                        help="print the statements of one one-line and one two-line order")
    args = parser.parse_args()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='oh-route-bench-')) / 'bench.db'}"
    os.environ["ORDERHUB_DATABASE_URL"] = url  # read by get_settings() on first use, below
    run(url, orders=args.orders, warmup=args.warmup, reset=args.reset, profile=args.profile,
        show_sql=args.show_sql)


class StatementCounter:
    """Statements and round trips per allocate(): SQLAlchemy's own (a `before_cursor_execute`
    listener) plus the ones sent straight through the DB-API cursor: the one-line reservation,
    the pipelined per-row reservation statements of larger orders (inventory.reservations) and
    routing's pipelined reads (three statements, one round trip)."""

    def __init__(self, engine: Any) -> None:
        self.on, self.seen, self.trips = False, [], 0
        event.listen(engine, "before_cursor_execute", self._sqlalchemy)
        raw_one_line = reservations._reserve_one_line_pg
        pipelined = getattr(situation, "_read_pipelined", None)

        def spy_one_line(*args: Any, **kwargs: Any) -> Any:
            if self.on:
                self.seen.append(reservations._PG_ONE_LINE_SQL)
                self.trips += 1
            return raw_one_line(*args, **kwargs)

        def spy_pipelined(*args: Any, **kwargs: Any) -> Any:
            if self.on:
                self.seen.extend(f"(pipelined) {read.sql}" for read in
                                 situation._compiled(engine.dialect))
                self.trips += 1
            return pipelined(*args, **kwargs)

        raw_rows = reservations._reserve_pg

        def spy_rows(*args: Any, **kwargs: Any) -> Any:
            if self.on:  # one statement per stock row, pipelined: one round trip
                self.seen.extend("(pipelined) reservations._PG_TAKE_SQL" for _ in args[5])
                self.trips += 1
            return raw_rows(*args, **kwargs)

        reservations._reserve_one_line_pg = spy_one_line
        if hasattr(reservations, "_PG_TAKE_SQL"):
            reservations._reserve_pg = spy_rows
        if pipelined is not None:
            situation._read_pipelined = spy_pipelined

    def _sqlalchemy(self, conn, cursor, statement, params, context, executemany) -> None:
        if self.on:
            self.seen.append(statement)
            self.trips += 1

    def start(self) -> None:
        self.seen, self.trips, self.on = [], 0, True

    def stop(self) -> tuple[list[str], int]:
        self.on = False
        return self.seen, self.trips


def run(url: str, *, orders: int, warmup: int, reset: bool, profile: bool = False,
        show_sql: bool = False) -> None:
    engine = get_engine()
    counter = StatementCounter(engine)
    profiler = cProfile.Profile(time.process_time) if profile else None  # CPU, not waits
    if reset and engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate(url)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name != "number_nodes":
                conn.execute(table.delete())
    order_numbers(engine, get_settings().timezone).prime()
    freeze_startup_objects()  # as `orderhub worker` does once started
    actor = Actor.system("bench")
    rng = random.Random(7)
    with unit_of_work() as session:
        create_shop(session, name="bench-store", channel="webhook", actor=actor)
        ids = {}
        for spec in WAREHOUSES:
            wh, _ = inventory.upsert_warehouse(session, actor=actor, **spec)
            ids[wh.code] = wh.id
        for code in SKUS:
            inventory.upsert_sku(session, code=code, actor=actor, name=code)
            for wh_id in ids.values():
                inventory.set_level(session, sku=code, warehouse_id=wh_id, on_hand=1_000_000,
                                    actor=actor)
        inventory.upsert_sku(session, code=BUNDLE, actor=actor, name="bundle")
        inventory.set_bundle(session, code=BUNDLE, parts=[(SKUS[0], 1), (SKUS[1], 2)], actor=actor)
        regions.create_rule(session, actor=actor, name="江浙沪", priority=10,
                            provinces=["江苏省", "浙江省", "上海市"], warehouse_code="HZ")
        regions.create_rule(session, actor=actor, name="偏远", priority=20,
                            provinces=["新疆维吾尔自治区", "西藏自治区"], warehouse_code="GZ")

    alone, with_commit, cpu, outcomes = [], [], [], Counter()
    statements: dict[int, list[int]] = {}
    round_trips: dict[int, list[int]] = {}
    shown: set[int] = set()
    for n in range(warmup + orders):
        lines = [{"platform_sku": sku, "sku": sku, "title": sku, "quantity": rng.randint(1, 3),
                  "unit_price": "10.00"}
                 for sku in rng.sample([*SKUS, BUNDLE], rng.randint(1, 3))]
        data = OrderIn.model_validate({
            "shop": "bench-store", "platform_order_id": f"B{n:08d}", "status": "paid",
            "created_at": "2026-11-23T10:00:00+08:00", "paid_at": "2026-11-23T10:01:00+08:00",
            "receiver": {"name": "张三", "phone": "13800138000", "province": rng.choice(PROVINCES),
                         "city": "市", "district": "区", "address": "路1号"},
            "currency": "CNY", "lines": lines})
        with unit_of_work() as session:
            order = receive_order(session, data=data, raw={}, source="bench", actor=actor).order
            session.flush()
            counter.start()
            if profiler is not None and n >= warmup:
                profiler.enable()
            start, start_cpu = time.perf_counter(), time.process_time()
            result = service.allocate(session, order=order, actor=actor)
            session.flush()
            step, step_cpu = time.perf_counter() - start, time.process_time() - start_cpu
            if profiler is not None:
                profiler.disable()
            sent, trips = counter.stop()
        total = time.perf_counter() - start
        if n >= warmup:
            alone.append(step * 1000)
            with_commit.append(total * 1000)
            cpu.append(step_cpu * 1000)
            outcomes[result.outcome] += 1
            statements.setdefault(len(lines), []).append(len(sent))
            round_trips.setdefault(len(lines), []).append(trips)
            if show_sql and len(lines) not in shown and len(lines) <= 2:
                shown.add(len(lines))
                print(f"--- statements of a {len(lines)}-line order ({len(sent)}, {trips} round trips):")
                for sql in sent:
                    print("   ", " ".join(sql.split())[:150])
    report(engine.dialect.name, alone, with_commit, cpu, outcomes)
    print("  statements per allocate() by lines in the order: " + ", ".join(
        f"{n} line{'s' if n > 1 else ''}: median {statistics.median(v):.0f}"
        for n, v in sorted(statements.items())))
    print("  round trips per allocate() by lines in the order: " + ", ".join(
        f"{n} line{'s' if n > 1 else ''}: median {statistics.median(v):.0f}"
        for n, v in sorted(round_trips.items())))
    if profiler is not None:
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(20)
        stats.sort_stats("cumulative").print_stats("orderhub|flush|lazy|wait|commit", 40)
        stats.print_callers("session.py.*\\((_?flush|_autoflush)\\)")


def report(dialect: str, alone: list[float], with_commit: list[float], cpu: list[float],
           outcomes: Counter) -> None:
    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    load = os.getloadavg()[0]
    print(f"routing pipeline step on {dialect}: {len(alone)} orders, outcomes {dict(outcomes)}, "
          f"load average {load:.1f} on {os.cpu_count()} cores")
    # CPU time of this process: what the step costs when the machine is not shared (on SQLite
    # that is all of it; on PostgreSQL the server's share and the round trips come on top).
    for label, values in (("allocate()", alone), ("allocate() + commit", with_commit),
                          ("allocate() CPU here", cpu)):
        print(f"  {label:<22} median {statistics.median(values):6.2f} ms   "
              f"p95 {pct(values, 0.95):6.2f} ms   p99 {pct(values, 0.99):6.2f} ms   "
              f"max {max(values):6.2f} ms")


if __name__ == "__main__":
    main()
