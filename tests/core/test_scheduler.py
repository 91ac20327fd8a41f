"""Scheduled jobs as rows: each due occurrence runs once, even with workers racing for it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from orderhub.core import scheduler, worker
from orderhub.core.db import make_engine, unit_of_work
from orderhub.core.errors import InvalidInput
from orderhub.core.models import ScheduledJob
from orderhub.core.settings import get_settings
from tests.conftest import TEST_DB_URL


def schedule(engine: Engine, **fields) -> None:  # noqa: ANN003
    with unit_of_work(engine) as session:
        scheduler.schedule(session, **fields)


def job(engine: Engine, name: str) -> ScheduledJob:
    with unit_of_work(engine) as session:
        return session.scalars(select(ScheduledJob).where(ScheduledJob.name == name)).one()


def counting_task(calls: list[dict]):  # noqa: ANN201
    def task(session: Session, **args) -> None:  # noqa: ANN003
        calls.append(args)
    return task


def test_interval_job_runs_once_per_due_occurrence(committed, fake_clock, register):
    calls: list[dict] = []
    register(None, counting_task(calls), task="test.pull")
    schedule(committed, name="pull-orders", task="test.pull", interval_seconds=60,
             args={"shop": "own-store"})

    assert scheduler.run_due_jobs(committed, worker_id="w") == 1  # due as soon as scheduled
    assert scheduler.run_due_jobs(committed, worker_id="w") == 0
    fake_clock.advance(59)
    assert scheduler.run_due_jobs(committed, worker_id="w") == 0
    fake_clock.advance(1)
    assert scheduler.run_due_jobs(committed, worker_id="w") == 1

    assert calls == [{"shop": "own-store"}] * 2
    row = job(committed, "pull-orders")
    assert (row.runs, row.last_status, row.locked_by, row.last_run_at) == (2, "ok", None, fake_clock.now)
    assert (row.next_run_at - fake_clock.now).total_seconds() == 60


def test_rescheduling_keeps_the_pending_occurrence_unless_timing_changes(committed, fake_clock):
    schedule(committed, name="sla", task="test.sla", interval_seconds=300)
    first = job(committed, "sla").next_run_at
    fake_clock.advance(10)
    schedule(committed, name="sla", task="test.sla", interval_seconds=300, args={"x": 1})
    assert job(committed, "sla").next_run_at == first and job(committed, "sla").args == {"x": 1}
    schedule(committed, name="sla", task="test.sla", cron="*/15 * * * *")
    assert job(committed, "sla").next_run_at == datetime(2026, 11, 23, 2, 15, tzinfo=timezone.utc)


def test_cron_is_read_in_the_seller_zone(committed, fake_clock):
    fake_clock.set(datetime(2026, 11, 23, 2, 30, tzinfo=timezone.utc))  # 10:30 in Shanghai
    schedule(committed, name="morning-report", task="test.report", cron="0 9 * * *")
    assert job(committed, "morning-report").next_run_at == datetime(2026, 11, 24, 1, 0,
                                                                    tzinfo=timezone.utc)
    after = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)
    assert scheduler.next_run(interval_seconds=None, cron="0 9 * * *", after=after) == \
        datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)
    assert scheduler.next_run(interval_seconds=None, cron="*/5 * * * *", after=after) == \
        datetime(2026, 11, 24, 1, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize("timing", [{}, {"interval_seconds": 60, "cron": "* * * * *"},
                                    {"interval_seconds": 0}, {"cron": "every day"}])
def test_bad_timing_is_refused(committed, timing):
    with pytest.raises(InvalidInput), unit_of_work(committed) as session:
        scheduler.schedule(session, name="bad", task="test.x", **timing)


def test_failing_job_records_the_error_and_is_rescheduled(committed, fake_clock, register):
    calls: list[dict] = []

    def broken(session: Session) -> None:
        calls.append({})
        session.add(ScheduledJob(name="written-by-broken", task="x", interval_seconds=1,
                                 next_run_at=fake_clock.now, args={}, runs=0))
        raise TimeoutError("platform API timed out")

    register(None, broken, task="test.broken")
    schedule(committed, name="pull", task="test.broken", interval_seconds=120)
    assert scheduler.run_due_jobs(committed, worker_id="w") == 1

    row = job(committed, "pull")
    assert (row.last_status, row.runs, row.locked_by, row.locked_until) == ("error", 0, None, None)
    assert "platform API timed out" in row.last_error
    assert (row.next_run_at - fake_clock.now).total_seconds() == 120
    with unit_of_work(committed) as session:  # the job's writes were rolled back
        assert session.scalar(select(ScheduledJob).where(ScheduledJob.name == "written-by-broken")) is None
    fake_clock.advance(120)
    assert scheduler.run_due_jobs(committed, worker_id="w") == 1 and len(calls) == 2


def test_unknown_task_is_recorded_not_a_crash(committed, fake_clock):
    schedule(committed, name="orphan", task="test.not-registered", cron="0 * * * *")
    fake_clock.advance(3600)
    assert scheduler.run_due_jobs(committed, worker_id="w") == 1
    row = job(committed, "orphan")
    assert row.last_status == "error" and "test.not-registered" in row.last_error
    assert row.next_run_at == datetime(2026, 11, 23, 4, 0, tzinfo=timezone.utc)


def test_disabled_and_leased_jobs_do_not_run(committed, fake_clock, register):
    calls: list[dict] = []
    register(None, counting_task(calls), task="test.count")
    schedule(committed, name="off", task="test.count", interval_seconds=60, enabled=False)
    schedule(committed, name="leased", task="test.count", interval_seconds=60)
    with unit_of_work(committed) as session:  # another worker holds "leased", lease still running
        leased = session.scalars(select(ScheduledJob).where(ScheduledJob.name == "leased")).one()
        leased.locked_by, leased.locked_until = "other", fake_clock.now + timedelta(hours=1)
    assert scheduler.run_due_jobs(committed, worker_id="w") == 0 and calls == []

    fake_clock.advance(3601)  # the other worker's lease ran out: the occurrence is due again
    assert scheduler.run_due_jobs(committed, worker_id="w") == 1 and len(calls) == 1


def race(engines: list[Engine]) -> list[int]:
    """run_due_jobs in one thread per engine, released at the same instant; what each ran."""
    barrier, ran = threading.Barrier(len(engines)), [0] * len(engines)

    def contend(n: int) -> None:
        barrier.wait()
        ran[n] = scheduler.run_due_jobs(engines[n], worker_id=f"racer-{n}")

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(len(engines))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return ran


def test_racing_workers_run_each_occurrence_once(committed, fake_clock, register):
    rounds, calls, lock = 5, [], threading.Lock()

    def slowish(session: Session) -> None:
        with lock:
            calls.append(fake_clock.now)
        threading.Event().wait(0.05)  # widen the window in which the other worker could step in

    register(None, slowish, task="test.race")
    schedule(committed, name="race", task="test.race", interval_seconds=60)
    engines = [make_engine(TEST_DB_URL, pool_size=2) for _ in range(2)]
    try:
        for _ in range(rounds):
            assert sorted(race(engines)) == [0, 1]
            fake_clock.advance(60)
    finally:
        for eng in engines:
            eng.dispose()
    assert len(calls) == rounds == job(committed, "race").runs


def test_burst_worker_runs_due_jobs_then_exits(committed, fake_clock, register):
    calls: list[dict] = []
    register(None, counting_task(calls), task="test.tick")
    schedule(committed, name="tick", task="test.tick", interval_seconds=30)
    worker.run(burst=True, engine=committed)
    worker.run(burst=True, engine=committed)
    assert len(calls) == 1
    assert job(committed, "tick").locked_by is None


def test_only_one_of_two_workers_that_saw_the_same_occurrence_wins_it(committed, fake_clock,
                                                                      register):
    calls: list[dict] = []
    register(None, counting_task(calls), task="test.once")
    schedule(committed, name="once", task="test.once", interval_seconds=60)
    [seen_by_a] = scheduler.due_jobs(committed)
    [seen_by_b] = scheduler.due_jobs(committed)

    assert scheduler.claim_job(committed, seen_by_a, worker_id="a")
    assert not scheduler.claim_job(committed, seen_by_b, worker_id="b")  # leased by a
    assert scheduler.run_due_jobs(committed, worker_id="b") == 0

    fake_clock.advance(get_settings().outbox_lease_seconds + 1)  # a died: its lease ran out
    assert scheduler.run_due_jobs(committed, worker_id="b") == 1 and len(calls) == 1
    assert not scheduler.claim_job(committed, seen_by_a, worker_id="a")  # that occurrence is past
