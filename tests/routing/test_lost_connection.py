"""On PostgreSQL the routing situation is read with three statements pipelined on the driver's
connection. A connection lost under it must fail like any other statement: a DBAPIError that
callers retry, the connection invalidated so the pool drops it, and the next allocation fine."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from orderhub.core.db import unit_of_work
from orderhub.orders.models import Order
from orderhub.routing import service, situation
from tests.builders import TEST_ACTOR
from tests.routing.helpers import order, put_stock, seed
from tests.support.postgres import terminate_backend


def test_a_connection_lost_under_the_pipelined_read_is_dropped_and_the_next_allocation_works(
        postgres_only, committed) -> None:
    with unit_of_work(committed) as s:
        ids = seed(s)
        put_stock(s, ids, {"HZ": {"A": 5}})
        order_id = order(s, lines=[("A", 1)]).id
    with Session(committed) as s:  # not a unit of work: its rollback must not mask the error
        o = s.get(Order, order_id)
        assert o.lines  # loaded now: the pipelined read is the first statement after the loss
        pid = s.scalar(text("SELECT pg_backend_pid()"))
        terminate_backend(committed, pid)
        with pytest.raises(DBAPIError) as lost:
            situation.gather(s, o)
    assert lost.value.connection_invalidated
    with unit_of_work(committed) as s:
        assert s.scalar(text("SELECT pg_backend_pid()")) != pid
        result = service.allocate(s, order=s.get(Order, order_id), actor=TEST_ACTOR)
        assert (result.outcome, result.warehouse) == ("allocated", "HZ")
