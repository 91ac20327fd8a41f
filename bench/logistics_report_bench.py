"""The logistics report over 100,000 parcels: our grouped queries against one hand-written SQL.

    python bench/logistics_report_bench.py --url postgresql://postgres@127.0.0.1:5432/bench_logistics
    python bench/logistics_report_bench.py                  # temporary SQLite database
    python bench/logistics_report_bench.py --parcels 100000 --repeat 5

Builds N orders (copies of one real order), N tracked parcels over 9 carriers and 60 days
(80% delivered, transit 12–107 h; 3% returned, 2% 48 h no-scan), a routing decision per
order over 4 warehouses (10% routed twice: the later one counts), and the outbox events of
write-back (90% confirmed, 5% failed, 5% pending) and tracking exceptions. Then times
`logistics_reports` for the 30-day default period, all three groupings at once (what the console
page runs) and `logistics_report` per grouping, best of --repeat, and the same "both" figures by one hand-written SQL
statement (PostgreSQL: percentile_cont for the median) as the baseline; checks they agree.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing the package

CARRIERS = ("ZTO", "YTO", "STO", "YUNDA", "SF", "JD", "EMS", "JTSD", "DBKD")
WAREHOUSES = ("HZ01", "SH01", "GZ01", "CD01")
NOW = datetime(2026, 11, 23, 4, tzinfo=UTC)
CHUNK = 10_000

BASELINE_PG = """
WITH latest AS (SELECT order_id, max(id) AS id FROM routing_decisions GROUP BY order_id),
wh AS (SELECT d.order_id, d.warehouse_code FROM routing_decisions d JOIN latest l ON l.id = d.id),
ev AS (SELECT aggregate_id,
              bool_or(topic = 'channel.ship_confirmed') AS ok,
              bool_or(topic = 'channel.ship_confirm_failed'
                      OR (topic = 'channel.ship_confirm_requested' AND status = 'dead')) AS failed,
              bool_or(topic = 'channel.ship_confirm_requested' AND status IN ('pending', 'processing')) AS pending,
              bool_or(topic = 'tracking.exception') AS exc
       FROM outbox_events WHERE aggregate_type = 'order'
        AND topic IN ('channel.ship_confirmed', 'channel.ship_confirm_failed',
                      'channel.ship_confirm_requested', 'tracking.exception')
       GROUP BY aggregate_id),
p AS (SELECT s.carrier, coalesce(wh.warehouse_code, '') AS warehouse, s.delivered_at IS NOT NULL AS delivered,
             extract(epoch FROM s.delivered_at - s.shipped_at) AS transit,
             (s.exception_at IS NOT NULL OR s.stale_alerted_at IS NOT NULL OR coalesce(ev.exc, false)) AS exc,
             CASE WHEN ev.ok THEN 'ok' WHEN ev.failed THEN 'failed' WHEN ev.pending THEN 'pending' ELSE 'none' END AS wb
      FROM tracked_shipments s LEFT JOIN wh ON wh.order_id = s.order_id
      LEFT JOIN ev ON ev.aggregate_id = s.order_id::text
      WHERE s.shipped_at >= :start AND s.shipped_at < :end)
SELECT carrier, warehouse, count(*) AS shipped, count(*) FILTER (WHERE delivered) AS delivered,
       avg(transit) AS avg_transit, percentile_cont(0.5) WITHIN GROUP (ORDER BY transit) AS median,
       count(*) FILTER (WHERE exc) AS exceptions, count(*) FILTER (WHERE wb = 'ok') AS ok,
       count(*) FILTER (WHERE wb = 'failed') AS failed, count(*) FILTER (WHERE wb = 'pending') AS pending
FROM p GROUP BY carrier, warehouse
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="logistics-bench-"))
    os.environ["ORDERHUB_DATABASE_URL"] = args.url or f"sqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("ORDERHUB_DATA_DIR", str(tmp / "data"))
    run(args)


def run(args: argparse.Namespace) -> None:
    from sqlalchemy import text

    from orderhub.core import clock
    from orderhub.core.db import get_engine, is_postgres, unit_of_work
    from orderhub.core.ids import order_numbers
    from orderhub.core.settings import get_settings
    from orderhub.fulfilment.report.service import (
        logistics_report,
        logistics_reports,
        period,
    )
    from orderhub.schema import migrate

    migrate(os.environ["ORDERHUB_DATABASE_URL"])
    engine = get_engine()
    order_numbers(engine, get_settings().timezone).prime()
    started = time.perf_counter()
    fill(engine, args.parcels)
    setup = time.perf_counter() - started
    clock.set_clock(lambda: NOW)
    when = period(None, None)

    def ours() -> dict:
        with unit_of_work(engine) as session:
            return logistics_reports(session, when=when)

    def one(group: str):
        with unit_of_work(engine) as session:
            return logistics_report(session, when=when, group=group)

    timings = {"page (3 groupings)": best(ours, args.repeat)}
    for group in ("carrier", "warehouse", "both"):
        timings[f"group={group}"] = best(lambda g=group: one(g), args.repeat)
    reports = ours()
    shipped = reports["carrier"].total.shipped
    print(f"logistics report, {args.parcels:,} parcels ({shipped:,} in {when.first}..{when.last}), "
          f"{engine.dialect.name}; setup {setup:.1f} s; best of {args.repeat}")
    print(f"{'run':<28}{'seconds':>9}")
    for name, seconds in timings.items():
        print(f"{name:<28}{seconds:9.3f}")
    if is_postgres(engine):
        params = {"start": when.start, "end": when.end}

        def baseline(jit: bool = True) -> list:
            with engine.connect() as conn:
                if not jit:
                    conn.exec_driver_sql("SET LOCAL jit = off")
                return conn.execute(text(BASELINE_PG), params).mappings().all()
        base = best(baseline, args.repeat)
        base_no_jit = best(lambda: baseline(jit=False), args.repeat)
        rows = {(r["carrier"], r["warehouse"]): r for r in baseline()}
        for r in reports["both"].rows:  # same figures, or the comparison means nothing
            b = rows[(r.carrier, r.warehouse)]
            assert (r.shipped, r.delivered, r.exceptions, r.writeback_ok, r.writeback_failed,
                    r.writeback_pending) == (b["shipped"], b["delivered"], b["exceptions"], b["ok"],
                                             b["failed"], b["pending"]), (r, dict(b))
            assert r.median_transit_hours == round(float(b["median"]) / 3600, 1), (r, dict(b))
        print(f"{'raw SQL baseline (both)':<28}{base:9.3f}")
        print(f"{'  the same, jit off':<28}{base_no_jit:9.3f}")
        print(f"group=both / baseline: {timings['group=both'] / base:.2f}x, "
              f"/ baseline without JIT: {timings['group=both'] / base_no_jit:.2f}x (figures checked equal)")


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def fill(engine, n: int) -> None:
    """N orders, parcels, decisions and events, in chunks of plain multi-row inserts."""
    from sqlalchemy import func, select

    from orderhub.core.db import unit_of_work
    from orderhub.core.models import OutboxEvent
    from orderhub.fulfilment.tracking.models import TrackedShipment
    from orderhub.orders.models import Order
    from orderhub.routing.models import RoutingDecision
    from tests.builders import make_order

    orders_t = Order.__table__
    with engine.connect() as conn:  # a second run on the same database reuses the data
        if conn.scalar(select(func.count()).where(orders_t.c.platform_order_id.like("bench-%"))) == n:
            return
    with unit_of_work(engine) as session:
        template = make_order(session).id
    with engine.begin() as conn:
        row = dict(conn.execute(select(orders_t).where(orders_t.c.id == template)).mappings().one())
        row.pop("id")
        for lo in range(0, n, CHUNK):
            conn.execute(orders_t.insert(), [
                {**row, "order_no": f"B{i:012d}", "platform_order_id": f"bench-{i}"}
                for i in range(lo, min(n, lo + CHUNK))])
        ids = conn.execute(select(orders_t.c.id).where(orders_t.c.platform_order_id.like("bench-%"))
                           .order_by(orders_t.c.id)).scalars().all()
    with engine.begin() as conn:
        for lo in range(0, n, CHUNK):
            parcels, decisions, events = [], [], []
            for i in range(lo, min(n, lo + CHUNK)):
                parcels.append(_parcel(i, ids[i]))
                decisions.extend(_decisions(i, ids[i]))
                events.extend(_events(i, ids[i]))
            conn.execute(TrackedShipment.__table__.insert(), parcels)
            conn.execute(RoutingDecision.__table__.insert(), decisions)
            conn.execute(OutboxEvent.__table__.insert(), events)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")


def _parcel(i: int, order_id: int) -> dict:
    shipped = NOW - timedelta(minutes=(i * 37) % (60 * 24 * 60))
    delivered = shipped + timedelta(hours=12 + (i * 7) % 96) if i % 5 else None
    if delivered is not None and delivered > NOW:
        delivered = None
    return {"order_id": order_id, "carrier": CARRIERS[i % len(CARRIERS)], "company": "x",
            "tracking_no": f"BENCH{i:012d}", "sealed_salt": "-", "subscription": "active",
            "shipped_at": shipped, "delivered_at": delivered,
            "exception_at": shipped + timedelta(days=3) if i % 33 == 0 else None,
            "exception_reason": "快递退回" if i % 33 == 0 else None,
            "stale_alerted_at": shipped + timedelta(hours=49) if i % 50 == 1 else None}


def _decisions(i: int, order_id: int) -> list[dict]:
    common = {"order_id": order_id, "outcome": "allocated", "policy": "score", "reason": "bench",
              "shipments": [], "candidates": [], "weights": {}, "details": {},
              "actor_kind": "system", "actor_name": "bench", "created_at": NOW}
    rows = [{**common, "warehouse_code": WAREHOUSES[i % len(WAREHOUSES)]}]
    if i % 10 == 0:
        rows.append({**common, "warehouse_code": WAREHOUSES[(i + 1) % len(WAREHOUSES)]})
    return rows


def _events(i: int, order_id: int) -> list[dict]:
    def event(topic: str, status: str = "done") -> dict:
        return {"topic": topic, "aggregate_type": "order", "aggregate_id": str(order_id), "payload": {},
                "created_at": NOW, "available_at": NOW, "status": status, "attempts": 1}
    pending = i % 20 == 3
    rows = [event("channel.ship_confirm_requested", "pending" if pending else "done")]
    if i % 20 == 7:
        rows.append(event("channel.ship_confirm_failed"))
    elif not pending:
        rows.append(event("channel.ship_confirmed"))
    if i % 40 == 5:
        rows.append(event("tracking.exception"))
    return rows


if __name__ == "__main__":
    main()
