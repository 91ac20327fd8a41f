"""The logistics report (SPEC §8, issue 6 item 9): per carrier, per warehouse and per carrier ×
warehouse, over days in the seller's zone, the parcels shipped, delivered and their rate,
transit time (shipped → delivered: mean and median hours), tracking exceptions and whether the
tracking number reached the platform (write-back).

A read model like analytics: it reads the tracking, routing and outbox tables with a few grouped
SQL statements (the figures per carrier × warehouse cell, and the medians) instead of walking
orders in Python, so it stays fast at 100k parcels (bench/logistics_report_bench.py). See
docs/logistics_report.md for each figure's exact definition.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from orderhub.channels.tasks import SHIP_CONFIRM
from orderhub.core import clock
from orderhub.core.db import is_postgres
from orderhub.core.errors import InvalidInput
from orderhub.core.models import OutboxEvent
from orderhub.core.settings import get_settings
from orderhub.fulfilment.tracking.models import TrackedShipment
from orderhub.fulfilment.tracking.service import EXCEPTION_TOPIC
from orderhub.routing.models import RoutingDecision

Group = Literal["carrier", "warehouse", "both"]
GROUPS: tuple[str, ...] = ("carrier", "warehouse", "both")
DEFAULT_DAYS = 30
MAX_DAYS = 366
CONFIRMED, FAILED = "channel.ship_confirmed", "channel.ship_confirm_failed"


@dataclass(frozen=True)
class Period:
    """Whole days [first, last] in the seller's zone, and the UTC instants [start, end)."""

    first: date
    last: date
    zone: str
    start: datetime
    end: datetime


@dataclass
class Row:
    carrier: str | None  # None in the per-warehouse table and the total
    warehouse: str | None  # "" = no routing decision known; None = not grouped by warehouse
    shipped: int = 0
    delivered: int = 0
    exceptions: int = 0
    writeback_ok: int = 0
    writeback_failed: int = 0
    writeback_pending: int = 0
    avg_transit_hours: float | None = None
    median_transit_hours: float | None = None

    @property
    def delivered_rate(self) -> float | None:
        return _rate(self.delivered, self.shipped)

    @property
    def exception_rate(self) -> float | None:
        return _rate(self.exceptions, self.shipped)

    @property
    def writeback_rate(self) -> float | None:
        """Confirmed by the platform out of the parcels that had a platform to tell."""
        return _rate(self.writeback_ok, self.writeback_ok + self.writeback_failed + self.writeback_pending)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "delivered_rate": self.delivered_rate,
                "exception_rate": self.exception_rate, "writeback_rate": self.writeback_rate}


@dataclass
class Report:
    period: Period
    group: str
    rows: list[Row] = field(default_factory=list)
    total: Row = field(default_factory=lambda: Row(carrier=None, warehouse=None))


def period(start: str | date | None = None, end: str | date | None = None, *,
           zone: str | None = None, today: date | None = None) -> Period:
    """Days from `start` to `end` inclusive (YYYY-MM-DD, seller's zone); by default the last
    30 days up to today. Bad dates, a reversed or an over-long range are InvalidInput."""
    zone = zone or get_settings().timezone
    tz = ZoneInfo(zone)
    today = today or clock.now().astimezone(tz).date()
    last = _day(end, "to") if end not in (None, "") else today
    first = _day(start, "from") if start not in (None, "") else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidInput(f"the period starts ({first}) after it ends ({last})",
                           details={"from": str(first), "to": str(last)})
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(f"the period is longer than {MAX_DAYS} days", details={"from": str(first), "to": str(last)})
    start_at = datetime.combine(first, time.min, tzinfo=tz).astimezone(ZoneInfo("UTC"))
    end_at = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz).astimezone(ZoneInfo("UTC"))
    return Period(first=first, last=last, zone=zone, start=start_at, end=end_at)


def logistics_report(session: Session, *, when: Period, group: str = "carrier") -> Report:
    """Rows of one grouping (carrier, warehouse or both), most parcels first, and the total."""
    return logistics_reports(session, when=when, groups=(group,))[group]


def logistics_reports(session: Session, *, when: Period,
                      groups: tuple[str, ...] = GROUPS) -> dict[str, Report]:
    """Several groupings from one statement: the figures per carrier × warehouse cell (rolled
    up here: a few dozen cells, never the parcels) and the medians, which do not roll up."""
    for group in groups:
        if group not in GROUPS:
            raise InvalidInput(f"unknown grouping {group!r}; one of {list(GROUPS)}", details={"field": "group"})
    _plan_for_reporting(session)
    cells, medians = _figures(session, when, (*groups, "total"))
    reports = {}
    for group in groups:
        rows = _roll_up(cells, KEYS[group], medians, group)
        total = _roll_up(cells, (), medians, "total")
        reports[group] = Report(period=when, group=group,
                                rows=sorted(rows, key=lambda r: (-r.shipped, r.carrier or "", r.warehouse or "")),
                                total=total[0] if total else Row(carrier=None, warehouse=None))
    return reports


KEYS: dict[str, tuple[str, ...]] = {"carrier": ("carrier",), "warehouse": ("warehouse",),
                                    "both": ("carrier", "warehouse"), "total": ()}


# --- the SQL ----------------------------------------------------------------------------------


def _plan_for_reporting(session: Session) -> None:
    """PostgreSQL's JIT compiles these plans for longer than they run (its row estimates of the
    text join to the outbox are far off): 2.2 of 5 s in the bench. Off for this transaction."""
    if is_postgres(session):
        session.execute(text("SET LOCAL jit = off"))


def _in_period(when: Period) -> ColumnElement[bool]:
    T = TrackedShipment
    return and_(T.shipped_at >= when.start, T.shipped_at < when.end)


def _parcels(session: Session, when: Period) -> Select:
    """One row per parcel shipped in the period with what the figures need. The warehouse is
    the order's latest routing decision, one index probe per parcel (order_id, id)."""
    T, D = TrackedShipment, RoutingDecision
    warehouse = (select(D.warehouse_code).where(D.order_id == T.order_id)
                 .order_by(D.id.desc()).limit(1).correlate(T).scalar_subquery())
    events = _order_events(when)
    transit = case((T.delivered_at.is_not(None), _seconds(session, T.shipped_at, T.delivered_at)))
    return (select(T.carrier.label("carrier"), func.coalesce(warehouse, "").label("warehouse"),
                   case((T.delivered_at.is_not(None), 1), else_=0).label("delivered"),
                   transit.label("transit"),
                   case((or_(T.exception_at.is_not(None), T.stale_alerted_at.is_not(None),
                             func.coalesce(events.c.exception, 0) == 1), 1), else_=0).label("exception"),
                   _writeback(events).label("writeback"))
            .select_from(T)
            .outerjoin(events, events.c.order_key == cast(T.order_id, String))
            .where(_in_period(when)))


def _order_events(when: Period) -> Any:
    """Per order shipped in the period: write-back confirmed / failed / still pending, and any
    tracking exception (the parcel's 48 h no-scan mark is cleared by the next scan; the event
    stays). Only those orders' events are read, however long the outbox's history."""
    E, T = OutboxEvent, TrackedShipment

    def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.max(case((condition, 1), else_=0))

    orders = select(cast(T.order_id, String)).where(_in_period(when))
    return (select(E.aggregate_id.label("order_key"),
                   flag(E.topic == CONFIRMED).label("ok"),
                   flag(or_(E.topic == FAILED, and_(E.topic == SHIP_CONFIRM, E.status == "dead"))).label("failed"),
                   flag(and_(E.topic == SHIP_CONFIRM, E.status.in_(("pending", "processing")))).label("pending"),
                   flag(E.topic == EXCEPTION_TOPIC).label("exception"))
            .where(E.aggregate_type == "order", E.aggregate_id.in_(orders),
                   E.topic.in_((CONFIRMED, FAILED, SHIP_CONFIRM, EXCEPTION_TOPIC)))
            .group_by(E.aggregate_id).subquery("order_events"))


def _writeback(events: Any) -> ColumnElement[str]:
    """ok wins over an earlier failure (a person re-sent it); a parcel whose order had no
    platform to tell (own store, spreadsheet: request done, no answer) is "none"."""
    return case((events.c.ok == 1, "ok"), (events.c.failed == 1, "failed"),
                (events.c.pending == 1, "pending"), else_="none")


def _seconds(session: Session, start: Any, end: Any) -> ColumnElement[float]:
    if is_postgres(session):
        return extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _figures(session: Session, when: Period,
             groupings: tuple[str, ...]) -> tuple[list[dict[str, Any]], dict[tuple, float]]:
    """One statement over the period's parcels (a CTE, computed once):
    * the figures per carrier × warehouse cell as sums that roll up ("cell" rows);
    * the median transit per group of each grouping, which does not roll up: the delivered
      parcels numbered by transit within their group, the middle one (odd count) or two (even)
      averaged — window functions both databases have. One UNION ALL branch each."""
    parcels = _parcels(session, when).cte("parcels")
    p = parcels.c

    def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((condition, 1), else_=0))

    cells = (select(literal("cell").label("grouping"), p.carrier, p.warehouse,
                    func.count().label("shipped"), func.sum(p.delivered).label("delivered"),
                    func.sum(p.exception).label("exceptions"),
                    count_if(p.writeback == "ok").label("writeback_ok"),
                    count_if(p.writeback == "failed").label("writeback_failed"),
                    count_if(p.writeback == "pending").label("writeback_pending"),
                    func.sum(p.transit).label("transit_sum"), cast(null(), Float).label("median"))
             .group_by(p.carrier, p.warehouse))
    branches = [cells, *(_median_branch(parcels, g) for g in dict.fromkeys(groupings))]
    found, medians = [], {}
    for r in session.execute(union_all(*branches)).mappings():
        if r["grouping"] == "cell":
            found.append(dict(r))
        elif r["median"] is not None:
            medians[(r["grouping"], *(r[k] for k in KEYS[r["grouping"]]))] = r["median"]
    return found, medians


def _median_branch(parcels: Any, grouping: str) -> Select:
    keys = KEYS[grouping]
    cols = [parcels.c[k] for k in keys]
    ranked = (select(*cols, parcels.c.transit,
                     func.row_number().over(partition_by=cols or None, order_by=parcels.c.transit).label("rn"),
                     func.count().over(partition_by=cols or None).label("n"))
              .where(parcels.c.transit.is_not(None)).subquery(f"ranked_{grouping}"))
    middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
    labels = [ranked.c[k].label(k) if k in keys else cast(null(), String).label(k) for k in ("carrier", "warehouse")]
    nothing = [cast(null(), Integer).label(name) for name in SUMMED if name != "transit_sum"]
    branch = select(literal(grouping).label("grouping"), *labels, *nothing,
                    cast(null(), Float).label("transit_sum"),
                    cast(func.avg(ranked.c.transit), Float).label("median")).where(middle)
    return branch.group_by(*[ranked.c[k] for k in keys]) if keys else branch


def _roll_up(cells: list[dict[str, Any]], keys: tuple[str, ...], medians: dict[tuple, float],
             grouping: str) -> list[Row]:
    sums: dict[tuple, dict[str, float]] = {}
    for cell in cells:
        key = tuple(cell[k] for k in keys)
        into = sums.setdefault(key, dict.fromkeys(SUMMED, 0))
        for name in SUMMED:
            into[name] += cell[name] or 0
    rows = []
    for key, s in sums.items():
        named = dict(zip(keys, key, strict=True))
        rows.append(Row(carrier=named.get("carrier"), warehouse=named.get("warehouse"),
                        **{name: int(s[name]) for name in SUMMED if name != "transit_sum"},
                        avg_transit_hours=_hours(s["transit_sum"] / s["delivered"]) if s["delivered"] else None,
                        median_transit_hours=_hours(medians.get((grouping, *key)))))
    return rows


SUMMED = ("shipped", "delivered", "exceptions", "writeback_ok", "writeback_failed", "writeback_pending",
          "transit_sum")


def _hours(seconds: Any) -> float | None:
    return None if seconds is None else round(float(seconds) / 3600, 1)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _day(value: str | date, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{name} must be a date like 2026-11-01, not {value!r}",
                           details={"field": name}) from None
