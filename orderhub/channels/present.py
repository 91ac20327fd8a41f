"""JSON shapes of shops' channel state and pull runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orderhub.channels.models import PullRun
from orderhub.channels.sync import PullReport


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def pull_report_dict(report: PullReport) -> dict[str, Any]:
    s = report.stored
    return {"shop": report.shop, "outcome": report.outcome, "error": report.error,
            "window_start": _iso(report.window_start), "window_end": _iso(report.window_end),
            "windows": report.windows, "pages": report.pages, "requests": report.requests,
            "seen": s.seen, "created": s.created, "updated": s.updated, "unchanged": s.unchanged,
            "quarantined": s.quarantined, "retry_at": _iso(report.retry_at),
            "checkpoint": _iso(report.checkpoint)}


def pull_run_dict(run: PullRun) -> dict[str, Any]:
    return {"id": run.id, "trigger": run.trigger, "outcome": run.outcome, "error": run.error,
            "started_at": _iso(run.started_at), "finished_at": _iso(run.finished_at),
            "window_start": _iso(run.window_start), "window_end": _iso(run.window_end),
            "pages": run.pages, "requests": run.requests, "seen": run.seen,
            "created": run.created, "updated": run.updated, "unchanged": run.unchanged,
            "quarantined": run.quarantined}
