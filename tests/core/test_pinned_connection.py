"""pinned_connection: a thread (the worker's) runs its units of work on one connection it keeps.
Each unit of work must stay what it was with a pooled connection: its own transaction, committed
or rolled back whole, nothing carried into the next, and a lost connection costs one unit."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from orderhub.core import outbox, worker
from orderhub.core.db import pinned_connection, unit_of_work
from orderhub.core.models import OutboxEvent
from orderhub.inventory import service
from tests.inventory.helpers import ACTOR
from tests.support.postgres import terminate_backend


def driver_connection(session: Session) -> object:
    return session.connection().connection.driver_connection


def count(engine, topic: str) -> int:
    with unit_of_work(engine) as s:
        return s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == topic))


def test_units_of_work_on_a_pinned_thread_share_one_connection_returned_at_the_end(committed):
    pool = committed.pool
    before = pool.checkedout()
    seen = []
    with pinned_connection(committed):
        assert pool.checkedout() == before + 1
        for n in range(3):
            with unit_of_work(committed) as s:
                seen.append(driver_connection(s))
                outbox.emit(s, "test.pinned", payload={"n": n})
        with pinned_connection(committed):  # an inner block keeps the outer pin
            with unit_of_work(committed) as s:
                seen.append(driver_connection(s))
        assert pool.checkedout() == before + 1
    assert pool.checkedout() == before
    assert all(c is seen[0] for c in seen)
    assert count(committed, "test.pinned") == 3  # each one committed


def test_a_failed_unit_of_work_leaves_nothing_for_the_next(committed):
    with pinned_connection(committed):
        with pytest.raises(RuntimeError), unit_of_work(committed) as s:
            outbox.emit(s, "test.pinned.failed", payload={})
            s.flush()
            raise RuntimeError("handler broke")
        with unit_of_work(committed) as s:
            # Rolled back, and the reused Session holds nothing of it.
            assert not s.new and len(s.identity_map) == 0
            assert s.scalar(select(func.count()).select_from(OutboxEvent)
                            .where(OutboxEvent.topic == "test.pinned.failed")) == 0
            outbox.emit(s, "test.pinned.after", payload={})
    assert count(committed, "test.pinned.after") == 1


def test_a_unit_of_work_inside_another_commits_on_its_own_connection(committed):
    with pinned_connection(committed):
        with pytest.raises(RuntimeError), unit_of_work(committed) as outer:
            with unit_of_work(committed) as inner:
                assert inner is not outer
                outbox.emit(inner, "test.pinned.inner", payload={})
            raise RuntimeError("the outer one fails after the inner one committed")
    assert count(committed, "test.pinned.inner") == 1


def test_other_threads_do_not_use_this_threads_pin(committed):
    theirs: list[object] = []

    def other() -> None:
        with unit_of_work(committed) as s:
            theirs.append(driver_connection(s))

    with pinned_connection(committed):
        with unit_of_work(committed) as s:
            mine = driver_connection(s)
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        with unit_of_work(committed) as s:
            assert driver_connection(s) is mine
    assert theirs and theirs[0] is not mine


def test_the_worker_delivers_its_events_on_one_connection(committed, fake_clock, register):
    log: list[tuple[str, object]] = []  # handler runs and pool check-ins, in order
    register("test.pinned.worker", lambda session, ev: log.append(("handler", driver_connection(session))),
             name="test.pinned.worker")
    with unit_of_work(committed) as s:
        for n in range(4):
            outbox.emit(s, "test.pinned.worker", payload={"n": n})

    def checked_in(dbapi_connection: object, _record: object) -> None:
        log.append(("checkin", dbapi_connection))

    before = committed.pool.checkedout()
    event.listen(committed.pool, "checkin", checked_in)
    try:
        assert worker.run(burst=True, engine=committed) == 4
    finally:
        event.remove(committed.pool, "checkin", checked_in)
    runs = [i for i, (what, _) in enumerate(log) if what == "handler"]
    pinned = log[runs[0]][1]
    assert len(runs) == 4 and all(log[i][1] is pinned for i in runs)
    # Kept between the events (a pooled connection would go back after each), returned at the end.
    assert ("checkin", pinned) not in log[runs[0]:runs[-1]]
    assert ("checkin", pinned) in log[runs[-1]:]
    assert committed.pool.checkedout() == before


def test_a_lost_pinned_connection_fails_one_unit_of_work_and_the_next_reconnects(postgres_only, committed):
    with pinned_connection(committed):
        with unit_of_work(committed) as s:
            pid = s.scalar(text("SELECT pg_backend_pid()"))
        terminate_backend(committed, pid)
        with pytest.raises(DBAPIError), unit_of_work(committed) as s:
            s.execute(text("SELECT 1"))
        with unit_of_work(committed) as s:
            assert s.scalar(text("SELECT pg_backend_pid()")) != pid


def test_a_reservation_after_a_lost_connection_gets_a_new_cursor(postgres_only, committed):
    # The one-line reservation keeps its DB-API cursor with the connection: the cursor of a
    # dead connection must go with it.
    with unit_of_work(committed) as s:
        wh, _ = service.upsert_warehouse(s, code="HZ", name="杭州仓", actor=ACTOR)
        service.upsert_sku(s, code="PIN-1", name="PIN-1", actor=ACTOR)
        service.set_level(s, sku="PIN-1", warehouse_id=wh.id, on_hand=5, actor=ACTOR)
    with pinned_connection(committed):
        with unit_of_work(committed) as s:
            assert service.reserve(s, order_id=1, warehouse_id=wh.id, lines=[("PIN-1", 1)], actor=ACTOR)
            pid = s.scalar(text("SELECT pg_backend_pid()"))
        terminate_backend(committed, pid)
        with pytest.raises(DBAPIError) as lost, unit_of_work(committed) as s:
            service.reserve(s, order_id=2, warehouse_id=wh.id, lines=[("PIN-1", 1)], actor=ACTOR)
        assert lost.value.connection_invalidated
        with unit_of_work(committed) as s:
            assert service.reserve(s, order_id=3, warehouse_id=wh.id, lines=[("PIN-1", 1)], actor=ACTOR)
    with unit_of_work(committed) as s:
        assert service.level_of(s, "PIN-1", wh.id).reserved == 2  # orders 1 and 3; 2 was lost whole
