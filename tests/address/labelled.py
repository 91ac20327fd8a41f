"""The hand-written labelled address set (addresses.csv) and how the parser is scored on it.

Columns: kind (muni, full, abbr, noprov, auto, countycity, rural, vague, typo, junk, given),
address, expected province/city/district (full official names; "" where the level does not exist
or is not written, e.g. 东莞市 has no districts, 苏州工业园区 is not one), vague (1/0), and for
kind "given" the separate province/city/district fields a platform would send.
"""
from __future__ import annotations

import csv
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from orderhub.address import ParsedAddress, parse_address

DATA = Path(__file__).with_name("addresses.csv")
LEVELS = ("province", "city", "district")


@dataclass(frozen=True)
class Labelled:
    kind: str
    address: str
    province: str
    city: str
    district: str
    vague: bool
    given: tuple[str, str, str]

    @property
    def well_formed(self) -> bool:
        return not self.vague and self.kind != "typo"

    def parse(self) -> ParsedAddress:
        p, c, d = self.given
        return parse_address(self.address, province=p, city=c, district=d)


def load() -> list[Labelled]:
    with open(DATA, encoding="utf-8", newline="") as fh:
        return [
            Labelled(
                kind=row["kind"], address=row["address"], province=row["province"], city=row["city"],
                district=row["district"], vague=row["vague"] == "1",
                given=(row["given_province"], row["given_city"], row["given_district"]),
            )
            for row in csv.DictReader(fh)
        ]


@dataclass
class Report:
    rows: int
    accuracy: dict[str, dict[str, float]]  # group -> level -> share correct
    counts: dict[str, int]  # group -> rows
    vague_precision: float
    vague_recall: float
    misses: list[tuple[Labelled, ParsedAddress]]


def evaluate(rows: list[Labelled]) -> Report:
    groups = {"well-formed": [], "typo": [], "vague": [], "all": []}
    misses = []
    tp = fp = fn = 0
    for row in rows:
        parsed = row.parse()
        right = {level: getattr(parsed, level) == getattr(row, level) for level in LEVELS}
        group = "typo" if row.kind == "typo" else ("vague" if row.vague else "well-formed")
        groups[group].append(right)
        groups["all"].append(right)
        if not all(right.values()) or parsed.vague != row.vague:
            misses.append((row, parsed))
        tp += parsed.vague and row.vague
        fp += parsed.vague and not row.vague
        fn += row.vague and not parsed.vague
    accuracy = {
        name: {level: sum(r[level] for r in results) / len(results) for level in LEVELS}
        for name, results in groups.items() if results
    }
    return Report(
        rows=len(rows), accuracy=accuracy, counts={k: len(v) for k, v in groups.items()},
        vague_precision=tp / (tp + fp) if tp + fp else 1.0, vague_recall=tp / (tp + fn) if tp + fn else 1.0,
        misses=misses,
    )


def timings(rows: list[Labelled], rounds: int = 5) -> tuple[float, float]:
    """(median, p99) seconds per parse_address call, after one warm-up pass."""
    for row in rows:
        row.parse()
    samples = []
    for _ in range(rounds):
        for row in rows:
            start = time.perf_counter()
            row.parse()
            samples.append(time.perf_counter() - start)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]
