"""A child process of the concurrency proofs: several threads, each with its own connection,
reserve the orders of a JSON file (its share of them) as soon as the start file appears, one
transaction per order, and print one JSON line per order: [order_id, reserved?, retries].

    python -m tests.inventory.reserve_clients ORDERS.json START_FILE INDEX PROCESSES THREADS

A deadlock or serialization failure is retried (the proof counts them); anything else fails.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from orderhub.core.actor import Actor
from orderhub.core.db import get_engine, unit_of_work
from orderhub.inventory.service import reserve

ACTOR = Actor.system("concurrency-proof")
RETRYABLE = ("deadlock detected", "could not serialize", "database is locked")


def run_order(order: dict) -> tuple[bool, int]:
    retries = 0
    while True:
        try:
            with unit_of_work() as session:
                ok = reserve(session, order_id=order["order_id"], warehouse_id=order["warehouse_id"],
                             lines=[tuple(x) for x in order["lines"]], actor=ACTOR)
            return ok, retries
        except DBAPIError as exc:
            if not any(text in str(exc) for text in RETRYABLE) or retries >= 20:
                raise
            retries += 1
            time.sleep(0.01 * retries)


def main(argv: list[str]) -> int:
    orders_file, start_file, index, processes, threads = argv
    index, processes, threads = int(index), int(processes), int(threads)
    orders = json.loads(Path(orders_file).read_text())[index::processes]
    get_engine()  # connect before the start signal
    results: list[list] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def client(share: list[dict]) -> None:
        try:
            with get_engine().connect():
                pass
            while not Path(start_file).exists():
                time.sleep(0.005)
            for order in share:
                ok, retries = run_order(order)
                with lock:
                    results.append([order["order_id"], ok, retries])
        except BaseException as exc:  # noqa: BLE001 — reported by the parent
            errors.append(exc)

    workers = [threading.Thread(target=client, args=(orders[t::threads],)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for row in results:
        print(json.dumps(row))
    if errors:
        print(f"ERROR {errors[0]!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
