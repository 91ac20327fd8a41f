"""Warnings at 75 % and breaches at the deadline, each announced exactly once: by the scan job in
the worker (fake clock), by two worker processes at once, and after a worker restart."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select, update

from orderhub.core import clock
from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent, ScheduledJob
from orderhub.core.scheduler import schedule
from orderhub.orders import lifecycle as lc
from orderhub.sla import tasks
from orderhub.sla.models import OrderSla
from tests.sla.helpers import drain, events, install_defaults, move, new_paid_order
from tests.support.processes import finish, start_worker

SLA = OrderSla.__table__


def _declare_scan() -> None:
    with unit_of_work() as session:
        tasks.ensure_jobs(session)


def test_warning_at_75_percent_then_breach_at_the_deadline(committed, fake_clock) -> None:
    install_defaults()
    _declare_scan()
    order_id, order_no = new_paid_order()  # accept: 4 h, warn after 3 h
    drain(committed)

    fake_clock.advance(3 * 3600 - 1)
    drain(committed)
    assert events("sla.warning") == []

    fake_clock.advance(15)
    drain(committed)
    [warning] = events("sla.warning")
    assert warning == {"order_id": order_id, "order_no": order_no, "stage": "accept",
                       "deadline": "2026-11-23T06:00:00+00:00", "person_id": None,
                       "team_id": None, "severity": "warning"}
    assert events("sla.breached") == []

    fake_clock.advance(3600 - 15)  # 05:59:59
    drain(committed)
    assert events("sla.breached") == []
    fake_clock.advance(15)
    drain(committed)
    [breach] = events("sla.breached")
    assert breach["severity"] == "critical" and breach["stage"] == "accept"

    for _ in range(3):  # later scans find nothing new
        fake_clock.advance(60)
        drain(committed)
    assert (len(events("sla.warning")), len(events("sla.breached"))) == (1, 1)


def test_the_next_stage_gets_its_own_warning(committed, fake_clock) -> None:
    install_defaults()
    _declare_scan()
    _, order_no = new_paid_order()
    drain(committed)
    fake_clock.advance(3 * 3600 + 60)
    drain(committed)
    move(order_no, lc.ALLOCATED)  # leaves accept after its warning, before the breach
    drain(committed)
    fake_clock.advance(90 * 60)  # print: 2 h, warned after 90 min
    drain(committed)
    fake_clock.advance(30 * 60)
    drain(committed)
    assert [(e["stage"], e["severity"]) for e in events("sla.warning") + events("sla.breached")] \
        == [("accept", "warning"), ("print", "warning"), ("print", "critical")]


def test_a_breach_found_late_fires_alone(committed, fake_clock) -> None:
    """The workers were down through warning and deadline: one breach, no stale warning."""
    install_defaults()
    _declare_scan()
    new_paid_order()
    drain(committed)
    fake_clock.advance(5 * 3600)
    drain(committed)
    assert (len(events("sla.warning")), len(events("sla.breached"))) == (0, 1)


# --- real worker processes against PostgreSQL ------------------------------------------------


def _orders_with_due_rows(engine: Engine, count: int) -> tuple[list[int], list[int]]:
    """`count` orders whose accept stage is past its warning; the first half also past its
    deadline. Returns (warn-only ids, breached ids)."""
    ids = [new_paid_order()[0] for _ in range(count)]
    now = clock.now()
    rows = [{"order_id": oid, "stage": "accept", "started_at": now - timedelta(hours=4),
             "deadline": now - timedelta(minutes=1) if n % 2 == 0 else now + timedelta(hours=1),
             "warn_at": now - timedelta(hours=1), "late": False, "policy_note": "test",
             "last_event_id": 10**12} for n, oid in enumerate(ids)]
    with engine.begin() as conn:
        conn.execute(OutboxEvent.__table__.delete())
        conn.execute(SLA.insert(), rows)
    return ids[1::2], ids[0::2]


def _scan_jobs_due(names: list[str]) -> None:
    with unit_of_work() as session:
        for name in names:
            schedule(session, name=name, task=tasks.SCAN_TASK, interval_seconds=15)
        session.execute(update(ScheduledJob).where(ScheduledJob.name.in_(names))
                        .values(next_run_at=clock.now() - timedelta(seconds=1)))


def _fired(topic: str) -> list[int]:
    with unit_of_work() as session:
        return [int(e.aggregate_id) for e in session.scalars(
            select(OutboxEvent).where(OutboxEvent.topic == topic))]


def test_two_worker_processes_never_fire_twice(postgres_only, committed) -> None:
    install_defaults()
    warn_only, breached = _orders_with_due_rows(committed, 400)
    # Two jobs running the same scan, so two processes really can scan at the same moment
    # (one job alone is already serialised by its own row).
    _scan_jobs_due(["sla.scan", "sla.scan.second"])
    workers = [start_worker(name=f"sla-{n}") for n in range(2)]
    for proc in workers:
        finish(proc)
    warned, breaches = _fired("sla.warning"), _fired("sla.breached")
    assert sorted(warned) == sorted(warn_only)          # each exactly once
    assert sorted(breaches) == sorted(breached)
    with unit_of_work() as session:
        runs = dict(session.execute(select(ScheduledJob.name, ScheduledJob.runs)).all())
    assert runs["sla.scan"] == runs["sla.scan.second"] == 1


def test_a_restarted_worker_fires_what_came_due_meanwhile_once(postgres_only, committed) -> None:
    install_defaults()
    warn_only, breached = _orders_with_due_rows(committed, 40)
    _scan_jobs_due(["sla.scan"])
    finish(start_worker(name="sla-before"))
    # While no worker runs, the warn-only orders pass their deadlines too.
    with committed.begin() as conn:
        conn.execute(update(SLA).where(SLA.c.order_id.in_(warn_only))
                     .values(deadline=clock.now() - timedelta(seconds=1)))
    _scan_jobs_due(["sla.scan"])
    finish(start_worker(name="sla-after"))
    _scan_jobs_due(["sla.scan"])
    finish(start_worker(name="sla-again"))
    assert sorted(_fired("sla.warning")) == sorted(warn_only)
    assert sorted(_fired("sla.breached")) == sorted(breached + warn_only)
