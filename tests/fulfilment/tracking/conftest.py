"""Kuaidi100 simulator and OrderHub served over real HTTP, wired to each other."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from sqlalchemy import Engine

from orderhub.api.app import create_app
from orderhub.core.db import unit_of_work
from orderhub.core.settings import get_settings
from orderhub.fulfilment.tracking import service
from orderhub.plugins import load_plugins
from orderhub.sim.kuaidi100 import Kuaidi100Sim
from tests.builders import TEST_ACTOR


@pytest.fixture
def live_api(committed: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """OrderHub's API over real HTTP in a thread; ORDERHUB_PUBLIC_URL points at it."""
    load_plugins()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "API server did not start"
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setattr(get_settings(), "public_url", url)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


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
