"""Rule evaluation cost: `rules.service.evaluate` end to end on one order.

    python bench/rules_bench.py                       # SQLite in a temporary directory
    python bench/rules_bench.py --db postgresql://postgres@127.0.0.1:5432/oh_rules_f --reset
    python bench/rules_bench.py --commit              # commit each run instead of rolling back
    python bench/rules_bench.py --profile quiet       # and a cProfile of the 50-rule case
    python bench/rules_bench.py --profile quiet --profile-out /tmp/rules.prof   # saved too

Four cases, each as median / p99 over --runs repetitions, with the SQL statements one
evaluation sends, the wall time spent inside cursor.execute ("in SQL": round trips and the
server's work) and the bench process's own CPU time during the evaluation ("client CPU"):

  pack, quiet      the default pack only (18 rules), on an order none of them matches
  pack, firing     the default pack only, on an order three rules match (hold, tag, approval)
  50 rules, quiet  the pack plus seller-style rules up to 50 on order.created, nothing matches
  50 rules, firing the same 50 rules, on the order some of them match

Each run evaluates a fresh order (placed before the clock starts) inside a transaction rolled
back afterwards (--commit: committed, as the pipeline does); 2000 earlier orders (50 buyer
accounts, 300 addresses, each used by one account) give the history queries something to walk.
The address / phone memo is emptied before each run, so every run parses as for a new order.

On PostgreSQL the two modes differ in one way that matters: psycopg deallocates every prepared
statement on ROLLBACK, so with rollbacks the evaluation's statement is planned by the server on
every run; with commits it is prepared after five runs (psycopg's threshold) and planned no more.
--reset drops everything in the PostgreSQL database first (schema public): use a bench database.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing the package

# Seller-style rules that a typical order does not match (as most rules, most of the time).
EXTRA_CONDITIONS = [
    "order.total > {n}0000", 'order.channel == "jd" and order.total > {n}',
    'receiver.province == "新疆维吾尔自治区" and order.item_count > {n}',
    "order.item_count >= {n}0 and not order.presale", 'order.buyer_remark =~ ".*加急{n}.*"',
    '"vip{n}" in order.tags', 'order.minutes_since_paid > {n}000 and order.status == "paid"',
    'receiver.parsed.confidence < 0.{n} and receiver.phone_kind != "mobile"',
]
# A remark that the default pack's remark rule, one "加急" extra rule and nothing else matches,
# plus a high total (the high-value approval rule): three to four rules fire.
FIRING = {"buyer_remark": "加急3 请改地址", "price": "9999.00"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--rules", type=int, default=50, help="enabled rules in total")
    parser.add_argument("--reset", action="store_true",
                        help="PostgreSQL: drop everything in the database first (schema public)")
    parser.add_argument("--commit", action="store_true",
                        help="commit each run's order instead of rolling it back (see below)")
    parser.add_argument("--profile", choices=("quiet", "firing"),
                        help="then cProfile the 50-rule case, quiet or firing")
    parser.add_argument("--profile-out", help="with --profile: also save the profile to this file")
    args = parser.parse_args()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='orderhub-rules-bench-')) / 'b.db'}"
    os.environ["ORDERHUB_DATABASE_URL"] = url
    os.environ.setdefault("ORDERHUB_DATA_DIR", tempfile.mkdtemp(prefix="orderhub-rules-bench-"))

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from orderhub.core import clock
    from orderhub.core.actor import Actor
    from orderhub.core.db import get_engine
    from orderhub.core.heap import freeze_startup_objects
    from orderhub.core.ids import order_numbers
    from orderhub.core.settings import get_settings
    from orderhub.inventory.masterdata import upsert_sku
    from orderhub.orders.schemas import OrderIn
    from orderhub.orders.service import create_shop, receive_order
    from orderhub.rules.editing import create_rule, set_enabled
    from orderhub.rules.pack import install_default_pack
    from orderhub.rules.service import evaluate, rules_for
    try:  # the address / phone memo (absent before it was added: the bench runs on both)
        from orderhub.rules.context import forget_parsed
    except ImportError:
        forget_parsed = None

    from orderhub.schema import migrate

    actor = Actor.system("bench")
    if args.reset and url.startswith("postgresql"):
        from sqlalchemy import create_engine, text
        with create_engine(url).begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate(url)
    engine = get_engine()
    order_numbers(engine, get_settings().timezone).prime()
    freeze_startup_objects()  # as `orderhub worker` does once started
    statements = [0]
    in_db = [0.0]  # wall time inside cursor.execute (the round trip and the server's work)
    slowest: dict[str, list[float]] = {}

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, *_a: object) -> None:
        statements[0] += 1
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _timed(conn, cursor, statement, *_a: object) -> None:
        spent = time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
        in_db[0] += spent
        if args.profile:
            slowest.setdefault(" ".join(statement.split())[:150], []).append(spent * 1000)

    with Session(engine) as session:
        install_default_pack(session, actor=actor)
        pack_size = len(rules_for(session, "order.created"))
        extra = []
        for n in range(args.rules - pack_size):  # so that `args.rules` run on order.created
            condition = EXTRA_CONDITIONS[n % len(EXTRA_CONDITIONS)].format(n=n % 9 + 1)
            extra.append(create_rule(session, actor=actor, data={
                "key": f"bench-{n}", "name": f"bench {n}", "condition": condition,
                "triggers": ["order.created", "order.paid"], "priority": n,
                "actions": [{"type": "tag", "tag": f"b{n}"}]}).id)
        upsert_sku(session, code="BENCH-1", name="羽绒服", actor=actor)
        upsert_sku(session, code="BENCH-1", category="服装", actor=actor)
        create_shop(session, name="own-store", channel="webhook", actor=actor)
        session.commit()

    def payload(n: int, *, remark: str = "", price: str = "399.00") -> dict:
        return {"shop": "own-store", "platform_order_id": f"B-{n}", "status": "paid",
                "created_at": clock.now().isoformat(), "paid_at": clock.now().isoformat(),
                "buyer": {"id": f"u-{n % 50}", "nick": "x"},
                "receiver": {"name": f"张{n % 7}", "phone": f"1380013{n % 10000:04d}",
                             "province": "浙江省", "city": "杭州市", "district": "西湖区",
                             "address": f"文三路{n % 300}号东部软件园3号楼"},
                "buyer_remark": remark, "currency": "CNY",
                "lines": [{"platform_sku": "P1", "sku": "BENCH-1", "title": "羽绒服", "quantity": 1,
                           "unit_price": price}], "total": price}

    with Session(engine) as session:  # some history for the history queries to walk
        for n in range(2000):
            data = payload(n)
            receive_order(session, data=OrderIn.model_validate(data), raw=data, source="bench",
                          actor=actor)
        session.commit()

    serial = [1_000_000]

    def run(firing: bool, runs: int, profiler: cProfile.Profile | None = None):
        times, counts, fired, db, cpu = [], [], [], [], []
        with Session(engine) as session:
            for _ in range(runs):
                serial[0] += 1
                data = payload(serial[0], **({"remark": FIRING["buyer_remark"],
                                              "price": FIRING["price"]} if firing else {}))
                order = receive_order(session, data=OrderIn.model_validate(data), raw=data,
                                      source="bench", actor=actor).order
                session.flush()
                before, db_before = statements[0], in_db[0]
                if forget_parsed is not None:
                    forget_parsed()  # parse the address as for a new order (the memo'd miss)
                if profiler:
                    profiler.enable()
                started, cpu_started = time.perf_counter(), time.process_time()
                result = evaluate(session, order=order, trigger="order.created", actor=actor)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
                if profiler:
                    profiler.disable()
                counts.append(statements[0] - before)
                db.append((in_db[0] - db_before) * 1000)
                fired.append(len(result))
                if args.commit:
                    session.commit()
                else:
                    session.rollback()
        return times, counts, fired, db, cpu

    def report(label: str, firing: bool) -> None:
        run(firing, 20)  # warm: rule set cache, compiled statements, connection
        times, counts, fired, db, cpu = run(firing, args.runs)
        print(f"{label:22s} median {statistics.median(times):7.3f} ms   "
              f"p99 {percentile(times, 0.99):7.3f} ms   in SQL {statistics.median(db):6.3f} ms"
              f"   client CPU {statistics.median(cpu):6.3f} ms"
              f"   SQL statements {statistics.median(counts):g}"
              f"   rules fired {statistics.median(fired):g}   load {os.getloadavg()[0]:.2f}")

    print(f"database: {engine.dialect.name}; runs: {args.runs}; "
          f"each run {'committed' if args.commit else 'rolled back'}; "
          f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with Session(engine) as session:  # the default pack alone: extra rules disabled
        for rule_id in extra:
            set_enabled(session, rule_id=rule_id, enabled=False, actor=actor)
        session.commit()
        assert len(rules_for(session, "order.created")) == pack_size
    report(f"pack ({pack_size}), quiet", False)
    report(f"pack ({pack_size}), firing", True)
    with Session(engine) as session:
        for rule_id in extra:
            set_enabled(session, rule_id=rule_id, enabled=True, actor=actor)
        session.commit()
        total = len(rules_for(session, "order.created"))
    report(f"{total} rules, quiet", False)
    report(f"{total} rules, firing", True)
    if args.profile:
        profiler = cProfile.Profile()
        slowest.clear()
        run(args.profile == "firing", args.runs, profiler)
        for sql, spent in sorted(slowest.items(), key=lambda kv: -sum(kv[1]))[:8]:
            print(f"{statistics.median(spent):7.3f} ms median x{len(spent):4d}  {sql}")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        if args.profile_out:
            profiler.dump_stats(args.profile_out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
