"""SLA scan cost with 1,000,000 open orders in PostgreSQL: the `sla.scan` use case (two
conditional UPDATEs … RETURNING plus one event per row won) beside the same two UPDATEs as raw
SQL without events, measured in the same run on the same data.

    python bench/sla_bench.py                                        # 1,000,000 orders
    python bench/sla_bench.py --db postgresql://postgres@127.0.0.1:5432/oh_sla --orders 200000

The database is dropped and created again. Orders and their order_sla rows are generated with
INSERT … SELECT generate_series; deadlines are spread evenly over the next 48 hours, so every
15-second scan finds what a real installation with that many open orders would (~87 breaches and
~87 warnings). Each round moves a fake clock on by 15 s and runs one scan in its own
transaction, taking turns between the use case, the raw SQL, and the raw SQL that also inserts
the same event rows by hand (where the use case's time goes), so all see the same load.
EXPLAIN shows the partial indexes serving both scans. Target: < 50 ms per scan.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing the package

from sqlalchemy import create_engine, text

from orderhub.core import clock
from orderhub.core.db import make_engine, unit_of_work
from orderhub.schema import migrate
from orderhub.sla import service

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/oh_sla_bench"
WINDOW_HOURS = 48
STEP = timedelta(seconds=15)

ORDERS_SQL = """
INSERT INTO orders (order_no, shop_id, channel, platform_order_id, status, receiver_name,
  receiver_phone, receiver_phone_tail, receiver_province, receiver_city, receiver_district,
  receiver_street, receiver_detail, receiver_zip, receiver_country, buyer_remark, seller_memo,
  currency, goods_total, discount_total, shipping_fee, total, created_at, paid_at, presale, tags,
  priority, attributes, received_at, updated_at, version)
SELECT 'B' || lpad(n::text, 19, '0'), :shop, 'webhook', 'P' || n, 'paid', '张三', '13800138000',
  '8000', '浙江省', '杭州市', '西湖区', '', '文三路90号', '', 'CN', '', '', 'CNY', 37900, 0, 0,
  37900, :now, :now, false, '[]'::jsonb, 0, '{}'::jsonb, :now, :now, 1
FROM generate_series(1, :count) AS n
"""
# Deadlines evenly over the window ahead; the warning at 75 % of a 4-hour stage.
SLA_SQL = """
INSERT INTO order_sla (order_id, stage, started_at, deadline, warn_at, late, policy_note,
  last_event_id)
SELECT id, 'accept', d - interval '4 hours', d, d - interval '1 hour', false, 'default 240 min', 0
FROM (SELECT id, :now + (id - :first) * (:window / :count) * interval '1 second' AS d
      FROM orders) AS o
"""
RAW_BREACH = """
UPDATE order_sla SET breached_at = :now, warned_at = coalesce(warned_at, :now)
WHERE order_id IN (SELECT order_id FROM order_sla WHERE breached_at IS NULL AND closed_at IS NULL
                   AND deadline <= :now ORDER BY deadline LIMIT 500)
  AND breached_at IS NULL AND closed_at IS NULL AND deadline <= :now
RETURNING order_id, stage, deadline, person_id, team_id
"""
RAW_WARN = """
UPDATE order_sla SET warned_at = :now
WHERE order_id IN (SELECT order_id FROM order_sla WHERE warned_at IS NULL AND closed_at IS NULL
                   AND warn_at <= :now ORDER BY warn_at LIMIT 500)
  AND warned_at IS NULL AND closed_at IS NULL AND warn_at <= :now
RETURNING order_id, stage, deadline, person_id, team_id
"""


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def recreate(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = create_engine(urlunsplit(parts._replace(path="/postgres")), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def populate(engine, count: int, start: datetime) -> float:
    began = time.perf_counter()
    with engine.begin() as conn:
        shop = conn.execute(text("INSERT INTO shops (name, channel, display_name, active, created_at) "
                                 "VALUES ('bench', 'webhook', 'bench', true, :now) RETURNING id"),
                            {"now": start}).scalar_one()
        conn.execute(text(ORDERS_SQL), {"shop": shop, "now": start, "count": count})
        first = conn.execute(text("SELECT min(id) FROM orders")).scalar_one()
        conn.execute(text(SLA_SQL), {"now": start, "first": first, "count": count,
                                     "window": WINDOW_HOURS * 3600.0})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE order_sla"))
        conn.execute(text("VACUUM ANALYZE orders"))
    return time.perf_counter() - began


def explain(engine, now: datetime) -> list[str]:
    plans = []
    with engine.begin() as conn:
        for sql in (RAW_BREACH, RAW_WARN):
            rows = conn.execute(text("EXPLAIN " + sql), {"now": now}).scalars().all()
            plans.append("\n".join(rows))
    return plans


def timed_use_case(engine) -> tuple[float, int]:
    began = time.perf_counter()
    with unit_of_work(engine) as session:
        result = service.scan(session)
    return (time.perf_counter() - began) * 1000, result.warned + result.breached


def timed_raw(engine, now: datetime) -> tuple[float, int]:
    began = time.perf_counter()
    with engine.begin() as conn:
        won = len(conn.execute(text(RAW_BREACH), {"now": now}).all())
        won += len(conn.execute(text(RAW_WARN), {"now": now}).all())
    return (time.perf_counter() - began) * 1000, won


RAW_EVENTS = """
INSERT INTO outbox_events (topic, aggregate_type, aggregate_id, payload, created_at, available_at,
  status, attempts)
VALUES (:topic, 'order', :id, CAST(:payload AS jsonb), :now, :now, 'pending', 0)
"""


def timed_raw_with_events(engine, now: datetime) -> tuple[float, int]:
    """The raw UPDATEs plus the same event rows by hand: where the use case's time goes."""
    began = time.perf_counter()
    with engine.begin() as conn:
        rows = []
        for topic, sql in (("sla.breached", RAW_BREACH), ("sla.warning", RAW_WARN)):
            for r in conn.execute(text(sql), {"now": now}).all():
                payload = {"order_id": r.order_id, "stage": r.stage,
                           "deadline": r.deadline.isoformat(), "person_id": r.person_id,
                           "team_id": r.team_id}
                rows.append({"topic": topic, "id": str(r.order_id), "now": now,
                             "payload": json.dumps(payload)})
        if rows:
            conn.execute(text(RAW_EVENTS), rows)
    return (time.perf_counter() - began) * 1000, len(rows)


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=DEFAULT_DB, help="PostgreSQL URL (dropped and recreated)")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=600, help="scans (a third each kind)")
    args = parser.parse_args()
    if not args.db.startswith("postgresql"):
        sys.exit("this benchmark needs PostgreSQL (--db postgresql://…)")

    recreate(args.db)
    migrate(args.db)
    engine = make_engine(args.db)
    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    fake = Clock(start)
    clock.set_clock(fake)
    seconds = populate(engine, args.orders, start)
    print(f"generated {args.orders:,} orders and open order_sla rows in {seconds:.1f} s")

    # Warm up to the steady state: warnings lead breaches by an hour of stage time.
    fake.now = start + timedelta(hours=1, minutes=5)
    with unit_of_work(engine) as session:
        while service.scan(session, limit=100_000).warned:
            pass
    for plan in explain(engine, fake.now):
        print(plan)
        assert "ix_order_sla_breach_due" in plan or "ix_order_sla_warn_due" in plan, "index unused"

    use_case: list[float] = []
    raw: list[float] = []
    raw_events: list[float] = []
    rows_use_case = rows_raw = rows_raw_events = 0
    for n in range(args.rounds):
        fake.now += STEP
        if n % 3 == 0:
            ms, won = timed_use_case(engine)
            use_case.append(ms)
            rows_use_case += won
        elif n % 3 == 1:
            ms, won = timed_raw(engine, fake.now)
            raw.append(ms)
            rows_raw += won
        else:
            ms, won = timed_raw_with_events(engine, fake.now)
            raw_events.append(ms)
            rows_raw_events += won
    clock.set_clock(None)

    def row(name: str, values: list[float], won: int) -> str:
        return (f"| {name:<34} | {len(values):>5} | {won / len(values):>8.1f} | "
                f"{statistics.median(values):>8.2f} | {p99(values):>8.2f} |")

    print()
    print(f"SLA scan, {args.orders:,} open orders, one scan per 15 s of clock")
    print("| scan                               | scans | rows/scan | median ms | p99 ms |")
    print("|------------------------------------|-------|----------|----------|----------|")
    print(row("sla.scan use case (+ events)", use_case, rows_use_case))
    print(row("raw SQL (same UPDATEs, no events)", raw, rows_raw))
    print(row("raw SQL + the same event rows", raw_events, rows_raw_events))
    ratio = statistics.median(use_case) / statistics.median(raw)
    with_events = statistics.median(use_case) / statistics.median(raw_events)
    print(f"use case / raw SQL (median): {ratio:.2f}x; / raw SQL writing the events too: "
          f"{with_events:.2f}x; target < 50 ms per scan: "
          f"{'met' if p99(use_case) < 50 else 'NOT met'} (p99 {p99(use_case):.2f} ms)")


if __name__ == "__main__":
    main()
