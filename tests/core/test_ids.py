"""Global order numbers: format, order, uniqueness across processes without a global lock."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import func, select

from orderhub.core import clock
from orderhub.core.db import unit_of_work
from orderhub.core.ids import ALPHABET, OrderNumbers, compose
from orderhub.orders.models import Order
from tests.builders import ensure_shop

FORMAT = re.compile(rf"^\d{{6}}[{ALPHABET}]{{14}}$")


def test_format_is_20_readable_characters(engine):
    gen = OrderNumbers(engine)
    gen.prime()
    number = gen.next()
    assert FORMAT.match(number), number
    assert not set(number) & set("ILOU")


def test_numbers_sort_by_time_and_date_prefix_is_local(engine):
    gen = OrderNumbers(engine)
    gen.prime()
    start = datetime(2026, 11, 23, 15, 59, 0, tzinfo=timezone.utc)  # 23:59 in Shanghai
    numbers = []
    try:
        for step in range(0, 240, 7):
            at = start + timedelta(seconds=step)
            clock.set_clock(lambda at=at: at)
            numbers.extend(gen.next() for _ in range(3))
    finally:
        clock.set_clock(None)
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert numbers[0].startswith("261123") and numbers[-1].startswith("261124")


def test_clock_stepping_back_does_not_repeat(engine):
    gen = OrderNumbers(engine)
    gen.prime()
    now = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
    try:
        clock.set_clock(lambda: now)
        a = gen.next()
        clock.set_clock(lambda: now - timedelta(seconds=5))
        b = gen.next()
    finally:
        clock.set_clock(None)
    assert b > a


def test_compose_layout():
    at = datetime(2026, 11, 23, 2, 2, 11, 5000, tzinfo=timezone.utc)  # 10:02:11.005 Shanghai
    number = compose(at, node=1, seq=2)
    assert number[:6] == "261123" and number[-8:] == "00010002"


def test_numbers_are_what_compose_makes_in_any_zone(engine):
    """The generator works the local date and time out once a second: its numbers must be
    compose's, across midnight, both summer-time shifts (the repeated hour too) and a
    half-hour shift."""
    shifts = {"Asia/Shanghai": [datetime(2026, 11, 23, 15, 59, 59, tzinfo=UTC)],
              "America/New_York": [datetime(2026, 3, 8, 6, 59, 58, tzinfo=UTC),
                                   datetime(2026, 11, 1, 5, 59, 58, tzinfo=UTC)],
              "Australia/Lord_Howe": [datetime(2026, 4, 4, 14, 59, 58, tzinfo=UTC)]}
    steps = [timedelta(milliseconds=ms) for ms in (0, 1, 999, 1000, 1001, 1999, 2500, 3000)]
    checked = 0
    try:
        for zone, changes in shifts.items():
            gen = OrderNumbers(engine, zone)
            gen.prime()
            for at in (c + later + step for c in changes
                       for later in (timedelta(0), timedelta(minutes=30)) for step in steps):
                clock.set_clock(lambda at=at: at)
                for _ in range(3):  # within one millisecond the sequence counts up
                    number = gen.next()
                    seq = 0
                    for ch in number[-4:]:
                        seq = seq * 32 + ALPHABET.index(ch)
                    assert number == compose(at, gen._node, seq, zone), (zone, at)
                    checked += 1
    finally:
        clock.set_clock(None)
    assert checked == 3 * 2 * len(steps) * 4


WORKER = """
import sys
from orderhub.core.db import get_engine, unit_of_work
from orderhub.core.ids import order_numbers
from orderhub.core.settings import get_settings
from orderhub.orders.schemas import OrderIn
from orderhub.orders.service import receive_order
from orderhub.sim.own_store import OwnStore
from tests.builders import TEST_ACTOR
order_numbers(get_engine(), get_settings().timezone).prime()
store = OwnStore(seed=int(sys.argv[1]))
for i in range(int(sys.argv[2])):
    payload = store.new_order()
    payload["platform_order_id"] = f"P{sys.argv[1]}-{i}"
    with unit_of_work() as s:
        receive_order(s, data=OrderIn.model_validate(payload), raw=payload, source="test", actor=TEST_ACTOR)
"""


def test_concurrent_processes_create_unique_numbers(postgres_only, committed):
    """4 processes create orders at once on PostgreSQL: every number unique and well-formed."""
    with unit_of_work() as s:
        ensure_shop(s)
    procs, per = 4, 300
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    running = [subprocess.Popen([sys.executable, "-c", WORKER, str(n), str(per)], env=env)
               for n in range(procs)]
    assert [p.wait(timeout=600) for p in running] == [0] * procs
    with unit_of_work() as s:
        numbers = list(s.scalars(select(Order.order_no)))
        assert s.scalar(select(func.count(func.distinct(Order.order_no)))) == procs * per
    assert len(numbers) == procs * per and all(FORMAT.match(n) for n in numbers)
