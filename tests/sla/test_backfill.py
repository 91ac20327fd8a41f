"""Orders open before SLAs were switched on get their stage's deadline from `sla backfill`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from typer.testing import CliRunner

from orderhub.cli import app as cli_app
from orderhub.core.db import unit_of_work
from orderhub.orders import lifecycle as lc
from orderhub.orders.holds import add_hold
from orderhub.orders.models import Order
from orderhub.sla import service
from orderhub.sla.models import OrderSla
from tests.builders import TEST_ACTOR
from tests.sla.helpers import drain, install_defaults, move, new_paid_order


def test_open_orders_without_a_deadline_get_one_and_later_events_still_apply(committed) -> None:
    install_defaults()
    paid_id, _ = new_paid_order()
    held_id, held_no = new_paid_order()
    printed_id, printed_no = new_paid_order()
    move(printed_no, lc.ALLOCATED)
    drain(committed)
    with unit_of_work() as session:
        add_hold(session, order_no=held_no, reason_code="address_check",
                 reason="核实地址", actor=TEST_ACTOR)
        session.execute(delete(OrderSla))  # as if SLAs had just been switched on
    result = CliRunner().invoke(cli_app, ["sla", "backfill"])
    assert result.exit_code == 0 and "3 open orders" in result.output, result.output
    with unit_of_work() as session:
        rows = {r.order_id: r for r in session.scalars(select(OrderSla))}
        paid = session.get(Order, paid_id)
        assert rows[paid_id].stage == "accept" and rows[held_id].stage == "accept"
        assert rows[paid_id].deadline == paid.paid_at + timedelta(hours=4)
        assert rows[printed_id].stage == "print"
        assert service.backfill(session) == 0
    move(printed_no, lc.LABEL_PRINTED)
    drain(committed)
    with unit_of_work() as session:
        assert session.get(OrderSla, printed_id).stage == "ship"
