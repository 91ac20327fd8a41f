"""Waybills for 1,000 orders from the three carrier simulators (50 ms simulated latency each).

    python bench/waybill_bench.py                      # temporary SQLite database
    python bench/waybill_bench.py --url postgresql://postgres@127.0.0.1:5432/bench
    python bench/waybill_bench.py --orders 1000 --latency 0.05 --workers 64

Orders are split over Taobao (ZTO via Cainiao), PDD (YTO via PDD waybill) and the own store
(SF direct). Prints a table: the concurrent run (target < 10 s), the sequential baseline measured
in the same run on a sample with one thread and scaled to all orders, and the floor a sequential
loop cannot beat (orders x latency).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing the package


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds each carrier call takes")
    parser.add_argument("--workers", type=int, default=64)
    parser.add_argument("--sample", type=int, default=60, help="orders in the sequential baseline")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="waybill-bench-"))
    os.environ["ORDERHUB_DATABASE_URL"] = args.url or f"sqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("ORDERHUB_DATA_DIR", str(tmp / "data"))
    run(args)


def run(args: argparse.Namespace) -> None:
    from orderhub.core.db import get_engine, unit_of_work
    from orderhub.core.ids import order_numbers
    from orderhub.core.settings import get_settings
    from orderhub.fulfilment.carriers.rules import create_rule
    from orderhub.fulfilment.carriers.service import request_waybills
    from orderhub.schema import migrate
    from tests.fulfilment.carriers.support import Sims, add_account, order

    migrate(os.environ["ORDERHUB_DATABASE_URL"])
    engine = get_engine()
    # Lease the order-number node before a transaction holds SQLite's only writer (as tests do).
    order_numbers(engine, get_settings().timezone).prime()
    with Sims() as sims:
        for sim in (sims.cainiao, sims.pdd, sims.direct):
            sim.faults.slow_seconds = args.latency
        started = time.perf_counter()
        with unit_of_work(engine) as session:
            create_rule(session, name="bench default → ZTO", carrier="ZTO", is_default=True)
            create_rule(session, name="bench pdd → YTO", priority=1, carrier="YTO", channels=["pdd"])
            create_rule(session, name="bench own → SF", priority=2, carrier="SF", channels=["webhook"])
            add_account(session, sims, carrier="ZTO", source="cainiao", name="bench-ZTO")
            add_account(session, sims, carrier="YTO", source="pdd", name="bench-YTO")
            add_account(session, sims, carrier="SF", source="direct", name="bench-SF")
            channels = ("taobao", "pdd", "webhook")
            ids = [order(session, channel=channels[n % 3]).id for n in range(args.orders + args.sample)]
        setup = time.perf_counter() - started
        sample, batch = ids[: args.sample], ids[args.sample:]

        started = time.perf_counter()
        report = request_waybills(engine, order_ids=batch, max_workers=args.workers)
        concurrent = time.perf_counter() - started
        assert len(report.issued) == len(batch), (report.waiting, report.refused)

        started = time.perf_counter()
        request_waybills(engine, order_ids=sample, max_workers=1)
        sequential = (time.perf_counter() - started) / len(sample) * len(batch)

    rows = [("concurrent (measured)", concurrent, f"{args.workers} threads"),
            ("sequential (measured on sample)", sequential, f"{len(sample)} orders x {len(batch) / len(sample):.1f}"),
            ("sequential floor (orders x latency)", len(batch) * args.latency, "")]
    print(f"waybills for {len(batch)} orders, {args.latency * 1000:.0f} ms per carrier call, "
          f"{engine.dialect.name}; setup {setup:.1f} s")
    print(f"{'run':<38}{'seconds':>9}{'orders/s':>10}  note")
    for name, seconds, note in rows:
        print(f"{name:<38}{seconds:9.2f}{len(batch) / seconds:10.0f}  {note}")
    print(f"speed-up {sequential / concurrent:.1f}x; target < 10 s: {'met' if concurrent < 10 else 'MISSED'}")


if __name__ == "__main__":
    main()
