"""Real worker processes (`orderhub worker`): killed mid-handler, stopped with
SIGTERM, and two of them draining one queue. Checked by invariants, never by timings."""

from __future__ import annotations

import os
import signal
import time

from sqlalchemy import Engine, func, select

from orderhub.core import clock
from orderhub.core.db import unit_of_work
from orderhub.core.models import HandledEvent, OutboxEvent
from tests.support.processes import finish, start_worker, wait_for_file
from tests.support.tables import count_side_effects, rows_per_pid

EVENTS = OutboxEvent.__table__


def insert_events(engine: Engine, topic: str, count: int) -> None:
    """Straight into the table in one executemany, as many producers' commits would leave them."""
    now = clock.now()
    rows = [{"topic": topic, "payload": {"n": n}, "created_at": now, "available_at": now,
             "status": "pending", "attempts": 0} for n in range(count)]
    with engine.begin() as conn:
        conn.execute(EVENTS.insert(), rows)


def statuses(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(EVENTS.c.status, func.count()).group_by(EVENTS.c.status))
        return {status: int(n) for status, n in rows}


def only_event(engine: Engine) -> OutboxEvent:
    with unit_of_work(engine) as session:
        return session.scalars(select(OutboxEvent)).one()


def test_worker_killed_mid_handler_loses_nothing_and_repeats_nothing(side_effect_table, tmp_path):
    engine = side_effect_table
    insert_events(engine, "test.slow", 1)
    started = tmp_path / "handler-started"

    victim = start_worker(name="victim", ORDERHUB_OUTBOX_LEASE_SECONDS="2",
                          ORDERHUB_TEST_SIGNAL_FILE=str(started), ORDERHUB_TEST_HANDLER_SLEEP="60")
    wait_for_file(started, victim)  # the handler has written its row, uncommitted, and sleeps
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)

    leased = only_event(engine)
    assert (leased.status, leased.attempts) == ("processing", 1)
    assert count_side_effects(engine) == (0, 0)  # died with the transaction
    _sleep_until(leased.locked_until)

    finish(start_worker(name="rescuer", ORDERHUB_OUTBOX_LEASE_SECONDS="2"))
    done = only_event(engine)
    assert (done.status, done.attempts, done.locked_by) == ("done", 2, None)
    assert count_side_effects(engine) == (1, 1)
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(HandledEvent)) == 1


def test_sigterm_lets_the_current_event_finish(side_effect_table, tmp_path):
    engine = side_effect_table
    insert_events(engine, "test.slow", 3)
    started = tmp_path / "handler-started"

    proc = start_worker(burst=False, name="stopped", ORDERHUB_TEST_SIGNAL_FILE=str(started),
                        ORDERHUB_TEST_HANDLER_SLEEP="1", ORDERHUB_OUTBOX_BATCH_SIZE="10")
    wait_for_file(started, proc)
    proc.send_signal(signal.SIGTERM)
    out = finish(proc, timeout=180)

    assert "processed 1" in out
    assert statuses(engine) == {"done": 1, "pending": 2}  # the other two handed back, untried
    assert count_side_effects(engine) == (1, 1)


def test_two_workers_drain_5000_events_exactly_once(postgres_only, side_effect_table):
    engine = side_effect_table
    insert_events(engine, "test.drain", 5000)

    started = time.monotonic()
    procs = [start_worker(name=f"drain-{n}") for n in (1, 2)]
    outputs = [finish(p, timeout=300) for p in procs]
    elapsed = time.monotonic() - started

    assert count_side_effects(engine) == (5000, 5000)
    assert statuses(engine) == {"done": 5000}
    split = rows_per_pid(engine)
    print(f"\n5,000 events in {elapsed:.1f} s by two workers, (events, first id, last id) each: "
          f"{sorted(split.values())}; {[o.strip().splitlines()[-1] for o in outputs]}")
    (n1, lo1, hi1), (n2, lo2, hi2) = split.values()
    assert n1 > 0 and n2 > 0
    assert lo1 < hi2 and lo2 < hi1  # their id ranges interleave: they drained side by side


def _sleep_until(moment) -> None:  # noqa: ANN001
    time.sleep(max(0.0, (moment - clock.now()).total_seconds()) + 0.05)
