"""Waybills for 1,000 orders from the three carrier simulators (50 ms simulated latency each).

    python bench/waybill_bench.py                      # temporary SQLite database
    python bench/waybill_bench.py --url postgresql://postgres@127.0.0.1:5432/bench
    python bench/waybill_bench.py --orders 1000 --latency 0.05 --workers 64

Orders are split over Taobao (ZTO via Cainiao), PDD (YTO via PDD waybill) and the own store
(SF direct). Prints a table: the concurrent run (target < 10 s), the sequential baseline measured
in the same run on a sample with one thread and scaled to all orders, and the floor a sequential
loop cannot beat (orders x latency).

Each carrier simulator runs as a process of its own (`ProcessSims`), as the carriers are remote
in production: in this process their HTTP servers' CPU would compete with ours for the GIL (and
bench/channels_bench.py runs `orderhub sim` the same way). `--in-process-sims` runs them as the
tests do, in threads here, for comparison.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Self

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing the package


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds each carrier call takes")
    parser.add_argument("--workers", type=int, default=64)
    parser.add_argument("--sample", type=int, default=60, help="orders in the sequential baseline")
    parser.add_argument("--in-process-sims", action="store_true",
                        help="run the carrier simulators in threads of this process (as the tests do)")
    parser.add_argument("--serve-sim", choices=sorted(SIMULATORS), help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_sim:
        serve_sim(args.serve_sim, seed=args.seed, latency=args.latency)
        return
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
    from tests.fulfilment.carriers.support import add_account, order

    migrate(os.environ["ORDERHUB_DATABASE_URL"])
    engine = get_engine()
    # Lease the order-number node before a transaction holds SQLite's only writer (as tests do).
    order_numbers(engine, get_settings().timezone).prime()
    with carrier_sims(args) as sims:
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
    where = "threads of this process" if args.in_process_sims else "3 processes"
    print(f"waybills for {len(batch)} orders, {args.latency * 1000:.0f} ms per carrier call, "
          f"{engine.dialect.name}; simulators in {where}; setup {setup:.1f} s; "
          f"1-minute load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{'run':<38}{'seconds':>9}{'orders/s':>10}  note")
    for name, seconds, note in rows:
        print(f"{name:<38}{seconds:9.2f}{len(batch) / seconds:10.0f}  {note}")
    print(f"speed-up {sequential / concurrent:.1f}x; target < 10 s: {'met' if concurrent < 10 else 'MISSED'}")


# The carrier simulators and what tests/fulfilment/carriers/support.add_account reads of each.
SIMULATORS = {"cainiao": ("orderhub.sim.cainiao", "CainiaoSim", ("app_key", "app_secret", "session_key")),
              "pdd": ("orderhub.sim.pdd_waybill", "PddWaybillSim", ("client_id", "client_secret", "access_token")),
              "direct": ("orderhub.sim.carrier_direct", "CarrierDirectSim", ("partner_id", "secret"))}
SEEDS = {"cainiao": 1, "pdd": 2, "direct": 3}  # as support.Sims


def serve_sim(kind: str, *, seed: int, latency: float) -> None:
    """The child process: one simulator answering in `latency` seconds; tells the parent its URL
    and credentials on one line of stdout and serves until the parent closes stdin."""
    module, name, fields = SIMULATORS[kind]
    sim = getattr(importlib.import_module(module), name)(seed=seed)
    sim.faults.slow_seconds = latency
    url = sim.start()
    print(json.dumps({"url": url, **{f: getattr(sim, f) for f in fields}}), flush=True)
    sys.stdin.read()
    sim.stop()


class ProcessSims:
    """support.Sims with each simulator in a process of its own (started with the latency set)."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> Self:
        for kind in SIMULATORS:
            proc = subprocess.Popen([sys.executable, __file__, "--serve-sim", kind, "--seed", str(SEEDS[kind]),
                                     "--latency", str(self.latency)],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO)
            self.procs.append(proc)
            setattr(self, kind, SimpleNamespace(**json.loads(proc.stdout.readline())))  # type: ignore[union-attr]
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            proc.stdin.close()  # type: ignore[union-attr]
            proc.wait(timeout=10)


def carrier_sims(args: argparse.Namespace) -> Any:
    """The three carrier simulators at `args.latency` a call: child processes, or with
    --in-process-sims threads of this process."""
    if not args.in_process_sims:
        return ProcessSims(args.latency)
    from tests.fulfilment.carriers.support import Sims

    class Slow(Sims):
        def __enter__(self) -> Self:
            super().__enter__()
            for sim in (self.cainiao, self.pdd, self.direct):
                sim.faults.slow_seconds = args.latency
            return self

    return Slow()


if __name__ == "__main__":
    main()
