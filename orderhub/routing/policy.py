"""Choosing where an order ships from (SPEC §5): plain data in, a Plan out, no database.

In this order:
1. undecidable (a line without an internal SKU, an SKU the catalogue does not know, no province)
   -> manual queue;
2. the warehouse a rule put on the order (attributes["warehouse"]) if it can cover the order;
3. region rules by priority: the first matching rule whose warehouse can cover the order;
4. no active warehouse serves the province -> manual queue;
5. the best-scoring candidate that covers the order (the others are fallbacks, in rank order,
   for when a reservation is refused by a concurrent order);
6. split over several warehouses, whole lines each, if allowed;
7. transfer into the best candidate, when stock elsewhere or in transit covers what it lacks,
   with a promised date;
8. backorder.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from orderhub.routing.scoring import (
    DEFAULT_WEIGHTS,
    Candidate,
    Site,
    province_key,
    score_sites,
)

MANUAL_REASONS = ("unmapped_sku", "unknown_sku", "no_province", "no_warehouse")
SINGLE_POLICIES = ("rule", "region_rule", "score", "manual_pick")


@dataclass(frozen=True)
class RegionRule:
    id: int
    priority: int
    provinces: tuple[str, ...]
    warehouse_code: str
    enabled: bool = True
    name: str = ""

    def matches(self, province: str) -> bool:
        key = province_key(province)
        return self.enabled and bool(key) and key in {province_key(p) for p in self.provinces}


@dataclass(frozen=True)
class Line:
    """An order line: its internal SKU (None = unmapped) and the units it needs once bundles are
    expanded into their components."""

    line_no: int
    sku: str | None
    quantity: int
    needs: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Situation:
    province: str
    lines: Sequence[Line]
    sites: Sequence[Site]  # active warehouses
    stock: Mapping[tuple[str, int], int]  # (sku, warehouse id) -> available
    today: date
    in_transit: Mapping[tuple[str, int], tuple[int, date | None]] = field(default_factory=dict)
    load: Mapping[str, int] = field(default_factory=dict)  # code -> orders allocated today
    rules: Sequence[RegionRule] = ()
    rule_warehouse: str | None = None
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    allow_split: bool = False
    transfer_days: int = 2
    unknown_skus: Sequence[str] = ()


@dataclass(frozen=True)
class Shipment:
    """What to reserve in one warehouse: order-level (sku, quantity), bundles not expanded."""

    warehouse: str
    warehouse_id: int
    lines: tuple[tuple[str, int], ...]

    def as_dict(self) -> dict[str, Any]:
        return {"warehouse": self.warehouse, "lines": [list(l) for l in self.lines]}


@dataclass(frozen=True)
class Move:
    """A unit source for a transfer: from another warehouse's stock or from stock in transit."""

    sku: str
    quantity: int
    source: str  # warehouse code
    in_transit: bool
    ready: date

    def as_dict(self) -> dict[str, Any]:
        return {"sku": self.sku, "quantity": self.quantity, "from": self.source,
                "in_transit": self.in_transit, "ready": self.ready.isoformat()}


@dataclass(frozen=True)
class Plan:
    policy: str  # rule | region_rule | score | split | transfer | backorder | manual
    reason: str
    warehouse: str | None = None  # where it ships from (the destination of a transfer)
    shipments: tuple[Shipment, ...] = ()
    fallbacks: tuple[Shipment, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    moves: tuple[Move, ...] = ()
    promised_date: date | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def reserves(self) -> bool:
        return bool(self.shipments)


def merged_lines(lines: Sequence[Line]) -> tuple[tuple[str, int], ...]:
    out: dict[str, int] = defaultdict(int)
    for line in lines:
        if line.sku is not None:
            out[line.sku] += line.quantity
    return tuple(sorted(out.items()))


def merged_needs(lines: Sequence[Line]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for line in lines:
        for sku, qty in line.needs.items():
            out[sku] += qty
    return dict(sorted(out.items()))


def decide(s: Situation) -> Plan:
    unmapped = [l.line_no for l in s.lines if l.sku is None]
    if unmapped:
        return Plan("manual", "unmapped_sku", details={"lines": unmapped})
    if s.unknown_skus:
        return Plan("manual", "unknown_sku", details={"skus": sorted(s.unknown_skus)})
    if not province_key(s.province):
        return Plan("manual", "no_province")
    needs = merged_needs(s.lines)
    lines = merged_lines(s.lines)
    by_code = {site.code: site for site in s.sites}
    serving = [site for site in s.sites if site.serves_province(s.province)]
    matching = sorted((r for r in s.rules if r.matches(s.province)), key=lambda r: (r.priority, r.id))
    named = [s.rule_warehouse, *(r.warehouse_code for r in matching)]
    extra = [by_code[c] for c in dict.fromkeys(named) if c in by_code and by_code[c] not in serving]
    ranked = score_sites([*serving, *extra], province=s.province, needs=needs, stock=s.stock,
                         load=s.load, weights=s.weights)
    scored = {c.code: c for c in ranked}
    serving_codes = {site.code for site in serving}
    covering = [c for c in ranked if c.covers and c.code in serving_codes]
    notes: dict[str, Any] = {}

    def single(policy: str, reason: str, chosen: Candidate, **details: Any) -> Plan:
        rest = [c for c in covering if c.code != chosen.code]
        return Plan(policy, reason, warehouse=chosen.code,
                    shipments=(Shipment(chosen.code, chosen.warehouse_id, lines),),
                    fallbacks=tuple(Shipment(c.code, c.warehouse_id, lines) for c in rest),
                    candidates=tuple(ranked), details={**notes, **details})

    if s.rule_warehouse:
        chosen = scored.get(s.rule_warehouse)
        if chosen is not None and chosen.covers:
            return single("rule", "rule_warehouse", chosen)
        notes["rule_warehouse"] = {"warehouse": s.rule_warehouse,
                                   "why": "cannot_cover" if chosen else "unknown_or_inactive"}
    for rule in matching:
        chosen = scored.get(rule.warehouse_code)
        if chosen is not None and chosen.covers:
            return single("region_rule", "region_rule", chosen, rule_id=rule.id, rule=rule.name)
    if matching:
        notes["region_rules_passed"] = [r.id for r in matching]
    if not serving:
        return Plan("manual", "no_warehouse", candidates=tuple(ranked),
                    details={**notes, "province": s.province})
    if covering:
        return single("score", "best_score", covering[0])
    in_pool = [c for c in ranked if c.code in serving_codes]
    if s.allow_split:
        split = _split(s, in_pool, by_code)
        if split is not None:
            return Plan("split", "split", warehouse=split[0].warehouse, shipments=split,
                        candidates=tuple(ranked), details=notes)
    return _transfer(s, in_pool, ranked, by_code, needs, notes) or Plan(
        "backorder", "backorder", candidates=tuple(ranked), details=notes)


def _split(s: Situation, ranked: list[Candidate],
           by_code: Mapping[str, Site]) -> tuple[Shipment, ...] | None:
    """Greedy set cover over whole lines: each round the warehouse that can take the most
    remaining units gets them (ties to the better score), until every line has a warehouse."""
    left = {key: qty for key, qty in s.stock.items()}
    todo = list(s.lines)
    shipments: list[Shipment] = []
    while todo:
        best: tuple[int, Candidate, list[Line]] | None = None
        for cand in ranked:
            if any(sh.warehouse == cand.code for sh in shipments):
                continue
            trial = dict(left)
            taken = []
            for line in todo:
                if all(trial.get((sku, cand.warehouse_id), 0) >= q for sku, q in line.needs.items()):
                    for sku, q in line.needs.items():
                        trial[(sku, cand.warehouse_id)] = trial.get((sku, cand.warehouse_id), 0) - q
                    taken.append(line)
            units = sum(sum(line.needs.values()) for line in taken)
            if taken and (best is None or units > best[0]):
                best = (units, cand, taken)
        if best is None:
            return None
        _, cand, taken = best
        for line in taken:
            for sku, q in line.needs.items():
                left[(sku, cand.warehouse_id)] = left.get((sku, cand.warehouse_id), 0) - q
        todo = [line for line in todo if line not in taken]
        shipments.append(Shipment(cand.code, cand.warehouse_id, merged_lines(taken)))
    return tuple(shipments) if len(shipments) > 1 else None


def _transfer(s: Situation, serving: list[Candidate], ranked: list[Candidate],
              by_code: Mapping[str, Site], needs: Mapping[str, int],
              notes: Mapping[str, Any]) -> Plan | None:
    """Bring what the best candidate lacks from other warehouses (ready after transfer_days) or
    from stock in transit (ready when expected); earliest-ready sources first."""
    if not serving:
        return None
    dest = serving[0]
    site = by_code[dest.code]
    lead = timedelta(days=max(s.transfer_days, 0))
    moves: list[Move] = []
    for sku, need in needs.items():
        missing = need - max(s.stock.get((sku, dest.warehouse_id), 0), 0)
        if missing <= 0:
            continue
        sources: list[tuple[date, int, str, bool]] = []
        for other in s.sites:
            if other.code != dest.code and s.stock.get((sku, other.id), 0) > 0:
                sources.append((s.today + lead, s.stock[(sku, other.id)], other.code, False))
            qty, expected = s.in_transit.get((sku, other.id), (0, None))
            if qty > 0:
                arrives = max(expected or s.today + lead, s.today)
                ready = arrives if other.code == dest.code else arrives + lead
                sources.append((ready, qty, other.code, True))
        sources.sort(key=lambda src: (src[0], -src[1], src[2], src[3]))
        for ready, qty, code, transit in sources:
            if missing <= 0:
                break
            take = min(qty, missing)
            moves.append(Move(sku=sku, quantity=take, source=code, in_transit=transit, ready=ready))
            missing -= take
        if missing > 0:
            return None
    if not moves:
        return None
    promised = max(m.ready for m in moves) + timedelta(days=site.days_to(s.province))
    return Plan("transfer", "transfer", warehouse=dest.code, candidates=tuple(ranked),
                moves=tuple(moves), promised_date=promised, details=dict(notes))
