"""Scheduled jobs as rows (pulls, TTL expiry, SLA checks), so many workers never run one twice.

A job is due when enabled and next_run_at <= now. A worker owns an occurrence only if it wins a
conditional UPDATE that also checks the next_run_at it saw; the task then runs in a transaction
that moves next_run_at on, guarded by ``locked_by = me``. A worker that dies mid-job leaves a
lease that runs out (settings.outbox_lease_seconds), after which the occurrence is due again.

Cron expressions are read in the seller's zone (settings.timezone): "0 9 * * *" is 09:00 Beijing
time. Interval jobs are due as soon as they are first scheduled, then every N seconds.
"""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy import Engine, Row, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orderhub.core import clock, outbox
from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput
from orderhub.core.models import ScheduledJob
from orderhub.core.settings import get_settings

log = logging.getLogger("orderhub.scheduler")

JOBS = ScheduledJob.__table__
_MAX_ERROR_CHARS = 4000


class LeaseLost(Exception):
    """Our lease on a row (job or event) ran out and another worker took it over: leave it."""


class UnknownTask(LookupError):
    """The job names a task no loaded module registered (a plugin missing from this worker?)."""


# --- defining jobs --------------------------------------------------------------------------


def schedule(session: Session, *, name: str, task: str, interval_seconds: int | None = None,
             cron: str | None = None, args: dict[str, Any] | None = None,
             enabled: bool = True) -> ScheduledJob:
    """Create or update the job called `name`. Calling it again with the same timing keeps the
    pending occurrence, so every process may declare its jobs at start-up."""
    _check_timing(interval_seconds, cron)
    job = _find(session, name)
    if job is None:
        job = _insert(session, name=name, task=task, interval_seconds=interval_seconds, cron=cron,
                      args=args or {}, enabled=enabled)
        if job is not None:
            return job
        job = _find(session, name)  # another process inserted it first: update that one
        assert job is not None
    if (job.interval_seconds, job.cron) != (interval_seconds, cron):
        job.interval_seconds, job.cron = interval_seconds, cron
        job.next_run_at = first_run(interval_seconds=interval_seconds, cron=cron, now=clock.now())
    job.task, job.args, job.enabled = task, args or {}, enabled
    session.flush()
    return job


def _check_timing(interval_seconds: int | None, cron: str | None) -> None:
    if (interval_seconds is None) == (cron is None):
        raise InvalidInput("give exactly one of interval_seconds and cron",
                           details={"interval_seconds": interval_seconds, "cron": cron})
    if interval_seconds is not None and interval_seconds <= 0:
        raise InvalidInput("interval_seconds must be positive",
                           details={"interval_seconds": interval_seconds})
    if cron is not None and not croniter.is_valid(cron):
        raise InvalidInput(f"not a cron expression: {cron!r}", details={"cron": cron})


def _find(session: Session, name: str) -> ScheduledJob | None:
    return session.scalar(select(ScheduledJob).where(ScheduledJob.name == name).with_for_update())


def _insert(session: Session, **fields: Any) -> ScheduledJob | None:
    """None if a concurrent insert of the same name won (unique name)."""
    job = ScheduledJob(**fields, runs=0,
                       next_run_at=first_run(interval_seconds=fields["interval_seconds"],
                                             cron=fields["cron"], now=clock.now()))
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        return None
    return job


def first_run(*, interval_seconds: int | None, cron: str | None, now: datetime) -> datetime:
    return now if cron is None else next_run(interval_seconds=interval_seconds, cron=cron, after=now)


def next_run(*, interval_seconds: int | None, cron: str | None, after: datetime) -> datetime:
    """The occurrence after `after`, in UTC."""
    if cron is None:
        assert interval_seconds is not None
        return after + timedelta(seconds=interval_seconds)
    local = after.astimezone(ZoneInfo(get_settings().timezone))
    return croniter(cron, local).get_next(datetime).astimezone(UTC)


# --- running jobs ---------------------------------------------------------------------------


def run_due_jobs(engine: Engine, *, worker_id: str) -> int:
    """Run every due occurrence this worker wins; returns how many it ran (ok or failed)."""
    ran = 0
    for job in due_jobs(engine):
        if claim_job(engine, job, worker_id=worker_id):
            _run(engine, job, worker_id)
            ran += 1
    return ran


def due_jobs(engine: Engine) -> list[Row[Any]]:
    """Enabled jobs whose next_run_at has come and that no live lease holds, oldest first."""
    now = clock.now()
    stmt = (select(JOBS.c.id, JOBS.c.name, JOBS.c.task, JOBS.c.interval_seconds, JOBS.c.cron,
                   JOBS.c.args, JOBS.c.next_run_at)
            .where(JOBS.c.enabled.is_(True), JOBS.c.next_run_at <= now, _unleased(now))
            .order_by(JOBS.c.next_run_at, JOBS.c.id))
    with engine.connect() as conn:
        return list(conn.execute(stmt).all())


def _unleased(now: datetime):
    return or_(JOBS.c.locked_until.is_(None), JOBS.c.locked_until < now)


def claim_job(engine: Engine, job: Row[Any], *, worker_id: str) -> bool:
    """Win the occurrence `job` (a due_jobs row) was read at: True for one worker only — a
    worker whose view is stale (job run since, or leased) changes no row."""
    now = clock.now()
    lease = timedelta(seconds=get_settings().outbox_lease_seconds)
    stmt = (update(JOBS)
            .where(JOBS.c.id == job.id, JOBS.c.next_run_at == job.next_run_at,
                   JOBS.c.enabled.is_(True), _unleased(now))
            .values(locked_by=worker_id, locked_until=now + lease))
    with engine.begin() as conn:
        return conn.execute(stmt).rowcount == 1


def _run(engine: Engine, job: Row[Any], worker_id: str) -> None:
    try:
        fn = outbox.get_task(job.task)
        if fn is None:
            raise UnknownTask(f"no task named {job.task!r} is registered in this worker")
        if getattr(fn, "own_transactions", False):
            run_at = fn(engine, **(job.args or {}))
            with unit_of_work(engine) as session:
                _finish(session, job, worker_id, run_at if isinstance(run_at, datetime) else None)
            return
        with unit_of_work(engine) as session:
            # First, so the row stays locked (PostgreSQL) while the task runs, and the task's
            # effects roll back with it if our lease was lost.
            _finish(session, job, worker_id)
            fn(session, **(job.args or {}))
    except LeaseLost:
        log.warning("job %s: lease lost to another worker; its run was rolled back", job.name)
    except Exception as exc:  # noqa: BLE001 — a failing job is recorded, never a crashed worker
        _record_failure(engine, job, worker_id, exc)


def _finish(session: Session, job: Row[Any], worker_id: str, run_at: datetime | None = None) -> None:
    """Move the job on; `run_at` (a task's backoff) replaces the regular next occurrence."""
    now = clock.now()
    result = session.execute(
        update(JOBS).where(JOBS.c.id == job.id, JOBS.c.locked_by == worker_id)
        .values(next_run_at=run_at or next_run(interval_seconds=job.interval_seconds, cron=job.cron,
                                               after=now),
                last_run_at=now, runs=JOBS.c.runs + 1, last_status="ok", last_error=None,
                locked_by=None, locked_until=None))
    if result.rowcount != 1:
        raise LeaseLost(job.name)


def _record_failure(engine: Engine, job: Row[Any], worker_id: str, exc: BaseException) -> None:
    now = clock.now()
    error = short_traceback(exc)
    with engine.begin() as conn:
        conn.execute(
            update(JOBS).where(JOBS.c.id == job.id, JOBS.c.locked_by == worker_id)
            .values(next_run_at=next_run(interval_seconds=job.interval_seconds, cron=job.cron,
                                         after=now),
                    last_run_at=now, last_status="error", last_error=error, locked_by=None,
                    locked_until=None))
    log.error("job %s (%s) failed: %s", job.name, job.task, one_line(exc))


def short_traceback(exc: BaseException) -> str:
    """The exception and its innermost frames: enough to act on, bounded in size for the row."""
    return "".join(traceback.format_exception(exc, limit=-3))[-_MAX_ERROR_CHARS:]


def one_line(exc: BaseException) -> str:
    return traceback.format_exception_only(exc)[-1].strip()
