"""Scoring candidate warehouses (SPEC §5): pure functions over plain data, no database.

Each factor is a number in 0..1 where 1 is best; the total is the weighted sum:

- stock    share of the order's expanded units the warehouse has available
- delivery (fewest days among the candidates + 1) / (this warehouse's days + 1)
- load     1 - orders allocated to it today / daily capacity (0 at or over capacity; a
           warehouse without a capacity set (0) is not limited and scores 1)
- error    1 - recent error rate
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from orderhub.core.errors import InvalidInput

FACTORS = ("stock", "delivery", "load", "error")
DEFAULT_WEIGHTS: dict[str, float] = {"stock": 0.4, "delivery": 0.3, "load": 0.2, "error": 0.1}
# Days assumed to a province a warehouse has no figure for (and not worse than its slowest).
DEFAULT_DELIVERY_DAYS = 5
_SUFFIX = re.compile(r"(壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省|市)$")


# Cached: an allocation compares every warehouse's provinces and delivery table with the
# order's (~50 calls per order), over a few dozen distinct names.
@lru_cache(maxsize=1024)
def province_key(name: str | None) -> str:
    """'浙江省', '浙江' and ' 浙江 ' all mean the same province; '新疆维吾尔自治区' is '新疆'."""
    text = (name or "").strip()
    return _SUFFIX.sub("", text) or text


@dataclass(frozen=True)
class Site:
    """What routing needs to know about a warehouse (copied from the inventory's row)."""

    id: int
    code: str
    name: str = ""
    serves: tuple[str, ...] = ()  # province names; empty = every province
    delivery_days: Mapping[str, int] = field(default_factory=dict)
    daily_capacity: int = 0
    error_rate: float = 0.0
    active: bool = True

    def serves_province(self, province: str) -> bool:
        key = province_key(province)
        return bool(key) and (not self.serves or key in {province_key(p) for p in self.serves})

    def days_to(self, province: str) -> int:
        key = province_key(province)
        for name, days in self.delivery_days.items():
            if province_key(name) == key:
                return max(int(days), 0)
        known = [int(d) for d in self.delivery_days.values()]
        return max([DEFAULT_DELIVERY_DAYS, *known])


@dataclass(frozen=True)
class Candidate:
    """One warehouse's factors and weighted total for one order."""

    code: str
    warehouse_id: int
    factors: Mapping[str, float]
    total: float
    covers: bool
    days: int
    allocated_today: int

    def as_dict(self) -> dict[str, Any]:
        return {"warehouse": self.code, "warehouse_id": self.warehouse_id,
                "factors": {k: round(v, 4) for k, v in self.factors.items()},
                "total": round(self.total, 4), "covers": self.covers, "delivery_days": self.days,
                "allocated_today": self.allocated_today}


# --- the factors, each on its own ------------------------------------------------------------


def stock_coverage(needs: Mapping[str, int], available: Mapping[str, int]) -> float:
    """Share of the needed units this warehouse could reserve now (1.0 = all of them)."""
    total = sum(needs.values())
    if total <= 0:
        return 1.0
    have = sum(min(max(available.get(sku, 0), 0), qty) for sku, qty in needs.items())
    return have / total


def delivery_score(days: int, best_days: int) -> float:
    """Relative to the fastest candidate: (best + 1) / (days + 1), so 1 day vs 2 days is 2/3."""
    days, best_days = max(days, 0), max(min(best_days, days), 0)
    return (best_days + 1) / (days + 1)


def load_score(allocated_today: int, daily_capacity: int) -> float:
    """Spare capacity today; no capacity set (0) means no limit, so nothing to subtract."""
    if daily_capacity <= 0:
        return 1.0
    return max(0.0, 1.0 - allocated_today / daily_capacity)


def error_score(error_rate: float) -> float:
    return 1.0 - min(max(float(error_rate), 0.0), 1.0)


# --- weights ---------------------------------------------------------------------------------


def validate_weights(weights: Mapping[str, Any]) -> dict[str, float]:
    """Exactly the four factors, each a number from 0 to 1, summing to 1 (to 0.001)."""
    if not isinstance(weights, Mapping):
        raise InvalidInput("weights must be an object of factor -> number",
                           details={"field": "weights", "factors": list(FACTORS)})
    unknown = sorted(set(weights) - set(FACTORS))
    missing = [f for f in FACTORS if f not in weights]
    if unknown or missing:
        raise InvalidInput("weights need exactly the factors " + ", ".join(FACTORS),
                           details={"field": "weights", "unknown": unknown, "missing": missing})
    clean: dict[str, float] = {}
    for name in FACTORS:
        value = weights[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or not 0 <= value <= 1:
            raise InvalidInput(f"weight {name!r} must be a number from 0 to 1",
                               details={"field": f"weights.{name}", "value": value})
        clean[name] = float(value)
    total = sum(clean.values())
    if abs(total - 1.0) > 1e-3:
        raise InvalidInput(f"weights must sum to 1, not {total:g}",
                           details={"field": "weights", "sum": round(total, 6)})
    return clean


# --- scoring candidates ----------------------------------------------------------------------


def score_sites(sites: Iterable[Site], *, province: str, needs: Mapping[str, int],
                stock: Mapping[tuple[str, int], int], load: Mapping[str, int],
                weights: Mapping[str, float]) -> list[Candidate]:
    """Every site scored and ranked: best total first, then fewer days, then code."""
    sites = list(sites)
    if not sites:
        return []
    days = {s.code: s.days_to(province) for s in sites}
    best = min(days.values())
    ranked = []
    for site in sites:
        available = {sku: stock.get((sku, site.id), 0) for sku in needs}
        allocated = int(load.get(site.code, 0))
        factors = {"stock": stock_coverage(needs, available),
                   "delivery": delivery_score(days[site.code], best),
                   "load": load_score(allocated, site.daily_capacity),
                   "error": error_score(site.error_rate)}
        total = sum(weights[f] * factors[f] for f in FACTORS)
        covers = all(available[sku] >= qty for sku, qty in needs.items())
        ranked.append(Candidate(code=site.code, warehouse_id=site.id, factors=factors,
                                total=total, covers=covers, days=days[site.code],
                                allocated_today=allocated))
    ranked.sort(key=lambda c: (-round(c.total, 9), c.days, c.code))
    return ranked
