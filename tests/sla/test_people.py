"""Who gets an order entering a stage (round robin, least loaded, shifts, manager fallback), the
chain of responsibility, and reassignment."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from orderhub.core.errors import InvalidInput, NotFound
from orderhub.core.models import AuditEntry
from orderhub.sla import people, service
from orderhub.sla.models import OrderSla
from tests.builders import TEST_ACTOR, make_order
from tests.sla.helpers import session_events

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Beijing
DAY = {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"}
NIGHT = {"days": [1, 2, 3, 4, 5], "start": "22:00", "end": "06:00"}


def _person(session, name, **fields):
    return people.save_person(session, person_id=None, actor=TEST_ACTOR, name=name, **fields)


def _team(session, strategy, manager=None, stages=("accept",)):
    return people.save_team(session, team_id=None, name=f"team-{strategy}", stages=list(stages),
                            strategy=strategy, manager_id=manager.id if manager else None,
                            actor=TEST_ACTOR)


def _enter(session, n):
    """n orders entering accept through the service, as the stage handler does; assignees."""
    picked = []
    for _ in range(n):
        order = make_order(session)
        row = service.advance(session, order_id=order.id, target="accept", at=MONDAY_10,
                              event_id=1)
        picked.append(row.person_id)
    return picked


def test_round_robin_among_those_on_duty(session) -> None:
    boss = _person(session, "王经理", role="manager")
    team = _team(session, "round_robin", boss)
    a = _person(session, "阿兰", team_id=team.id, shift=DAY)
    night = _person(session, "夜班", team_id=team.id, shift=NIGHT)
    b = _person(session, "宝玉", team_id=team.id, shift=DAY)
    assert _enter(session, 5) == [a.id, b.id, a.id, b.id, a.id]
    assert night.id not in _enter(session, 2)
    row = session.scalars(select(OrderSla)).first()
    assert row.team_id == team.id


def test_least_loaded_counts_open_stages(session) -> None:
    team = _team(session, "least_loaded")
    a = _person(session, "甲", team_id=team.id)
    b = _person(session, "乙", team_id=team.id)
    assert _enter(session, 4) == [a.id, b.id, a.id, b.id]
    c = _person(session, "丙", team_id=team.id)  # new, with no open orders: gets the next two
    assert _enter(session, 3) == [c.id, c.id, a.id]


def test_nobody_on_duty_goes_to_the_manager_and_no_team_to_nobody(session) -> None:
    boss = _person(session, "王经理", role="manager")
    team = _team(session, "round_robin", boss)
    _person(session, "夜班", team_id=team.id, shift=NIGHT)
    assert _enter(session, 1) == [boss.id]
    order = make_order(session)
    row = service.advance(session, order_id=order.id, target="print", at=MONDAY_10, event_id=1)
    assert (row.person_id, row.team_id) == (None, None)


@pytest.mark.parametrize("local, shift, expected", [
    ("2026-11-23T09:00", DAY, True), ("2026-11-23T17:59", DAY, True),
    ("2026-11-23T18:00", DAY, False), ("2026-11-22T10:00", DAY, False),  # Sunday
    ("2026-11-23T23:00", NIGHT, True), ("2026-11-24T05:59", NIGHT, True),  # Monday's night
    ("2026-11-23T05:00", NIGHT, False),  # Sunday's night: Sunday is not a working day
    ("2026-11-23T12:00", NIGHT, False), ("2026-11-22T03:00", None, True),
])
def test_on_duty_reads_the_shift_in_the_sellers_zone(session, local, shift, expected) -> None:
    person = _person(session, "班", shift=shift)
    at = datetime.fromisoformat(local + "+08:00")
    assert people.on_duty(person, at) is expected


def test_inactive_people_are_never_on_duty(session) -> None:
    person = _person(session, "离职", active=False)
    assert people.on_duty(person, MONDAY_10) is False


def test_responsible_chain(session) -> None:
    boss = _person(session, "经理")
    team = _team(session, "round_robin", boss)
    sup = _person(session, "主管", team_id=team.id)
    backup = _person(session, "备岗", team_id=team.id)
    agent = _person(session, "客服", team_id=team.id, backup_id=backup.id, supervisor_id=sup.id)
    chain = service.responsible_chain(session, agent.id)
    assert (chain.person, chain.backup, chain.supervisor, chain.manager) == (agent, backup, sup, boss)
    lone = service.responsible_chain(session, _person(session, "独立").id)
    assert (lone.backup, lone.supervisor, lone.manager) == (None, None, None)
    with pytest.raises(NotFound):
        service.people.get(session, 999999)


def test_reassign_records_and_announces(session) -> None:
    team = _team(session, "round_robin")
    a = _person(session, "甲", team_id=team.id)
    b = _person(session, "乙")
    order = make_order(session)
    service.advance(session, order_id=order.id, target="accept", at=MONDAY_10, event_id=1)
    service.reassign(session, order_id=order.id, to_person_id=b.id, actor=TEST_ACTOR,
                     reason="no answer in 15 min")
    assert session.get(OrderSla, order.id).person_id == b.id
    [event] = session_events(session, "sla.reassigned")
    assert event == {"order_id": order.id, "order_no": order.order_no, "stage": "accept",
                     "from_person_id": a.id, "to_person_id": b.id, "reason": "no answer in 15 min"}
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "sla.reassigned")).one()
    assert entry.before == {"person_id": a.id} and entry.entity_id == order.order_no


def test_reassign_refuses_closed_stages_and_unknown_people(session) -> None:
    order = make_order(session)
    service.advance(session, order_id=order.id, target="accept", at=MONDAY_10, event_id=1)
    with pytest.raises(NotFound):
        service.reassign(session, order_id=order.id, to_person_id=999999, actor=TEST_ACTOR,
                         reason="")
    service.advance(session, order_id=order.id, target=service.CLOSED, at=MONDAY_10, event_id=2)
    person = _person(session, "甲")
    with pytest.raises(NotFound):
        service.reassign(session, order_id=order.id, to_person_id=person.id, actor=TEST_ACTOR,
                         reason="")


@pytest.mark.parametrize("shift", [{"start": "9am", "end": "18:00"}, {"days": [0], "start": "09:00",
                                                                       "end": "18:00"}])
def test_bad_shifts_are_refused(session, shift) -> None:
    with pytest.raises(InvalidInput):
        _person(session, "班", shift=shift)
