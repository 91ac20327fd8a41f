"""Simulators and shops for the end-to-end channel tests (real HTTP, real database)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from orderhub.channels import service
from orderhub.channels.demo import sim_credentials
from orderhub.channels.registry import PLATFORMS, simulator_class
from orderhub.core.db import unit_of_work
from orderhub.orders.models import Order, Shop
from orderhub.plugins import load_plugins
from tests.builders import TEST_ACTOR


def available(channel: str) -> bool:
    return importlib.util.find_spec(PLATFORMS[channel][1].partition(":")[0]) is not None


ALL_PLATFORMS = [pytest.param(c, marks=pytest.mark.skipif(not available(c), reason="not built"))
                 for c in PLATFORMS]


@pytest.fixture
def make_sim() -> Iterator[Callable[..., Any]]:
    started: list[Any] = []

    def make(channel: str, **kwargs: Any) -> Any:
        sim = simulator_class(channel)(seed=kwargs.pop("seed", 7), **kwargs)
        sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def add_shop(committed: Engine) -> Callable[..., int]:
    def add(channel: str, sim: Any, *, name: str | None = None, **overrides: Any) -> int:
        load_plugins()
        creds = sim_credentials(sim) | overrides
        with unit_of_work(committed) as session:
            new = service.add_shop(session, name=name or f"{channel}-shop", channel=channel,
                                   actor=TEST_ACTOR, base_url=sim.url, **creds)
            return new.shop.id
    return add


def stored_orders(engine: Engine, shop_id: int) -> dict[str, Order]:
    with unit_of_work(engine) as session:
        rows = session.scalars(select(Order).where(Order.shop_id == shop_id)).all()
        for row in rows:
            _ = row.lines
        session.expunge_all()
    return {o.platform_order_id: o for o in rows}


def shop_named(engine: Engine, name: str) -> Shop:
    with unit_of_work(engine) as session:
        shop = session.scalar(select(Shop).where(Shop.name == name))
        session.expunge_all()
    assert shop is not None
    return shop
