"""The lists tests' day: two warehouses, stock, a carrier account on the simulators, four orders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from orderhub.fulfilment.carriers import breaker
from tests.fulfilment.carriers.support import Sims
from tests.fulfilment.lists.support import Day, warehouse_day


@pytest.fixture
def day(committed: Engine) -> Iterator[Day]:
    breaker.reset_all()
    with Sims() as sims:
        yield warehouse_day(committed, sims)
    breaker.reset_all()
