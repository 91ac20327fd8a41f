"""Approvals: a held order waits for a role's decision. Approving resolves the hold (the order
goes on by itself once no hold is left); rejecting cancels the order or returns it to customer
service, as the rule said. Every request and decision is audited and announced."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orderhub.core import audit, clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.auth import ROLES, require
from orderhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from orderhub.orders import holds
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Hold, Order
from orderhub.orders.service import cancel_order
from orderhub.rules.models import Approval, Task

HOLD_REASON = "approval_required"
REJECTED_REASON = "approval_rejected"
STATUSES = ("pending", "approved", "rejected")


class ApprovalNotPending(Conflict):
    code = "approval_not_pending"


def request_approval(session: Session, *, order: Order, role: str, reason: str, on_reject: str,
                     rule_id: int | None, actor: Actor) -> Approval | None:
    """None when this rule already has a pending approval on the order, or it cannot be held."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}", details={"allowed": list(ROLES)})
    # A decision taken stands: the same rule asking again (a later trigger) is not a new request.
    pending = session.scalar(select(Approval).where(
        Approval.order_id == order.id, Approval.status.in_(("pending", "approved")),
        Approval.rule_id.is_(None) if rule_id is None else Approval.rule_id == rule_id))
    if pending is not None or (order.status != lc.ON_HOLD and order.status not in lc.HOLDABLE):
        return None
    hold = holds.add_hold(session, order_no=order.order_no, reason_code=HOLD_REASON,
                          reason=reason, actor=actor)
    approval = Approval(order_id=order.id, hold_id=hold.id, rule_id=rule_id, role=role,
                        reason=reason, on_reject=on_reject, status="pending",
                        requested_at=clock.now())
    session.add(approval)
    session.flush()
    audit.record(session, actor=actor, entity_type="order", entity_id=order.order_no,
                 action="approval.requested", after={"approval_id": approval.id, "role": role,
                                                     "reason": reason, "on_reject": on_reject})
    outbox.emit(session, "approval.requested", aggregate_type="order", aggregate_id=order.id,
                actor=actor, payload={"order_no": order.order_no, "approval_id": approval.id,
                                      "role": role, "reason": reason})
    return approval


def decide(session: Session, *, approval_id: int, approve: bool, comment: str,
           actor: Actor) -> Approval:
    require(actor, "approvals.decide")
    approval = session.get(Approval, approval_id, with_for_update=True)
    if approval is None:
        raise NotFound(f"no approval {approval_id}", details={"approval_id": approval_id})
    if actor.role not in ("admin", approval.role, "supervisor"):
        raise PermissionDenied(f"this approval is for role {approval.role!r}",
                               details={"role": actor.role, "needs": approval.role})
    if approval.status != "pending":
        raise ApprovalNotPending(f"approval {approval_id} was already {approval.status}",
                                 details={"approval_id": approval_id, "status": approval.status,
                                          "decided_by": approval.decided_by})
    comment = comment.strip()
    if not approve and not comment:
        raise InvalidInput("say why the order is rejected", details={"field": "comment"})
    order = session.get(Order, approval.order_id)
    assert order is not None
    approval.status = "approved" if approve else "rejected"
    approval.comment, approval.decided_by, approval.decided_at = comment, actor.name, clock.now()
    audit.record(session, actor=actor, entity_type="order", entity_id=order.order_no,
                 action=f"approval.{approval.status}",
                 before={"approval_id": approval.id, "status": "pending"},
                 after={"approval_id": approval.id, "status": approval.status, "comment": comment})
    outbox.emit(session, f"approval.{approval.status}", aggregate_type="order",
                aggregate_id=order.id, actor=actor,
                payload={"order_no": order.order_no, "approval_id": approval.id,
                         "comment": comment, "on_reject": approval.on_reject})
    hold = session.get(Hold, approval.hold_id)
    hold_open = hold is not None and hold.status == "open"
    if approve and hold_open:
        holds.resolve_hold(session, order_no=order.order_no, hold_id=hold.id,
                           resolution=f"approved: {comment}" if comment else "approved", actor=actor)
    elif not approve and approval.on_reject == "cancel":
        if lc.allowed(order.status, lc.CANCELLED, held_from=order.held_from):
            cancel_order(session, order_no=order.order_no, actor=actor,
                         reason=f"approval rejected: {comment}")
    elif not approve and hold_open:
        _return_to_cs(session, order, hold, comment, actor)
    session.flush()
    return approval


def _return_to_cs(session: Session, order: Order, hold: Hold, comment: str, actor: Actor) -> None:
    """The hold stays open under a reason customer service works on, with a task for them."""
    before = hold.reason_code
    hold.reason_code, hold.reason = REJECTED_REASON, f"{hold.reason} — {comment}"[:2000]
    audit.record(session, actor=actor, entity_type="order", entity_id=order.order_no,
                 action="hold.reassigned", before={"hold_id": hold.id, "reason_code": before},
                 after={"hold_id": hold.id, "reason_code": REJECTED_REASON, "role": "cs"})
    task = Task(order_id=order.id, title=f"审批驳回，请联系买家 / approval rejected: {comment}"[:300],
                role="cs", status="open", created_at=clock.now())
    session.add(task)
    session.flush()
    outbox.emit(session, "task.created", aggregate_type="order", aggregate_id=order.id, actor=actor,
                payload={"order_no": order.order_no, "task_id": task.id, "role": "cs",
                         "title": task.title})


@dataclass(frozen=True)
class ApprovalRow:
    approval: Approval
    order: Order


def list_approvals(session: Session, *, status: str = "pending", role: str | None = None,
                   limit: int = 50, before_id: int | None = None) -> list[ApprovalRow]:
    if status not in STATUSES:
        raise InvalidInput(f"unknown approval status {status!r}", details={"allowed": list(STATUSES)})
    if not 1 <= limit <= 200:
        raise InvalidInput("limit must be between 1 and 200", details={"limit": limit})
    stmt = (select(Approval, Order).join(Order, Order.id == Approval.order_id)
            .where(Approval.status == status).order_by(Approval.id.desc()).limit(limit))
    if role:
        stmt = stmt.where(Approval.role == role)
    if before_id:
        stmt = stmt.where(Approval.id < before_id)
    return [ApprovalRow(approval=a, order=o) for a, o in session.execute(stmt)]


def pending_count(session: Session, *, role: str | None = None) -> int:
    stmt = select(func.count()).select_from(Approval).where(Approval.status == "pending")
    if role:
        stmt = stmt.where(Approval.role == role)
    return session.scalar(stmt) or 0
