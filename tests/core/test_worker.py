"""The worker in this process, on a controlled clock: delivery, retries, dead letters, leases."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from orderhub.core import audit, outbox, worker
from orderhub.core.actor import SYSTEM
from orderhub.core.db import unit_of_work
from orderhub.core.deadletters import list_dead_letters, retry_dead_letter
from orderhub.core.models import AuditEntry, HandledEvent, OutboxEvent
from orderhub.core.settings import get_settings
from tests.builders import TEST_ACTOR


def emit(engine: Engine, topic: str, count: int = 1) -> list[int]:
    with unit_of_work(engine) as session:
        events = [outbox.emit(session, topic, payload={"n": n}) for n in range(count)]
        session.flush()
        return [e.id for e in events]


def event(engine: Engine, event_id: int) -> OutboxEvent:
    with unit_of_work(engine) as session:
        return session.get(OutboxEvent, event_id)


def handled(engine: Engine, event_id: int) -> list[str]:
    with unit_of_work(engine) as session:
        return sorted(session.scalars(select(HandledEvent.handler)
                                      .where(HandledEvent.event_id == event_id)))


def test_event_is_delivered_once_and_marked_done(committed, fake_clock, register):
    seen: list[tuple[int, dict]] = []
    register("test.hello", lambda session, ev: seen.append((ev.id, ev.payload)), name="test.hello")
    [event_id] = emit(committed, "test.hello")

    assert worker.run(burst=True, engine=committed) == 1
    assert worker.run(burst=True, engine=committed) == 0

    assert seen == [(event_id, {"n": 0})]
    done = event(committed, event_id)
    assert (done.status, done.attempts, done.locked_by, done.locked_until) == ("done", 1, None, None)
    assert done.processed_at == fake_clock.now
    assert handled(committed, event_id) == ["test.hello"]


def test_events_without_handlers_are_just_marked_done(committed, fake_clock):
    ids = emit(committed, "test.nobody.listens", 3)
    assert worker.run(burst=True, engine=committed) == 3
    assert {event(committed, i).status for i in ids} == {"done"}


def test_claim_takes_only_due_events_in_id_order(committed, fake_clock):
    first, second = emit(committed, "test.claim", 2)
    with unit_of_work(committed) as session:
        session.get(OutboxEvent, first).available_at = fake_clock.now.replace(year=2027)
    assert worker.claim_events(committed, worker_id="w1", limit=10) == [second]
    assert worker.claim_events(committed, worker_id="w2", limit=10) == []  # leased to w1
    claimed = event(committed, second)
    assert (claimed.status, claimed.locked_by, claimed.attempts) == ("processing", "w1", 1)
    lease = get_settings().outbox_lease_seconds
    assert (claimed.locked_until - fake_clock.now).total_seconds() == lease


def test_failing_handler_backs_off_then_dead_letters_and_retry_runs_it(committed, fake_clock,
                                                                       register):
    failing, calls = [True], []

    def flaky(session: Session, ev: OutboxEvent) -> None:
        calls.append(ev.id)
        if failing[0]:
            raise RuntimeError("platform said no")

    register("test.flaky", flaky)
    [event_id] = emit(committed, "test.flaky")
    settings = get_settings()
    delays = []

    for attempt in range(1, settings.outbox_max_attempts):
        worker.run(burst=True, engine=committed)
        ev = event(committed, event_id)
        assert (ev.status, ev.attempts, ev.locked_by) == ("pending", attempt, None)
        delay = (ev.available_at - fake_clock.now).total_seconds()
        delays.append(delay)
        assert "platform said no" in ev.last_error and "test.flaky" in ev.last_error
        fake_clock.advance(delay - 1)  # not due a second early
        assert worker.run(burst=True, engine=committed) == 0 and len(calls) == attempt
        fake_clock.advance(1)
    assert delays == pytest.approx([settings.outbox_backoff_seconds * 3 ** n
                                    for n in range(settings.outbox_max_attempts - 1)])
    assert delays[:3] == pytest.approx([30, 90, 270])  # with the default settings

    worker.run(burst=True, engine=committed)  # the last try
    dead = event(committed, event_id)
    assert (dead.status, dead.attempts) == ("dead", settings.outbox_max_attempts)
    assert len(calls) == settings.outbox_max_attempts
    with unit_of_work(committed) as session:
        assert [e.id for e in list_dead_letters(session)] == [event_id]
        notice = session.scalars(select(OutboxEvent)
                                 .where(OutboxEvent.topic == worker.DEAD_LETTERED)).one()
        assert notice.payload["event_id"] == event_id and notice.payload["topic"] == "test.flaky"
        assert notice.aggregate_id == str(event_id)

    failing[0] = False
    with unit_of_work(committed) as session:
        retry_dead_letter(session, event_id=event_id, actor=TEST_ACTOR)
    assert worker.run(burst=True, engine=committed) == 1
    revived = event(committed, event_id)
    assert (revived.status, revived.attempts) == ("done", 1)
    assert len(calls) == settings.outbox_max_attempts + 1


def test_backoff_grows_threefold():
    assert [worker.retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 90, 270, 810]


def test_a_topic_can_have_its_own_retry_policy(committed, fake_clock, register):
    """A write-back tried every 15 minutes with backoff, 3 tries here, then dead."""
    calls = []

    def down(session: Session, ev: OutboxEvent) -> None:
        calls.append(ev.attempts)
        raise RuntimeError("platform down")

    register("test.slow_retry", down)
    outbox.retry_policy("test.slow_retry", outbox.Retry(first_seconds=900, factor=2, max_attempts=3))
    try:
        [event_id] = emit(committed, "test.slow_retry")
        delays = []
        for _ in range(2):
            worker.run(burst=True, engine=committed)
            delay = (event(committed, event_id).available_at - fake_clock.now).total_seconds()
            delays.append(delay)
            fake_clock.advance(delay)
        worker.run(burst=True, engine=committed)
        assert delays == pytest.approx([900, 1800])
        assert calls == [1, 2, 3]  # the handler sees which try it is
        assert event(committed, event_id).status == "dead"
    finally:
        outbox._retries.pop("test.slow_retry", None)


def test_second_handler_fails_once_first_is_not_run_again(committed, fake_clock, register):
    runs = {"first": 0, "second": 0}

    def first(session: Session, ev: OutboxEvent) -> None:
        runs["first"] += 1
        audit.record(session, actor=SYSTEM, entity_type="event", entity_id=ev.id, action="first")

    def second(session: Session, ev: OutboxEvent) -> None:
        runs["second"] += 1
        if runs["second"] == 1:
            raise ConnectionError("courier API timed out")

    register("test.two", first, name="test.a-first")
    register("test.two", second, name="test.b-second")
    [event_id] = emit(committed, "test.two")

    worker.run(burst=True, engine=committed)
    assert runs == {"first": 1, "second": 1}
    assert event(committed, event_id).status == "pending"
    assert handled(committed, event_id) == ["test.a-first"]

    fake_clock.advance(get_settings().outbox_backoff_seconds)
    assert worker.run(burst=True, engine=committed) == 1
    assert runs == {"first": 1, "second": 2}
    assert event(committed, event_id).status == "done"
    assert handled(committed, event_id) == ["test.a-first", "test.b-second"]
    with unit_of_work(committed) as session:  # the first handler's write happened exactly once
        assert session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "first")) == 1


def test_failing_handler_writes_are_rolled_back(committed, fake_clock, register):
    def half_done(session: Session, ev: OutboxEvent) -> None:
        audit.record(session, actor=SYSTEM, entity_type="event", entity_id=ev.id, action="half")
        outbox.emit(session, "test.follow-up")
        raise ValueError("bad payload")

    register("test.half", half_done)
    [event_id] = emit(committed, "test.half")
    worker.run(burst=True, engine=committed)
    with unit_of_work(committed) as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
        assert session.scalars(select(OutboxEvent.topic)).all() == ["test.half"]
    assert handled(committed, event_id) == []


def test_worker_that_lost_its_lease_does_not_clobber(committed, fake_clock, register):
    calls: list[int] = []
    register("test.lease", lambda session, ev: calls.append(ev.id), name="test.lease")
    [event_id] = emit(committed, "test.lease")

    slow_rows = worker.claim_batch(committed, worker_id="slow", limit=10)
    fake_clock.advance(get_settings().outbox_lease_seconds + 1)  # "slow" stalled past its lease
    fresh_rows = worker.claim_batch(committed, worker_id="fresh", limit=10)
    assert [r.id for r in fresh_rows] == [event_id] and fresh_rows[0].attempts == 2

    assert worker.deliver_batch(committed, slow_rows, worker_id="slow") == 0
    assert calls == [] and event(committed, event_id).locked_by == "fresh"
    assert worker.deliver_batch(committed, fresh_rows, worker_id="fresh") == 1
    assert calls == [event_id] and event(committed, event_id).status == "done"


def test_stop_finishes_the_current_event_and_hands_back_the_rest(committed, fake_clock, register):
    stop = threading.Event()
    calls: list[int] = []

    def stopper(session: Session, ev: OutboxEvent) -> None:
        calls.append(ev.id)
        stop.set()  # as SIGTERM would, while this event is being handled

    register("test.stop", stopper)
    first, *rest = emit(committed, "test.stop", 3)
    assert worker.run(stop=stop, engine=committed) == 1
    assert calls == [first] and event(committed, first).status == "done"
    for event_id in rest:
        ev = event(committed, event_id)
        assert (ev.status, ev.attempts, ev.locked_by, ev.available_at) == (
            "pending", 0, None, fake_clock.now)


def test_redelivered_event_whose_handlers_all_ran_is_just_closed(committed, fake_clock, register):
    calls: list[int] = []
    register("test.closed", lambda session, ev: calls.append(ev.id), name="test.closed")
    [event_id] = emit(committed, "test.closed")
    with unit_of_work(committed) as session:  # as if the handler committed, then status was reset
        session.add(HandledEvent(event_id=event_id, handler="test.closed", handled_at=fake_clock.now))
    assert worker.run(burst=True, engine=committed) == 1
    assert calls == [] and event(committed, event_id).status == "done"


def test_a_failing_dead_letter_alert_does_not_dead_letter_itself_forever(committed, fake_clock,
                                                                          register):
    def broken(session: Session, ev: OutboxEvent) -> None:
        raise RuntimeError("alert channel down")

    register("test.doomed", broken, name="test.doomed")
    register(worker.DEAD_LETTERED, broken, name="test.broken-alert")
    emit(committed, "test.doomed")
    for _ in range(2 * get_settings().outbox_max_attempts):
        worker.run(burst=True, engine=committed)
        fake_clock.advance(10_000)
    with unit_of_work(committed) as session:
        rows = session.execute(select(OutboxEvent.topic, OutboxEvent.status)
                               .order_by(OutboxEvent.id)).all()
    assert [tuple(r) for r in rows] == [("test.doomed", "dead"), (worker.DEAD_LETTERED, "dead")]
