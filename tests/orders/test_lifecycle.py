"""The state machine: every legal and illegal transition, and random sequences (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderhub.core.errors import IllegalTransition
from orderhub.orders import lifecycle as lc
from orderhub.orders.holds import add_hold, open_holds, resolve_hold
from orderhub.orders.queries import order_events
from orderhub.orders.service import transition
from tests.builders import TEST_ACTOR, ensure_shop, make_order

PAIRS = [(a, b) for a in lc.STATES for b in lc.STATES]


@pytest.mark.parametrize("current, target", PAIRS)
def test_every_pair_is_either_allowed_or_refused(current, target):
    held_from = lc.PAID if current == lc.ON_HOLD else None
    legal = target in lc.TRANSITIONS[current] and lc.allowed(current, target, held_from=held_from)
    if legal:
        lc.check(current, target, held_from=held_from)
    else:
        with pytest.raises(IllegalTransition) as err:
            lc.check(current, target, held_from=held_from)
        assert err.value.http_status == 409
        assert err.value.details["from"] == current and err.value.details["to"] == target


def test_terminal_states_have_no_way_out():
    for state in lc.TERMINAL:
        assert lc.TRANSITIONS[state] == frozenset()


def test_every_state_has_an_event_and_a_transition_row():
    assert set(lc.TRANSITIONS) == set(lc.STATES) == set(lc.EVENT_FOR)


def test_leaving_a_hold_goes_back_where_it_came_from():
    assert lc.allowed(lc.ON_HOLD, lc.ALLOCATED, held_from=lc.ALLOCATED)
    assert not lc.allowed(lc.ON_HOLD, lc.ALLOCATED, held_from=lc.PAID)
    assert not lc.allowed(lc.ON_HOLD, lc.CLOSED, held_from=lc.PAID)
    assert lc.allowed(lc.ON_HOLD, lc.CLOSED, held_from=lc.PENDING_PAYMENT)


def test_shipped_order_cannot_be_held_or_cancelled():
    for target in (lc.ON_HOLD, lc.CANCELLED, lc.PAID):
        assert not lc.allowed(lc.SHIPPED, target)


# Steps a random walk may take: a target status, or hold / resolve operations.
STEP = st.one_of(st.sampled_from(lc.STATES), st.just("+hold"), st.just("-hold"))


@given(steps=st.lists(STEP, max_size=25))
def test_random_walks_never_reach_an_undefined_state_pure(steps):
    """Model without a database: a walk only ever visits defined states via allowed edges."""
    status, held_from = lc.PENDING_PAYMENT, None
    for step in steps:
        if step.startswith(("+", "-")):
            continue
        if lc.allowed(status, step, held_from=held_from):
            held_from = status if step == lc.ON_HOLD else (None if status == lc.ON_HOLD else held_from)
            status = step
        assert status in lc.STATES
        assert (status == lc.ON_HOLD) == (held_from is not None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, max_size=12), start=st.sampled_from(["paid", "pending_payment"]))
def test_random_walks_through_the_services(session, steps, start):
    """Against the real database: each step either happens (with an event) or is refused cleanly;
    an order is on hold exactly while it has an open hold."""
    ensure_shop(session)
    with session.begin_nested() as sp:
        order = make_order(session, status=start)
        for step in steps:
            events_before = len(order_events(session, order))
            status_before = order.status
            try:
                if step == "+hold":
                    add_hold(session, order_no=order.order_no, reason_code="test", reason="",
                             actor=TEST_ACTOR)
                elif step == "-hold":
                    held = open_holds(order)
                    if held:
                        resolve_hold(session, order_no=order.order_no, hold_id=held[0].id,
                                     resolution="ok", actor=TEST_ACTOR)
                else:
                    transition(session, order, step, actor=TEST_ACTOR)
            except IllegalTransition:
                assert order.status == status_before
                assert len(order_events(session, order)) == events_before
                continue
            assert order.status in lc.STATES
            assert (order.status == lc.ON_HOLD) == bool(open_holds(order))
            if order.status != status_before:
                assert len(order_events(session, order)) > events_before
        sp.rollback()
