"""Fixtures shared by the worker and scheduler tests; import them into a test module to use."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import uvicorn
from sqlalchemy import Engine

from orderhub.core import clock, outbox
from orderhub.core.settings import get_settings
from orderhub.plugins import load_plugins
from tests.support.app import shared_app
from tests.support.tables import metadata as side_effect_metadata

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def set(self, at: datetime) -> None:
        self.now = at


@pytest.fixture
def fake_clock() -> Iterator[FakeClock]:
    fake = FakeClock(START)
    clock.set_clock(fake)
    yield fake
    clock.set_clock(None)


@pytest.fixture
def register() -> Iterator[Callable[..., str]]:
    """register(topic, fn) a handler, or register(None, fn, task="name") a task; removed after."""
    names: list[str] = []

    def add(topic: str | None, fn: Callable[..., object], *, name: str | None = None,
            task: str | None = None) -> str:
        if task is not None:
            outbox.task(task)(fn)
            names.append(task)
            return task
        assert topic is not None
        key = name or f"test.{fn.__name__}"
        outbox.handler(topic, name=key)(fn)
        names.append(key)
        return key

    yield add
    for key in names:
        outbox.unregister(key)


@pytest.fixture
def side_effect_table(committed: Engine) -> Iterator[Engine]:
    side_effect_metadata.drop_all(committed)
    side_effect_metadata.create_all(committed)
    yield committed
    side_effect_metadata.drop_all(committed)


@pytest.fixture
def live_api(committed: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """OrderHub's API over real HTTP in a thread; ORDERHUB_PUBLIC_URL points at it."""
    load_plugins()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(shared_app(), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "API server did not start"
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setattr(get_settings(), "public_url", url)
    yield url
    server.should_exit = True
    thread.join(timeout=10)
