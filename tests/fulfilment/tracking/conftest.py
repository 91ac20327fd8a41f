"""Kuaidi100 simulator and OrderHub served over real HTTP, wired to each other."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orderhub.core.db import unit_of_work
from orderhub.fulfilment.tracking import service
from orderhub.sim.kuaidi100 import Kuaidi100Sim
from tests.builders import TEST_ACTOR


@pytest.fixture
def kuaidi100(live_api: str) -> Iterator[Kuaidi100Sim]:
    """The simulator, started, with OrderHub's Kuaidi100 account pointing at it."""
    sim = Kuaidi100Sim()
    sim.start()
    with unit_of_work() as session:
        service.configure_kuaidi100(session, base_url=sim.url, customer=sim.customer, key=sim.key,
                                    actor=TEST_ACTOR)
    yield sim
    sim.stop()
