"""The logistics report's figures against a hand-computed week (tests/fulfilment/report/data.py),
its period rules (seller's zone, edges, defaults) and its refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from orderhub.core.errors import InvalidInput
from orderhub.fulfilment.report.present import to_csv
from orderhub.fulfilment.report.service import Row, logistics_report, period
from tests.fulfilment.report.data import END, EXPECTED, FIRST, LAST, START, build_week


def figures(row: Row) -> dict[str, object]:
    values = row.as_dict()
    return {k: values[k] for k in EXPECTED["total"]}


@pytest.mark.parametrize("group", ["carrier", "warehouse", "both"])
def test_figures_per_grouping_match_the_hand_computed_week(session: Session, group: str) -> None:
    build_week(session)
    report = logistics_report(session, when=period(FIRST, LAST), group=group)
    got = {(r.carrier, r.warehouse): figures(r) for r in report.rows}
    assert got == EXPECTED[group]
    assert figures(report.total) == EXPECTED["total"]
    assert [r.shipped for r in report.rows] == sorted((r.shipped for r in report.rows), reverse=True)


def test_period_is_whole_days_in_the_sellers_zone() -> None:
    when = period(FIRST, LAST, zone="Asia/Shanghai")
    assert (when.start, when.end) == (START, END)  # 00:00 Beijing is 16:00 UTC the day before
    utc = period(FIRST, LAST, zone="UTC")
    assert utc.start == datetime(2026, 11, 1, tzinfo=UTC) and utc.end == datetime(2026, 11, 8, tzinfo=UTC)


def test_default_period_is_the_last_30_days_up_to_today() -> None:
    when = period(None, None, zone="Asia/Shanghai", today=date(2026, 11, 23))
    assert (when.first, when.last) == (date(2026, 10, 25), date(2026, 11, 23))
    only_to = period("", "2026-11-07", zone="Asia/Shanghai")
    assert only_to.first == date(2026, 10, 9)


def test_range_edges_a_single_day(session: Session) -> None:
    build_week(session)
    first_day = logistics_report(session, when=period(FIRST, FIRST), group="carrier")
    # only E1, shipped at exactly 00:00 Beijing on the 1st; E3 a second earlier is the 31st
    assert [(r.carrier, r.shipped) for r in first_day.rows] == [("ZTO", 1)]
    next_day = logistics_report(session, when=period("2026-11-08", "2026-11-08"), group="carrier")
    assert [(r.carrier, r.shipped, r.delivered) for r in next_day.rows] == [("ZTO", 1, 1)]  # E2


def test_empty_range_gives_zeros_not_errors(session: Session) -> None:
    build_week(session)
    for group in ("carrier", "warehouse", "both"):
        report = logistics_report(session, when=period("2025-01-01", "2025-01-31"), group=group)
        assert report.rows == []
        t = report.total
        assert (t.shipped, t.delivered, t.exceptions, t.writeback_ok) == (0, 0, 0, 0)
        assert t.delivered_rate is None and t.avg_transit_hours is None and t.writeback_rate is None
    assert to_csv(report).count("\n") == 2  # header and the total line


@pytest.mark.parametrize(("start", "end", "message"), [
    ("2026-13-01", None, "from must be a date like 2026-11-01, not '2026-13-01'"),
    ("yesterday", None, "from must be a date like"),
    (None, "2026/11/07", "to must be a date like"),
    ("2026-11-08", "2026-11-07", r"the period starts \(2026-11-08\) after it ends \(2026-11-07\)"),
    ("2024-01-01", "2026-01-01", "the period is longer than 366 days"),
])
def test_bad_periods_are_clear_errors(start: str | None, end: str | None, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        period(start, end)


def test_unknown_grouping_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput, match=r"unknown grouping 'shop'; one of \['carrier', 'warehouse', 'both'\]"):
        logistics_report(session, when=period(FIRST, LAST), group="shop")


def test_csv_has_bom_header_rows_and_total(session: Session) -> None:
    build_week(session)
    text = to_csv(logistics_report(session, when=period(FIRST, LAST), group="both"))
    assert text.startswith("\ufeffcarrier,warehouse,shipped,delivered,delivered_rate")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[1].startswith("ZTO,HZ,4,4,1.0,34.5,33.0,1,0.25,3,1,0,0.75")
    assert lines[-1].startswith("合计 total,,7,5,")
    assert len(lines) == 1 + 4 + 1
