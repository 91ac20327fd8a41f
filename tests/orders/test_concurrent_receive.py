"""The same orders arriving at once from several processes (push and pull racing): one order each."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import func, select

from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent
from orderhub.orders.models import Order
from tests.builders import ensure_shop

SENDER = """
import sys
from orderhub.core.db import get_engine, unit_of_work
from orderhub.core.ids import order_numbers
from orderhub.core.settings import get_settings
from orderhub.orders.schemas import OrderIn
from orderhub.orders.service import receive_order
from orderhub.sim.own_store import OwnStore
from tests.builders import TEST_ACTOR
order_numbers(get_engine(), get_settings().timezone).prime()
store = OwnStore(seed=7)  # every process sends the very same orders
for i in range(int(sys.argv[1])):
    payload = store.new_order()
    payload["platform_order_id"] = f"RACE-{i}"
    with unit_of_work() as s:
        receive_order(s, data=OrderIn.model_validate(payload), raw=payload, source="test",
                      actor=TEST_ACTOR)
"""


def test_racing_copies_of_the_same_orders_create_each_once(postgres_only, committed):
    with unit_of_work() as s:
        ensure_shop(s)
    procs, orders = 4, 150
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    running = [subprocess.Popen([sys.executable, "-c", SENDER, str(orders)], env=env,
                                stderr=subprocess.PIPE, text=True) for _ in range(procs)]
    results = [(p.wait(timeout=600), p.stderr.read()) for p in running]
    assert [code for code, _ in results] == [0] * procs, [err[-2000:] for _, err in results]
    with unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == orders
        created = s.scalar(select(func.count()).select_from(OutboxEvent)
                           .where(OutboxEvent.topic == "order.created"))
        assert created == orders  # the copies that came second were updates with no change
