"""`orderhub demo`: server, worker and a simulated own store in one process on the embedded default.

The simulated store talks to OrderHub over real HTTP with an API key, exactly as a seller's
mini-program would, so a newcomer watches the whole path: orders arrive, get paid, change
address, get cancelled, and show up in the console within seconds.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections import deque
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from rich.console import Console
from sqlalchemy.orm import Session

from orderhub.alerts.demo import (
    RUNNING,
    STUCK_PAID_MINUTES_AGO,
    connect_notifiers,
    seed_team,
    start_notifier_simulators,
    stop_notifier_simulators,
)
from orderhub.api.app import create_app
from orderhub.channels.demo import connect_shops, start_simulators, stop_simulators
from orderhub.core import auth, worker
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.settings import get_settings
from orderhub.fulfilment.demo import (
    Courier,
    connect_carriers,
    start_carrier_simulators,
    stop_carrier_simulators,
)
from orderhub.inventory.catalog import warehouses
from orderhub.inventory.demo import HOT_SKU, seed_demo_stock
from orderhub.inventory.service import receive
from orderhub.routing.demo import seed_demo_rules
from orderhub.sim.own_store import OwnStore

DEMO = Actor.system("demo")
DEMO_USER = "demo"
SIM_KEY_NAME = "demo-own-store"


def seed_demo(session: Session) -> None:
    """Three warehouses with stock (one hot SKU that runs out), and region rules. Idempotent."""
    seed_demo_stock(session, actor=DEMO)
    seed_demo_rules(session, actor=DEMO)


def restock_hot_sku(session: Session) -> None:
    """The hot SKU's transfer arrives at Hangzhou: waiting orders get their stock by themselves."""
    hangzhou = next(w for w in warehouses(session) if w.code == "HZ")
    receive(session, sku=HOT_SKU, warehouse_id=hangzhou.id, quantity=6, actor=DEMO,
            reason="demo restock")


def demo_credentials() -> tuple[str, str]:
    """A fresh password for the demo user and a fresh key for the simulator, on every start."""
    password = secrets.token_urlsafe(9)
    with unit_of_work() as session:
        user = auth.find_user(session, DEMO_USER)
        if user is None:
            auth.create_user(session, username=DEMO_USER, role="admin", password=password, actor=DEMO)
        else:
            auth.set_password(session, user=user, password=password, actor=DEMO)
        auth.revoke_api_keys(session, name=SIM_KEY_NAME, actor=DEMO)
        _, key = auth.create_api_key(session, name=SIM_KEY_NAME, role="ops", actor=DEMO)
    return password, key


class StoreFeed:
    """Posts new orders and, now and then, the follow-ups real buyers cause."""

    def __init__(self, base_url: str, key: str, console: Console, seed: int | None = None) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=10,
                                   headers={"Authorization": f"Bearer {key}"})
        self.store = OwnStore(seed=seed)
        self.rng = random.Random(seed)
        self.recent: deque[dict[str, Any]] = deque(maxlen=30)
        self.steps = 0
        self.console = console

    def stuck_orders(self, count: int = 3) -> None:
        """Orders paid almost four hours ago and held by a rule: about to miss acceptance."""
        now = datetime.now(ZoneInfo("Asia/Shanghai"))
        for _ in range(count):
            order = self.store.odd_order("vague_address")
            paid = now - timedelta(minutes=STUCK_PAID_MINUTES_AGO)
            order |= {"created_at": (paid - timedelta(minutes=2)).isoformat(timespec="seconds"),
                      "paid_at": paid.isoformat(timespec="seconds")}
            self._send(order, "卡住 stuck")

    def step(self) -> None:
        roll = self.rng.random()
        unpaid = [o for o in self.recent if o["status"] == "pending_payment"]
        self.steps += 1
        if self.steps % 25 == 0:
            with unit_of_work() as session:
                restock_hot_sku(session)
            self.console.print(f"[cyan]{'到货 restock':<12}[/]{HOT_SKU} +6 @ HZ")
        elif roll < 0.15 and unpaid:
            order = unpaid[0]
            order |= {"status": "paid", "paid_at": self.store.new_order()["created_at"]}
            self._send(order, "付款 paid")
        elif roll < 0.22 and self.recent:
            order = self.rng.choice(list(self.recent))
            order["receiver"] = order["receiver"] | {"address": order["receiver"]["address"] + "（改）"}
            self._send(order, "改地址 address")
        elif roll < 0.25 and self.recent:
            order = self.recent.pop()
            self._send(order | {"status": "cancelled"}, "取消 cancel")
        elif roll < 0.37:
            order = self.store.odd_order()
            self.recent.append(order)
            self._send(order, "异常单 odd")
        else:
            order = self.store.new_order()
            self.recent.append(order)
            self._send(order, "新订单 new")

    def _send(self, payload: dict[str, Any], what: str) -> None:
        resp = self.client.post("/api/v1/orders", json=payload,
                                headers={"Idempotency-Key": secrets.token_hex(8)})
        if resp.status_code in (200, 201):
            body = resp.json()
            self.console.print(f"[green]{what:<12}[/]{body['order_no']} {body['status']:<15}"
                               f"¥{body['total']:>8} {payload['receiver']['province'][:3]}")
        else:
            self.console.print(f"[red]{what}: {resp.status_code} {resp.text[:200]}[/]")


def run_demo(*, host: str, port: int, every: float, duration: float | None, console: Console,
             seed: int | None = None) -> None:
    with unit_of_work() as session:
        seed_demo(session)
    sims = start_simulators(seed)
    notifier_sims = start_notifier_simulators()
    carrier_sims = start_carrier_simulators(seed)
    RUNNING.update(carrier_sims)
    RUNNING.update(sims)  # the platform simulators: the tracking numbers written back
    base_url = f"http://{host}:{port}"
    get_settings().public_url = base_url  # where the Kuaidi100 simulator pushes tracking
    with unit_of_work() as session:
        connect_shops(session, sims)
        connect_notifiers(session, notifier_sims)
        connect_carriers(session, carrier_sims)
    password, key = demo_credentials()
    with unit_of_work() as session:
        seed_team(session, console_user=DEMO_USER, public_url=base_url)
    server = uvicorn.Server(uvicorn.Config(create_app(), host=host, port=port, log_level="warning"))
    stop = threading.Event()
    threads = [
        threading.Thread(target=worker.run, kwargs={"stop": stop, "name": "demo-worker"}, daemon=True),
        threading.Thread(target=_feed, args=(base_url, key, every, stop, console, seed), daemon=True),
        threading.Thread(target=Courier(carrier_sims["kuaidi100"], seed=seed).run, args=(stop,),
                         daemon=True),
    ]
    if duration:
        threads.append(threading.Thread(target=_stop_after, args=(duration, server, stop), daemon=True))
    console.rule("[bold]OrderHub 订单中枢 — demo")
    console.print(f"Console: [bold]{base_url}/orders[/]   user [bold]{DEMO_USER}[/]  "
                  f"password [bold]{password}[/]")
    console.print(f"API:     {base_url}/api/v1/docs   (simulator key: {key[:12]}…)")
    console.print("A simulated own store sends orders (some odd) every few seconds. Rules hold")
    console.print("the odd ones; stock is reserved in the best of three warehouses; the hot SKU")
    console.print("runs out and is restocked now and then.")
    console.print(f"Simulators of {', '.join(sims)} run here; one shop each pulls every minute")
    console.print(f"({base_url}/channels). Taobao starts throttled and recovers; a product nobody")
    console.print(f"mapped yet waits on hold at {base_url}/sku-mapping.")
    console.print("Three orders paid almost four hours ago are stuck on hold: their acceptance")
    console.print("deadline passes in about three minutes, and the alert climbs from the inbox to")
    console.print(f"WeCom, SMS, the supervisor and the manager a minute apart ({base_url}/alerts;")
    console.print(f"what the WeCom, DingTalk, SMS and mail simulators received: {base_url}/simulators).")
    console.print(f"Warehouse: print labels for allocated orders at {base_url}/warehouse (waybill")
    console.print("numbers from the Cainiao, PDD and carrier simulators), scan them out at")
    console.print(f"{base_url}/scan (the tracking number reaches the platform simulator); a simulated")
    console.print("courier then scans each parcel through Kuaidi100 until it is delivered.")
    console.print("Ctrl-C stops.\n")
    for thread in threads:
        thread.start()
    try:
        server.run()
    finally:
        stop.set()
        stop_simulators(sims)
        stop_notifier_simulators(notifier_sims)
        stop_carrier_simulators(carrier_sims)


def _feed(base_url: str, key: str, every: float, stop: threading.Event, console: Console,
          seed: int | None) -> None:
    feed = StoreFeed(base_url, key, console, seed=seed)
    _wait_until_up(feed.client, stop)
    feed.stuck_orders()
    while not stop.is_set():
        try:
            feed.step()
        except httpx.HTTPError as exc:  # the server going away on shutdown is not a crash
            console.print(f"[yellow]store could not reach OrderHub: {exc}[/]")
        stop.wait(every)


def _wait_until_up(client: httpx.Client, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)


def _stop_after(seconds: float, server: uvicorn.Server, stop: threading.Event) -> None:
    stop.wait(seconds)
    stop.set()
    server.should_exit = True
