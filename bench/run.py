"""OrderHub benchmarks: order intake (service layer vs. raw inserts) and outbox delivery.

    python bench/run.py                                   # SQLite in a temporary directory
    python bench/run.py --db postgresql://postgres@127.0.0.1:5432/oh_bench --reset

See bench/README.md. Migrates the database first; it must be empty unless --reset is given.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sqlite3
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing the package

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import Engine, inspect, text  # noqa: E402

WARM_UP = 50  # orders per path before timing: imports, statement caches, connection pool
ROUNDS = 4  # the two intake paths alternate in this many blocks, so drift hits both alike


def main() -> int:
    args = _parse_args()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='orderhub-bench-')) / 'bench.db'}"
    # Before orderhub reads its settings: everything in this process uses the bench database.
    os.environ["ORDERHUB_DATABASE_URL"] = url
    os.environ.setdefault("ORDERHUB_DATA_DIR", tempfile.mkdtemp(prefix="orderhub-bench-data-"))

    from orderhub.core.db import make_engine
    from orderhub.core.ids import order_numbers
    from orderhub.core.settings import get_settings
    from orderhub.schema import migrate

    engine = make_engine(url)
    _prepare(engine, url, reset=args.reset, migrate=migrate)
    order_numbers(engine, get_settings().timezone).prime()  # outside any transaction (SQLite)
    console = Console(width=120)
    console.print(f"[bold]OrderHub bench[/] on {_describe_db(engine)}; {args.orders} orders per "
                  f"path, {args.events} events per worker run")
    load_before = os.getloadavg()[0]
    results = _measure(engine, orders=args.orders, events=args.events, console=console)
    results["load"] = (load_before, os.getloadavg()[0])
    console.print(_report(results, engine))
    engine.dispose()
    return 0


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--orders", type=int, default=2000, help="orders per intake path")
    parser.add_argument("--events", type=int, default=5000, help="events per worker run")
    parser.add_argument("--reset", action="store_true",
                        help="drop everything in the database first (PostgreSQL: schema public)")
    return parser.parse_args()


def _prepare(engine: Engine, url: str, *, reset: bool, migrate) -> None:  # noqa: ANN001
    tables = inspect(engine).get_table_names()
    if tables and not reset:
        sys.exit(f"{url} is not empty ({len(tables)} tables); pass --reset to wipe it")
    if tables:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            else:
                for table in tables:
                    conn.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
    migrate(url)


def _measure(engine: Engine, *, orders: int, events: int, console: Console) -> dict[str, object]:
    import workloads as w  # bench/workloads.py, next to this file

    shop_id = w.ensure_shop(engine)
    w.service_intake(engine, w.order_payloads("WARM-S-", WARM_UP, seed=1))
    w.raw_intake(engine, w.order_payloads("WARM-R-", WARM_UP, seed=2), shop_id)
    service = raw = w.NO_TIME
    size = max(orders // ROUNDS, 1)
    with console.status("intake: service layer vs. raw inserts…"):
        for block in range(ROUNDS):
            service += w.service_intake(engine, w.order_payloads(f"S{block}-", size, seed=10 + block))
            raw += w.raw_intake(engine, w.order_payloads(f"R{block}-", size, seed=10 + block), shop_id)
    with console.status("outbox: one worker, trivial handler…"):
        handled = w.drain(engine, "bench.handled", events, handler=lambda session, event: None)
    with console.status("outbox: one worker, no handler…"):
        unhandled = w.drain(engine, "bench.unhandled", events, handler=None)
    return {"service": service, "raw": raw, "handled": handled, "unhandled": unhandled,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _report(r: dict, engine: Engine) -> Table:  # noqa: ANN001
    table = Table(title=f"{_describe_db(engine)} · Python {platform.python_version()} · "
                        f"{os.cpu_count()} CPUs ({_cpu_model()})")
    table.add_column("measure")
    table.add_column("per second", justify="right")
    table.add_column("ms each", justify="right")
    table.add_column("client CPU ms each", justify="right")
    table.add_column("count", justify="right")
    for key, label in (("service", "(a) orders via receive_order (ORM)"),
                       ("raw", "(b) orders as raw Core inserts"),
                       ("handled", "(c) events, worker, trivial handler"),
                       ("unhandled", "(c) events, worker, no handler")):
        t = r[key]
        table.add_row(label, f"{t.per_second:,.0f}", f"{t.ms_each:.2f}", f"{t.cpu_ms_each:.2f}",
                      f"{t.count:,}")
    ratio = r["service"].per_second / r["raw"].per_second
    table.add_row("service / raw (throughput)", f"{ratio:.2f}", "", "", "")
    table.add_row("peak RSS of this process", f"{r['rss_mb']:.0f} MB", "", "", "")
    table.add_row("1-min load average before / after", "{:.2f} / {:.2f}".format(*r["load"]),
                  "", "", "")
    return table


def _describe_db(engine: Engine) -> str:
    if engine.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL)"
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
        sync = conn.execute(text("SHOW synchronous_commit")).scalar()
    return f"PostgreSQL {version} (synchronous_commit={sync})"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
