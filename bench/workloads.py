"""What bench/run.py measures: order intake through the service layer and as raw inserts, and
event delivery through one worker. Each function times only the work it names."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from orderhub.core import clock, outbox, worker
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.ids import order_numbers
from orderhub.core.models import AuditEntry, OutboxEvent
from orderhub.core.money import to_minor
from orderhub.core.settings import get_settings
from orderhub.orders.models import Order, OrderLine, RawPayload, Shop
from orderhub.orders.schemas import OrderIn
from orderhub.orders.service import create_shop, phone_tail, receive_order

ACTOR = Actor(kind="system", name="bench")
SHOP = "own-store"
ORDERS, LINES, EVENTS = Order.__table__, OrderLine.__table__, OutboxEvent.__table__
AUDIT, RAW = AuditEntry.__table__, RawPayload.__table__

_PROVINCES = [("浙江省", "杭州市", "西湖区"), ("广东省", "深圳市", "南山区"),
              ("上海市", "上海市", "浦东新区"), ("北京市", "北京市", "朝阳区"),
              ("四川省", "成都市", "武侯区")]
_SKUS = [(f"YD-2026-{colour}-{size}", f"冬季加厚羽绒服 {name} {size}", price)
         for colour, name, price in (("BLK", "黑色", 399), ("WHT", "白色", 429), ("RED", "红色", 459))
         for size in ("S", "M", "L", "XL")]


@dataclass(frozen=True)
class Timing:
    count: int
    seconds: float  # wall clock
    cpu_seconds: float  # of this (client) process only; the database server's CPU is not in it

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    @property
    def ms_each(self) -> float:
        return 1000 * self.seconds / self.count if self.count else 0.0

    @property
    def cpu_ms_each(self) -> float:
        return 1000 * self.cpu_seconds / self.count if self.count else 0.0

    def __add__(self, other: Timing) -> Timing:
        return Timing(self.count + other.count, self.seconds + other.seconds,
                      self.cpu_seconds + other.cpu_seconds)


NO_TIME = Timing(0, 0.0, 0.0)


class Stopwatch:
    """Wall and CPU time of a block: `with Stopwatch() as sw: ...; sw.timing(count)`."""

    def __enter__(self) -> Stopwatch:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self._wall, time.process_time() - self._cpu

    def timing(self, count: int) -> Timing:
        return Timing(count, self.wall, self.cpu)


# --- order payloads (like tests/builders.py OWN_STORE_ORDER, with 1–3 lines) ----------------


def order_payloads(prefix: str, count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [_payload(rng, f"{prefix}{n:08d}") for n in range(count)]


def _payload(rng: random.Random, platform_order_id: str) -> dict[str, Any]:
    province, city, district = rng.choice(_PROVINCES)
    lines = [{"platform_sku": sku, "title": title, "quantity": rng.randint(1, 3),
              "unit_price": f"{price}.00", "discount": rng.choice(["0.00", "20.00"])}
             for sku, title, price in rng.sample(_SKUS, rng.randint(1, 3))]
    goods = sum(int(ln["unit_price"][:-3]) * ln["quantity"] - int(ln["discount"][:-3]) for ln in lines)
    return {
        "shop": SHOP, "platform_order_id": platform_order_id, "status": "paid",
        "created_at": "2026-11-23T10:02:11+08:00", "paid_at": "2026-11-23T10:03:40+08:00",
        "buyer": {"id": f"u-{rng.randint(1, 10**6)}", "nick": "小鹿"},
        "receiver": {"name": "张三", "phone": f"138{rng.randint(0, 10**8 - 1):08d}",
                     "province": province, "city": city, "district": district,
                     "address": f"文三路{rng.randint(1, 999)}号"},
        "buyer_remark": rng.choice(["", "请周末不要送货"]), "seller_memo": "", "currency": "CNY",
        "lines": lines, "shipping_fee": "0.00", "total": f"{goods}.00", "presale": False,
    }


def ensure_shop(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        shop = session.scalar(select(Shop).where(Shop.name == SHOP))
        shop = shop or create_shop(session, name=SHOP, channel="webhook", actor=ACTOR)
        session.flush()
        return shop.id


# --- (a) the service layer ------------------------------------------------------------------


def service_intake(engine: Engine, payloads: list[dict[str, Any]]) -> Timing:
    """What a webhook request does after parsing JSON: validate, receive_order, commit."""
    with Stopwatch() as sw:
        for payload in payloads:
            with unit_of_work(engine) as session:
                receive_order(session, data=OrderIn.model_validate(payload), raw=payload,
                              source="bench", actor=ACTOR)
    return sw.timing(len(payloads))


# --- (b) the same rows as plain Core inserts -------------------------------------------------


def raw_intake(engine: Engine, payloads: list[dict[str, Any]], shop_id: int) -> Timing:
    """Order + lines + outbox event + audit row + raw payload, one transaction per order."""
    numbers = order_numbers(engine, get_settings().timezone)
    with Stopwatch() as sw:
        for payload in payloads:
            with engine.begin() as conn:
                _insert_order_rows(conn, payload, shop_id, numbers.next())
    return sw.timing(len(payloads))


def _insert_order_rows(conn: Connection, p: dict[str, Any], shop_id: int, order_no: str) -> None:
    now, zone = clock.now(), get_settings().timezone
    lines = [{"line_no": n, "platform_sku": ln["platform_sku"], "title": ln["title"],
              "quantity": ln["quantity"], "unit_price": to_minor(ln["unit_price"], "CNY"),
              "discount": to_minor(ln["discount"], "CNY"), "status": "normal",
              "refund_status": "none"} for n, ln in enumerate(p["lines"], start=1)]
    goods = sum(ln["unit_price"] * ln["quantity"] for ln in lines)
    total = to_minor(p["total"], "CNY")
    r = p["receiver"]
    order_id = conn.execute(ORDERS.insert().returning(ORDERS.c.id), {
        "order_no": order_no, "shop_id": shop_id, "channel": "webhook",
        "platform_order_id": p["platform_order_id"], "status": "paid", "platform_status": "paid",
        "buyer_id": p["buyer"]["id"], "buyer_nick": p["buyer"]["nick"], "receiver_name": r["name"],
        "receiver_phone": r["phone"], "receiver_phone_tail": phone_tail(r["phone"]),
        "receiver_province": r["province"], "receiver_city": r["city"],
        "receiver_district": r["district"], "receiver_street": "", "receiver_detail": r["address"],
        "receiver_zip": "", "receiver_country": "CN", "buyer_remark": p["buyer_remark"],
        "seller_memo": p["seller_memo"], "currency": "CNY", "goods_total": goods,
        "discount_total": goods - total, "shipping_fee": 0, "total": total,
        "created_at": clock.to_utc(datetime.fromisoformat(p["created_at"]), zone),
        "paid_at": clock.to_utc(datetime.fromisoformat(p["paid_at"]), zone), "modified_at": None,
        "presale": False, "promised_ship_at": None, "tags": [], "priority": 0, "attributes": {},
        "received_at": now,
        "updated_at": now, "version": 1}).scalar_one()
    conn.execute(LINES.insert(), [{**line, "order_id": order_id} for line in lines])
    conn.execute(EVENTS.insert(), {
        "topic": "order.created", "aggregate_type": "order", "aggregate_id": str(order_id),
        "payload": {"order_no": order_no, "shop": SHOP, "total": total, "currency": "CNY"},
        "actor": ACTOR.as_dict(), "created_at": now, "status": "pending", "attempts": 0,
        "available_at": now})
    conn.execute(AUDIT.insert(), {
        "at": now, "actor_kind": ACTOR.kind, "actor_id": None, "actor_name": ACTOR.name,
        "entity_type": "order", "entity_id": order_no, "action": "order.created",
        "before": None, "after": {"status": "paid", "total": total, "lines": len(lines)}})
    conn.execute(RAW.insert(), {"order_id": order_id, "received_at": now, "source": "bench",
                                "payload": p})


# --- (c) event delivery through one worker ---------------------------------------------------


def close_open_events(engine: Engine) -> None:
    """Take the intake phases' order.created events out of the queue (not part of (c))."""
    with engine.begin() as conn:
        conn.execute(update(EVENTS).where(EVENTS.c.status != "done")
                     .values(status="done", processed_at=clock.now()))


def queue_events(engine: Engine, topic: str, count: int) -> None:
    now = clock.now() - timedelta(seconds=1)
    rows = [{"topic": topic, "payload": {"n": n}, "created_at": now, "available_at": now,
             "status": "pending", "attempts": 0} for n in range(count)]
    with engine.begin() as conn:
        conn.execute(EVENTS.insert(), rows)


def drain(engine: Engine, topic: str, count: int,
          handler: Callable[..., None] | None) -> Timing:
    """`count` events of `topic` through worker.run(burst=True), with or without a handler."""
    close_open_events(engine)
    queue_events(engine, topic, count)
    name = f"bench.{topic}"
    if handler is not None:
        outbox.handler(topic, name=name)(handler)
    try:
        with Stopwatch() as sw:
            done = worker.run(burst=True, engine=engine, name="bench")
    finally:
        outbox.unregister(name)
    if done != count:
        raise RuntimeError(f"worker finished {done} of {count} events")
    return sw.timing(done)
