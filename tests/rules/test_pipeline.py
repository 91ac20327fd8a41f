"""Rules inside the order pipeline: evaluated on intake and on changes, once per event."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core.actor import Actor
from orderhub.orders.schemas import OrderIn
from orderhub.pipeline import receive
from orderhub.rules.approvals import decide
from orderhub.rules.models import Approval, RuleFiring
from orderhub.rules.pack import install_default_pack
from tests.builders import TEST_ACTOR, ensure_shop, order_payload
from tests.rules.helpers import GOOD_ADDRESS, ago, line, sku

BOSS = Actor(kind="user", name="boss", id=7, role="supervisor")


def intake(session: Session, payload: dict) -> object:
    ensure_shop(session)
    return receive(session, data=OrderIn.model_validate(payload), raw=payload, source="test",
                   actor=TEST_ACTOR)


def test_high_value_order_waits_for_approval_then_goes_on(session: Session) -> None:
    install_default_pack(session, actor=TEST_ACTOR)
    code = sku(session, "TV-9")
    payload = order_payload(lines=[line(code, price="2999.00")], total="2999.00",
                            receiver=GOOD_ADDRESS, buyer_remark="", created_at=ago(1),
                            paid_at=ago(1))
    order = intake(session, payload).order
    assert order.status == "on_hold"
    assert [h.reason_code for h in order.holds if h.status == "open"] == ["approval_required"]
    firings = list(session.scalars(select(RuleFiring).where(RuleFiring.order_id == order.id)))
    assert len(firings) == 1 and firings[0].trigger == "order.created"
    approval = session.scalar(select(Approval).where(Approval.order_id == order.id))
    decide(session, approval_id=approval.id, approve=True, comment="ok", actor=BOSS)
    assert order.status == "paid"  # released; routing picks it up from order.released

    # the platform sends the same order again with a new remark: only the remark rules run
    payload["buyer_remark"] = "请开发票"
    payload["modified_at"] = ago(0)
    again = intake(session, payload)
    assert "order.remark_changed" in again.changes
    assert sorted(h.reason_code for h in order.holds if h.status == "open") == ["buyer_remark"]
    assert session.scalar(select(Approval).where(Approval.order_id == order.id,
                                                 Approval.status == "pending")) is None
