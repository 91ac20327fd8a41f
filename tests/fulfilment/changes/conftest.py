from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from orderhub.fulfilment.carriers import breaker
from tests.fulfilment.carriers.support import Sims
from tests.support.fixtures import fake_clock  # noqa: F401


@pytest.fixture
def sims(committed: Engine) -> Iterator[Sims]:
    breaker.reset_all()
    with Sims() as running:
        yield running
    breaker.reset_all()
