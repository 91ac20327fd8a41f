"""Reservations per second: the full reserve path (orderhub.inventory.service.reserve inside
unit_of_work, one order per transaction) beside a raw SQL conditional UPDATE loop on the same
rows (one UPDATE + COMMIT per transaction through the bare DB-API connection: the physical limit
of this database on this machine), for one hot SKU and for 10,000 SKUs, at 1 and 16 concurrent
clients (separate processes, each with its own connection). Ends with an oversell check: 16
clients race for a SKU with 500 units.

"full" runs the use case the way the worker does, on the connection its thread keeps
(orderhub.core.db.pinned_connection); "pooled" runs the same with a connection taken from the
pool and a new Session per transaction, the way a web request does.

    python bench/inventory_bench.py                         # SQLite in a temporary directory
    python bench/inventory_bench.py --db postgresql://postgres@127.0.0.1:5432/oh_inv_bench --reset
    python bench/inventory_bench.py --db postgresql://… --reset --cpu   # client CPU per reservation

Beside each rate: CPU per reservation, the clients' process time + the database server's (its
backends' utime + stime from /proc, when the server runs on this machine). At 16 clients on 2
cores the run is CPU-bound, so the rate ratio tends to (raw CPU) / (full CPU), which other load
on a shared machine disturbs far less than the rates.

--cpu: instead of the throughput table, this process's CPU time per reservation (steadier than
wall time on a shared machine), in one process, alternating blocks of 400 on the 10,000 SKUs:
the full path (unit_of_work + reserve), the same one-line statement in a Core transaction
(engine.begin) and on the bare DB-API connection, and the raw UPDATE loop. The differences are
what each layer costs; the server's CPU per reservation beside it.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rich.console import Console
from rich.table import Table
from sqlalchemy import inspect, text

SPREAD_SKUS = 10_000
ROUNDS = 2
HOT, SCARCE, SCARCE_UNITS = "BENCH-HOT", "BENCH-SCARCE", 500
# raw: the UPDATE loop. full: unit_of_work + reserve as the worker runs them, on the connection
# its thread keeps (pinned_connection). pooled: the same, taking a pooled connection and a new
# Session per transaction, as a web request does.
PATHS = ("raw", "full", "pooled")
RAW_SQL = {
    "postgresql": "UPDATE stock_levels SET reserved = reserved + %s WHERE sku_id = %s "
                  "AND warehouse_id = %s AND on_hand - reserved >= %s",
    "sqlite": "UPDATE stock_levels SET reserved = reserved + ? WHERE sku_id = ? "
              "AND warehouse_id = ? AND on_hand - reserved >= ?",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--seconds", type=float, default=4.0,
                        help="time per path per cell of the table (in alternating blocks)")
    parser.add_argument("--clients", type=int, default=16, help="the concurrent client count")
    parser.add_argument("--reset", action="store_true", help="wipe the database first")
    parser.add_argument("--cpu", action="store_true",
                        help="client CPU per reservation by layer, in one process (PostgreSQL)")
    args = parser.parse_args()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='orderhub-invbench-')) / 'bench.db'}"
    os.environ["ORDERHUB_DATABASE_URL"] = url
    from orderhub.core.db import make_engine
    from orderhub.schema import migrate

    engine = make_engine(url)
    tables = inspect(engine).get_table_names()
    if tables and not args.reset:
        sys.exit(f"{url} is not empty; pass --reset to wipe it")
    if tables:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            else:
                for table in tables:
                    conn.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
    migrate(url)
    wh, hot_id, spread, scarce_id = _seed(engine)
    console = Console(width=150)
    if args.cpu:
        return _cpu_by_layer(console, url, wh, spread)
    console.print(f"[bold]inventory bench[/] on {engine.dialect.name} "
                  f"({engine.dialect.server_version_info}), {os.cpu_count()} CPUs, "
                  f"{args.seconds:.0f} s per phase")
    ctx = mp.get_context("spawn")
    commands, results = [ctx.Queue() for _ in range(args.clients)], ctx.Queue()
    procs = [ctx.Process(target=_client, args=(i, url, commands[i], results)) for i in range(args.clients)]
    for p in procs:
        p.start()
    for _ in procs:
        results.get()  # ready
    rows, counted = [], dict.fromkeys(PATHS, 0)
    server = _ServerCpu(url)
    try:
        for workload, targets in (("1 hot SKU", [(HOT, hot_id)]), (f"{SPREAD_SKUS:,} SKUs", spread)):
            for clients in (1, args.clients):
                per = dict.fromkeys(PATHS, 0)
                cpu = {path: [0.0, 0.0] for path in PATHS}  # client, server seconds
                # Alternating blocks, so drift (table growth, other load) hits both paths alike.
                for _ in range(ROUNDS):
                    for path in PATHS:
                        before = server.seconds()
                        n, fails, client_cpu = _phase(commands[:clients], results, path, wh, targets,
                                                      args.seconds / ROUNDS)
                        cpu[path][1] += server.seconds() - before
                        cpu[path][0] += client_cpu
                        assert fails == 0, f"{fails} reservations refused with stock left"
                        counted[path] += n
                        per[path] += n
                rows.append((workload, clients, *(per[p] / args.seconds for p in PATHS),
                             *(1000 * x / max(per[p], 1) for p in PATHS for x in cpu[p])))
        # Until refused: every client keeps reserving until the stock says no.
        scarce_ok, _, _ = _phase(commands, results, "until-refused", wh, [(SCARCE, scarce_id)], 60.0)
    finally:
        for q in commands:
            q.put(None)
        for p in procs:
            p.join(timeout=10)
    oversold = _check(engine, wh, hot_id, spread, scarce_id, counted, scarce_ok)
    table = Table(title="reservations per second (one order of 1 unit per transaction)")
    for col in ("workload", "clients", "raw SQL UPDATE/s", "full reserve/s", "full / raw",
                "pooled/s", "pooled / raw", "raw CPU ms/op (client+server)",
                "full CPU ms/op (client+server)", "CPU raw / full", "pooled CPU ms/op"):
        table.add_column(col, justify="right")
    for workload, clients, raw, full, pooled, rc, rs, fc, fs, pc, ps in rows:
        cpu_cells = (f"{rc:.2f}+{rs:.2f}", f"{fc:.2f}+{fs:.2f}", f"{(rc + rs) / (fc + fs):.2f}",
                     f"{pc:.2f}+{ps:.2f}")
        table.add_row(workload, str(clients), f"{raw:,.0f}", f"{full:,.0f}", f"{full / raw:.2f}",
                      f"{pooled:,.0f}", f"{pooled / raw:.2f}",
                      *(cpu_cells if server.available else ("–",) * 4))
    console.print(table)
    console.print(f"load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}; CPU per "
                  "reservation: the clients' process time and the database backends' (/proc), the "
                  "ratio a CPU-bound run tends to, steadier than the rates on a shared machine")
    console.print(f"oversell check: {args.clients} clients raced for {SCARCE_UNITS} units of "
                  f"{SCARCE}: {scarce_ok} reserved; every level reserved == raw + full + pooled "
                  f"reservations made, reserved <= on hand: oversold units = {oversold}")
    engine.dispose()
    return 0 if oversold == 0 and scarce_ok == SCARCE_UNITS else 1


def _seed(engine):
    from orderhub.core import clock
    from orderhub.inventory.models import Sku, StockLevel, Warehouse

    now = clock.now()
    with engine.begin() as conn:
        wh = conn.execute(Warehouse.__table__.insert().returning(Warehouse.__table__.c.id), [{
            "code": "BENCH", "name": "bench", "province": "浙江省", "city": "杭州市", "daily_capacity": 0,
            "serves_provinces": [], "delivery_days": {}, "error_rate": 0.0, "active": True, "created_at": now}]).scalar()
        codes = [HOT, SCARCE] + [f"BENCH-{i:05d}" for i in range(SPREAD_SKUS)]
        conn.execute(Sku.__table__.insert(), [{
            "code": c, "name": c, "category": "bench", "barcode": None, "weight_g": 0, "purchase_limited": False,
            "presale": False, "active": True, "created_at": now} for c in codes])
        ids = dict(conn.execute(text("SELECT code, id FROM skus")).all())
        conn.execute(StockLevel.__table__.insert(), [{
            "sku_id": ids[c], "warehouse_id": wh, "on_hand": SCARCE_UNITS if c == SCARCE else 10_000_000,
            "reserved": 0, "in_transit": 0, "safety_stock": 0} for c in codes])
    spread = [(c, ids[c]) for c in codes[2:]]
    return wh, ids[HOT], spread, ids[SCARCE]


def _phase(commands, results, path, wh, targets, seconds):
    start_at = time.time() + 0.5
    for q in commands:
        q.put((path, wh, targets, start_at, seconds))
    done = fails = 0
    cpu = 0.0
    for _ in commands:
        n, f, c = results.get()
        done, fails, cpu = done + n, fails + f, cpu + c
    return done, fails, cpu


def _client(index: int, url: str, commands, results) -> None:
    os.environ["ORDERHUB_DATABASE_URL"] = url
    os.environ["ORDERHUB_DB_POOL_SIZE"] = "3"  # the raw loop's, the pinned one, a pooled one
    from contextlib import nullcontext

    from orderhub.core.actor import Actor
    from orderhub.core.db import get_engine, pinned_connection, unit_of_work
    from orderhub.inventory.service import reserve

    actor = Actor.system("bench")
    engine = get_engine()
    raw = engine.raw_connection()  # a DB-API connection of its own for the raw loop
    sql = RAW_SQL[engine.dialect.name]
    sqlite = engine.dialect.name == "sqlite"
    rng = random.Random(index)
    order_id = index * 100_000_000
    with unit_of_work(engine):  # connect, warm the pool
        pass
    results.put("ready")
    while (cmd := commands.get()) is not None:
        path, wh, targets, start_at, seconds = cmd
        time.sleep(max(0.0, start_at - time.time()))
        stop, n, fails = start_at + seconds, 0, 0
        cpu_start = time.process_time()
        cur = raw.cursor()
        # Pinned once per phase, inside the CPU count, like a worker that starts once and runs.
        with nullcontext() if path in ("raw", "pooled") else pinned_connection(engine):
            while time.time() < stop:
                code, sku_id = targets[rng.randrange(len(targets))]
                if path == "raw":
                    if sqlite:
                        cur.execute("BEGIN IMMEDIATE")
                    cur.execute(sql, (1, sku_id, wh, 1))
                    ok = cur.rowcount == 1
                    raw.commit() if not sqlite else cur.execute("COMMIT")
                else:
                    order_id += 1
                    with unit_of_work(engine) as session:
                        ok = reserve(session, order_id=order_id, warehouse_id=wh, lines=[(code, 1)],
                                     actor=actor)
                n, fails = (n + 1, fails) if ok else (n, fails + 1)
                if path == "until-refused" and not ok:
                    break
        cur.close()
        results.put((n, fails, time.process_time() - cpu_start))
    raw.close()


def _cpu_by_layer(console, url: str, wh: int, spread, blocks: int = 4, per_block: int = 1000) -> int:
    import statistics
    from contextlib import nullcontext

    from orderhub.core import clock
    from orderhub.core.actor import Actor
    from orderhub.core.db import get_engine, pinned_connection, unit_of_work
    from orderhub.inventory import reservations
    from orderhub.inventory.service import reserve

    engine = get_engine()
    if engine.dialect.name != "postgresql":
        sys.exit("--cpu compares the PostgreSQL one-line statement; pass --db postgresql://…")
    actor, rng, raw = Actor.system("bench"), random.Random(3), engine.raw_connection()
    order_id = [10**9]

    def params(code: str) -> dict:
        order_id[0] += 1
        return {"code": code, "q": 1, "o": order_id[0], "w": wh, "exp": None, "now": clock.now(),
                "ak": actor.kind, "an": actor.name}

    inside = [0.0]  # CPU of reserve() alone, in the transaction the full path opened

    def full(code: str, _sku_id: int) -> None:
        order_id[0] += 1
        with unit_of_work(engine) as session:
            session.connection()
            start = time.process_time()
            assert reserve(session, order_id=order_id[0], warehouse_id=wh, lines=[(code, 1)], actor=actor)
            inside[0] += time.process_time() - start

    def pooled(code: str, _sku_id: int) -> None:  # run outside the pin: a pooled connection each
        order_id[0] += 1
        with unit_of_work(engine) as session:
            assert reserve(session, order_id=order_id[0], warehouse_id=wh, lines=[(code, 1)], actor=actor)

    def core(code: str, _sku_id: int) -> None:
        with engine.begin() as conn:
            cursor = conn.connection.cursor()
            cursor.execute(reservations._PG_ONE_LINE_SQL, params(code))
            cursor.fetchone()
            cursor.close()

    cursor = raw.cursor()

    def dbapi(code: str, _sku_id: int) -> None:
        cursor.execute(reservations._PG_ONE_LINE_SQL, params(code))
        cursor.fetchone()
        raw.commit()

    def raw_update(_code: str, sku_id: int) -> None:
        cursor.execute(RAW_SQL["postgresql"], (1, sku_id, wh, 1))
        raw.commit()

    def fn_is_full(name: str) -> bool:
        return layers[name] is full

    layers = {"unit_of_work + reserve, pinned (full path)": full,
              "unit_of_work + reserve, pooled": pooled,
              "engine.begin + the same statement": core,
              "DB-API + the same statement": dbapi, "raw UPDATE loop": raw_update}
    cpu: dict[str, list[float]] = {name: [] for name in layers}
    server = _ServerCpu(url)
    server_cpu: dict[str, list[float]] = {name: [] for name in layers}
    in_tx: list[float] = []

    def pin(fn: object) -> object:  # the full path runs as the worker does, pinned
        return pinned_connection(engine) if fn is full else nullcontext()

    for name, fn in layers.items():  # warm up: prepared statements, pools
        with pin(fn):
            for _ in range(100):
                fn(*spread[rng.randrange(len(spread))])
    for _ in range(blocks):
        for name, fn in layers.items():
            start, server_start, inside[0] = time.process_time(), server.seconds(), 0.0
            with pin(fn):
                for _ in range(per_block):
                    fn(*spread[rng.randrange(len(spread))])
            cpu[name].append((time.process_time() - start) * 1000 / per_block)
            server_cpu[name].append((server.seconds() - server_start) * 1000 / per_block)
            if fn is full:
                in_tx.append(inside[0] * 1000 / per_block)
    table = Table(title=f"client CPU per reservation (ms), {blocks} blocks of {per_block}, "
                        f"load average {os.getloadavg()[0]:.1f}")
    for col in ("layer", "client median", "client blocks", "server median"):
        table.add_column(col, justify="right")
    for name, values in cpu.items():
        table.add_row(name, f"{statistics.median(values):.3f}", " ".join(f"{v:.3f}" for v in values),
                      f"{statistics.median(server_cpu[name]):.3f}" if server.available else "–")
        if fn_is_full(name):
            # What a caller that already has a transaction (allocate, in the pipeline's) pays.
            table.add_row("  of which reserve() in the open transaction", f"{statistics.median(in_tx):.3f}",
                          " ".join(f"{v:.3f}" for v in in_tx), "")
    console.print(table)
    cursor.close()
    raw.close()
    engine.dispose()
    return 0


class _ServerCpu:
    """CPU time of this database's server processes, read from /proc (the server runs on this
    machine in the benches; `available` is False otherwise)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                                    autocommit=True) if url.startswith("postgresql") else None
        self.tick = os.sysconf("SC_CLK_TCK")
        self.available = self.conn is not None and Path("/proc/self/stat").exists()

    def seconds(self) -> float:
        if not self.available:
            return 0.0
        pids = [r[0] for r in self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")]
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / self.tick


def _check(engine, wh, hot_id, spread, scarce_id, counted, scarce_ok) -> int:
    with engine.connect() as conn:
        total, over = conn.execute(text(
            "SELECT coalesce(sum(reserved), 0), coalesce(sum(CASE WHEN reserved > on_hand "
            "THEN reserved - on_hand ELSE 0 END), 0) FROM stock_levels")).one()
        active = conn.execute(text("SELECT coalesce(sum(quantity), 0) FROM reservations "
                                   "WHERE status = 'active'")).scalar()
    expected = sum(counted.values()) + scarce_ok
    assert active == counted["full"] + counted["pooled"] + scarce_ok, (active, counted)
    assert total == expected, f"reserved {total} != {expected} reservations made: lost updates"
    return int(over)


if __name__ == "__main__":
    sys.exit(main())
