"""The demo's platforms: a simulator of each of the six platforms, in this process, with one shop
each pulling from it every minute. Taobao starts throttled (watch it back off and recover) and
every platform now and then sells a product nobody mapped yet (watch the order wait on hold)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from orderhub.channels import service
from orderhub.channels.registry import PLATFORMS, simulator_class
from orderhub.core.actor import Actor
from orderhub.core.errors import UnknownShop
from orderhub.orders.service import find_shop

DEMO = Actor.system("demo")
PULL_SECONDS = 60
NEW_ORDER_SECONDS = 25
THROTTLED = "taobao"


def sim_credentials(sim: Any) -> dict[str, Any]:
    """What a shop needs to talk to this simulator (its keys, and what only some platforms use)."""
    return {"app_key": sim.app_key, "app_secret": sim.app_secret,
            "access_token": sim.access_token, "extra": dict(sim.extra)}


def start_simulators(seed: int | None = None) -> dict[str, Any]:
    """Six running simulators with the last two hours of orders and new ones arriving."""
    sims = {}
    now = datetime.now(UTC)
    for i, channel in enumerate(PLATFORMS):
        sim = simulator_class(channel)(seed=None if seed is None else seed + i)
        sim.generate(12, start=now - timedelta(hours=2), end=now - timedelta(seconds=10),
                     unknown_sku_share=0.05)
        sim.start()
        sim.start_feed(every_seconds=NEW_ORDER_SECONDS, unknown_sku_share=0.08)
        sims[channel] = sim
    sims[THROTTLED].faults.update({"throttle": 1})
    return sims


def demo_shop_name(channel: str) -> str:
    return f"demo-{channel}"


def connect_shops(session: Session, sims: dict[str, Any]) -> list[str]:
    """One shop per simulator; on a restart the shops follow the simulators' new addresses."""
    names = []
    for channel, sim in sims.items():
        name = demo_shop_name(channel)
        try:
            find_shop(session, name)
        except UnknownShop:
            service.add_shop(session, name=name, channel=channel, actor=DEMO,
                             display_name=f"演示 {channel}", base_url=sim.url,
                             pull_interval_seconds=PULL_SECONDS, **sim_credentials(sim))
        else:
            service.update_shop(session, name=name, actor=DEMO, base_url=sim.url,
                                pull_interval_seconds=PULL_SECONDS, **sim_credentials(sim))
        names.append(name)
    return names


def stop_simulators(sims: dict[str, Any]) -> None:
    for sim in sims.values():
        sim.stop()
