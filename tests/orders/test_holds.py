"""Holds: separate records; an order is on hold while any is open; resolving the last releases it."""

from __future__ import annotations

import pytest

from orderhub.core.errors import HoldNotOpen, IllegalTransition, NotFound
from orderhub.orders.holds import add_hold, resolve_hold
from orderhub.orders.queries import order_audit, order_events
from orderhub.orders.schemas import OrderIn
from orderhub.orders.service import cancel_order, get_order, receive_order, transition
from tests.builders import TEST_ACTOR, make_order, order_payload


def _hold(session, order, code="address_vague"):
    return add_hold(session, order_no=order.order_no, reason_code=code, reason="地址模糊",
                    actor=TEST_ACTOR)


def test_two_holds_release_only_after_both_resolved(session):
    order = make_order(session)
    first, second = _hold(session, order), _hold(session, order, "high_value")
    assert order.status == "on_hold" and order.held_from == "paid"
    resolve_hold(session, order_no=order.order_no, hold_id=first.id, resolution="ok", actor=TEST_ACTOR)
    assert order.status == "on_hold"
    resolve_hold(session, order_no=order.order_no, hold_id=second.id, resolution="ok",
                 actor=TEST_ACTOR)
    assert order.status == "paid" and order.held_from is None
    topics = [e.topic for e in order_events(session, order)]
    assert topics == ["order.created", "order.hold_added", "order.held", "order.hold_added",
                      "order.hold_resolved", "order.hold_resolved", "order.released"]
    assert second.resolved_by == "tester" and second.resolution == "ok"


def test_hold_from_allocated_returns_to_allocated(session):
    order = make_order(session)
    transition(session, order, "allocated", actor=TEST_ACTOR)
    hold = _hold(session, order)
    resolve_hold(session, order_no=order.order_no, hold_id=hold.id, resolution="ok", actor=TEST_ACTOR)
    assert order.status == "allocated"


def test_resolving_twice_is_refused(session):
    order = make_order(session)
    hold = _hold(session, order)
    resolve_hold(session, order_no=order.order_no, hold_id=hold.id, resolution="ok", actor=TEST_ACTOR)
    with pytest.raises(HoldNotOpen):
        resolve_hold(session, order_no=order.order_no, hold_id=hold.id, resolution="x", actor=TEST_ACTOR)
    with pytest.raises(NotFound):
        resolve_hold(session, order_no=order.order_no, hold_id=999999, resolution="x", actor=TEST_ACTOR)


def test_shipped_order_cannot_be_held(session):
    order = make_order(session)
    for status in ("allocated", "label_printed", "shipped"):
        transition(session, order, status, actor=TEST_ACTOR)
    with pytest.raises(IllegalTransition):
        _hold(session, order)


def test_cancel_closes_open_holds_and_is_audited(session):
    order = make_order(session)
    _hold(session, order)
    cancel_order(session, order_no=order.order_no, actor=TEST_ACTOR, reason="买家取消")
    assert order.status == "cancelled"
    assert all(h.status == "resolved" for h in order.holds)
    actions = [(a.action, a.before, a.after) for a in order_audit(session, order)]
    assert ("order.status_changed", {"status": "on_hold"},
            {"status": "cancelled", "reason": "买家取消"}) in actions
    with pytest.raises(IllegalTransition):
        cancel_order(session, order_no=order.order_no, actor=TEST_ACTOR, reason="again")


def test_payment_while_held_keeps_the_hold(session):
    payload = order_payload(status="pending_payment", paid_at=None)
    order = make_order(session, **{k: v for k, v in payload.items() if k != "shop"})
    hold = _hold(session, order)
    paid = {**payload, "platform_order_id": order.platform_order_id, "status": "paid",
            "paid_at": "2026-11-23T10:09:00+08:00"}
    result = receive_order(session, data=OrderIn.model_validate(paid), raw=paid, source="test",
                           actor=TEST_ACTOR)
    assert result.changes == ["order.paid"]
    assert order.status == "on_hold" and order.held_from == "paid"
    resolve_hold(session, order_no=order.order_no, hold_id=hold.id, resolution="ok", actor=TEST_ACTOR)
    assert order.status == "paid"


def test_order_found_by_platform_order_id(session):
    order = make_order(session, platform_order_id="TB-123456789")
    assert get_order(session, "TB-123456789").id == order.id
