"""The carrier simulators with the labels tests' accounts and rules on them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from orderhub.fulfilment.carriers import breaker
from tests.fulfilment.carriers.support import Sims
from tests.fulfilment.labels.support import carriers


@pytest.fixture
def sims(committed: Engine) -> Iterator[Sims]:
    breaker.reset_all()
    with Sims() as running:
        carriers(committed, running)
        yield running
    breaker.reset_all()
