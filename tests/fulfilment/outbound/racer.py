"""A scanning station as its own process, for the concurrency test:
`python -m tests.fulfilment.outbound.racer START STATION CODE...` waits until the epoch second
START, scans each code in its own transaction and prints one JSON line of outcomes."""

from __future__ import annotations

import json
import sys
import time

from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.fulfilment.outbound.service import scan


def main(start: float, station: str, codes: list[str]) -> None:
    time.sleep(max(0.0, start - time.time()))
    kinds = []
    for code in codes:
        with unit_of_work() as session:
            result = scan(session, code=code, actor=Actor.system(station), station=station)
            kinds.append([code, result.kind])
    print(json.dumps(kinds))


if __name__ == "__main__":
    main(float(sys.argv[1]), sys.argv[2], sys.argv[3:])
