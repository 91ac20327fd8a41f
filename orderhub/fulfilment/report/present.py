"""The logistics report as JSON and as CSV (UTF-8 with a BOM, so Excel shows Chinese right)."""

from __future__ import annotations

import csv
import io
from typing import Any

from orderhub.fulfilment.report.service import Report, Row

CSV_COLUMNS = ("carrier", "warehouse", "shipped", "delivered", "delivered_rate", "avg_transit_hours",
               "median_transit_hours", "exceptions", "exception_rate", "writeback_ok",
               "writeback_failed", "writeback_pending", "writeback_rate")


def report_dict(report: Report) -> dict[str, Any]:
    p = report.period
    return {"from": p.first.isoformat(), "to": p.last.isoformat(), "zone": p.zone,
            "start": p.start.isoformat(), "end": p.end.isoformat(), "group": report.group,
            "rows": [r.as_dict() for r in report.rows], "total": report.total.as_dict()}


def to_csv(report: Report) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in [*report.rows, _total(report.total)]:
        values = row.as_dict()
        writer.writerow(["" if values[c] is None else values[c] for c in CSV_COLUMNS])
    return out.getvalue()


def _total(row: Row) -> Row:
    row.carrier = row.carrier or "合计 total"
    return row
