"""Approvals: approving releases the order by itself; rejecting cancels it or returns it to CS."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput, PermissionDenied
from orderhub.core.models import AuditEntry, OutboxEvent
from orderhub.orders.models import Order
from orderhub.rules.approvals import (
    ApprovalNotPending,
    decide,
    list_approvals,
    pending_count,
)
from orderhub.rules.editing import create_rule
from orderhub.rules.models import Approval, Task
from tests.builders import TEST_ACTOR
from tests.rules.helpers import fired, place

BOSS = Actor(kind="user", name="boss", id=7, role="supervisor")
AGENT = Actor(kind="user", name="agent", id=8, role="cs")


def approval_rule(session: Session, on_reject: str) -> None:
    create_rule(session, actor=TEST_ACTOR, data={
        "key": f"big-{on_reject}", "name": "big order", "triggers": ["order.created"],
        "condition": "order.total >= 2000", "severity": "warning",
        "actions": [{"type": "require_approval", "role": "supervisor", "on_reject": on_reject}]})


def held_order(session: Session, on_reject: str = "cancel") -> tuple[Order, Approval]:
    approval_rule(session, on_reject)
    order = place(session, total="2500.00")
    assert fired(session, order) == {f"big-{on_reject}"}
    approval = session.scalar(select(Approval).where(Approval.order_id == order.id))
    assert order.status == "on_hold" and approval.status == "pending"
    return order, approval


def topics(session: Session, order: Order) -> list[str]:
    return list(session.scalars(select(OutboxEvent.topic).where(
        OutboxEvent.aggregate_type == "order", OutboxEvent.aggregate_id == str(order.id))
        .order_by(OutboxEvent.id)))


def test_approving_resolves_the_hold_and_the_order_goes_on(session: Session) -> None:
    order, approval = held_order(session)
    assert pending_count(session, role="supervisor") == 1
    assert [r.approval.id for r in list_approvals(session, role="supervisor")] == [approval.id]
    decide(session, approval_id=approval.id, approve=True, comment="客户已确认", actor=BOSS)
    assert approval.status == "approved" and approval.decided_by == "boss"
    assert order.status == "paid" and all(h.status == "resolved" for h in order.holds)
    assert topics(session, order)[-3:] == ["approval.approved", "order.hold_resolved", "order.released"]
    audit = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == order.order_no))
    assert "approval.approved" in list(audit)
    # the same rule on a later trigger does not ask again
    assert fired(session, order, "order.created") == set()


def test_rejecting_cancels_when_so_configured(session: Session) -> None:
    order, approval = held_order(session, "cancel")
    decide(session, approval_id=approval.id, approve=False, comment="疑似欺诈", actor=BOSS)
    assert approval.status == "rejected" and order.status == "cancelled"


def test_rejecting_returns_to_cs_when_so_configured(session: Session) -> None:
    order, approval = held_order(session, "return_to_cs")
    decide(session, approval_id=approval.id, approve=False, comment="请先联系买家", actor=BOSS)
    assert order.status == "on_hold"
    assert [h.reason_code for h in order.holds if h.status == "open"] == ["approval_rejected"]
    task = session.scalar(select(Task).where(Task.order_id == order.id))
    assert task.role == "cs" and "请先联系买家" in task.title


def test_decisions_are_checked(session: Session) -> None:
    _order, approval = held_order(session)
    with pytest.raises(PermissionDenied):
        decide(session, approval_id=approval.id, approve=True, comment="", actor=AGENT)
    with pytest.raises(InvalidInput):
        decide(session, approval_id=approval.id, approve=False, comment="  ", actor=BOSS)
    decide(session, approval_id=approval.id, approve=True, comment="", actor=BOSS)
    with pytest.raises(ApprovalNotPending):
        decide(session, approval_id=approval.id, approve=False, comment="late", actor=BOSS)


def test_approving_one_of_two_holds_keeps_the_order_held(session: Session) -> None:
    order, approval = held_order(session)
    create_rule(session, actor=TEST_ACTOR, data={
        "key": "remark", "name": "remark", "triggers": ["order.remark_changed"],
        "condition": "true", "actions": [{"type": "hold", "reason_code": "buyer_remark"}]})
    fired(session, order, "order.remark_changed")
    decide(session, approval_id=approval.id, approve=True, comment="ok", actor=BOSS)
    assert order.status == "on_hold"
    assert [h.reason_code for h in order.holds if h.status == "open"] == ["buyer_remark"]
