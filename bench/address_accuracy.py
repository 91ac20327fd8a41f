"""Address parser accuracy on the hand-written labelled set, and parse time per address.

    python bench/address_accuracy.py            # figures
    python bench/address_accuracy.py --misses   # also list every address parsed differently from its label

Prints province/city/district accuracy (well-formed, typo, vague and all rows), vagueness
precision and recall, and parse_address time per address (median and p99 after a warm-up pass;
the first call also loads the division data, timed separately).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing the package

from orderhub.address import parse_address
from tests.address.labelled import LEVELS, evaluate, load, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the addresses the parser got wrong")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over the set (default 5)")
    args = parser.parse_args()

    start = time.perf_counter()
    parse_address("浙江省杭州市西湖区文三路100号")
    first = time.perf_counter() - start
    rows = load()
    report = evaluate(rows)
    print(f"labelled addresses: {report.rows} ({', '.join(f'{k} {v}' for k, v in report.counts.items())})")
    print(f"{'group':<12} " + " ".join(f"{level:>9}" for level in LEVELS))
    for group, acc in report.accuracy.items():
        print(f"{group:<12} " + " ".join(f"{acc[level] * 100:8.1f}%" for level in LEVELS))
    print(f"vagueness: precision {report.vague_precision * 100:.1f}%  recall {report.vague_recall * 100:.1f}%")
    median, p99 = timings(rows, args.rounds)
    print(f"parse time per address: median {median * 1e6:.0f} µs, p99 {p99 * 1e6:.0f} µs "
          f"({args.rounds} passes over {len(rows)}); first call incl. loading data {first * 1e3:.0f} ms")
    if args.misses:
        for row, parsed in report.misses:
            print(f"- [{row.kind}] {row.address!r} given={row.given if any(row.given) else ''}\n"
                  f"    expected {row.province}|{row.city}|{row.district} vague={row.vague}\n"
                  f"    parsed   {parsed.province}|{parsed.city}|{parsed.district} vague={parsed.vague} "
                  f"conf={parsed.confidence} flags={sorted(parsed.flags)}")


if __name__ == "__main__":
    main()
