"""Issue 6's proof, end to end against the simulators over real HTTP: orders pulled from two
platform simulators → checked and allocated by the worker → labels printed with waybill numbers
from the carrier simulators (Cainiao down: JD's parcels still print, Taobao's wait and complete
when Cainiao is back) → scanned out → the tracking numbers written back to the same platform
simulators → Kuaidi100 pushes → delivered."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pypdfium2 as pdfium
import pytest
from sqlalchemy import Engine, select, update

from orderhub.channels import sync
from orderhub.core import worker
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent
from orderhub.demo import seed_demo
from orderhub.fulfilment import demo
from orderhub.fulfilment.carriers import breaker
from orderhub.fulfilment.carriers.models import Waybill
from orderhub.fulfilment.carriers.service import RETRY_TOPIC, waiting
from orderhub.fulfilment.labels.service import batch_pdf, print_labels
from orderhub.fulfilment.outbound.service import scan
from orderhub.inventory.reservations import active_reservations
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order
from orderhub.plugins import load_plugins

PACKER = Actor(kind="user", name="packer-1")
PER_PLATFORM = 5


@pytest.fixture
def carriers(live_api: str) -> Iterator[dict[str, Any]]:
    breaker.reset_all()
    sims = demo.start_carrier_simulators(seed=9)
    with unit_of_work() as session:
        demo.connect_carriers(session, sims)
    yield sims
    demo.stop_carrier_simulators(sims)
    breaker.reset_all()


def _pulled(engine: Engine, make_sim: Callable[..., Any], add_shop: Callable[..., int],
            channel: str) -> tuple[Any, int]:
    sim = make_sim(channel, seed=21)
    now = datetime.now(UTC)
    sim.generate(PER_PLATFORM, start=now - timedelta(hours=1), end=now - timedelta(minutes=1),
                 unpaid_share=0.0)
    shop_id = add_shop(channel, sim)
    report = sync.pull_shop(engine, shop_id=shop_id, trigger="manual")
    assert report.error is None, report
    return sim, shop_id


def _orders(engine: Engine, shop_id: int, status: str | None = None) -> list[Order]:
    with unit_of_work(engine) as session:
        query = select(Order).where(Order.shop_id == shop_id).order_by(Order.id)
        if status:
            query = query.where(Order.status == status)
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def _tracking_no(engine: Engine, order_id: int) -> str:
    with unit_of_work(engine) as session:
        return session.scalars(select(Waybill.tracking_no).where(
            Waybill.order_id == order_id, Waybill.status == "issued")).one()


def _retries_due_now(engine: Engine) -> None:
    """The carrier's back; the retry events need not wait out their backoff in a test."""
    with unit_of_work(engine) as session:
        session.execute(update(OutboxEvent).where(OutboxEvent.topic == RETRY_TOPIC,
                                                  OutboxEvent.status == "pending")
                        .values(available_at=datetime.now(UTC)))


def test_pull_allocate_print_scan_write_back_track_deliver(
        committed: Engine, make_sim: Callable[..., Any], add_shop: Callable[..., int],
        carriers: dict[str, Any]) -> None:
    load_plugins()
    with unit_of_work(committed) as session:
        seed_demo(session)  # three warehouses with stock of the simulators' products
    jd, jd_shop = _pulled(committed, make_sim, add_shop, "jd")
    taobao, tb_shop = _pulled(committed, make_sim, add_shop, "taobao")
    worker.run(burst=True, engine=committed)  # the pulled pages are checked and allocated
    jd_orders = _orders(committed, jd_shop, lc.ALLOCATED)
    tb_orders = _orders(committed, tb_shop, lc.ALLOCATED)
    assert len(jd_orders) >= 3 and len(tb_orders) >= 3, (
        [o.status for o in _orders(committed, jd_shop)], [o.status for o in _orders(committed, tb_shop)])

    # Cainiao (Taobao's required e-waybill source) is down; JD's go by the carriers' own APIs.
    carriers["cainiao"].faults.update({"errors": 10_000})
    batch = print_labels(committed, actor=PACKER, order_ids=[o.id for o in jd_orders + tb_orders])
    assert sorted(batch.printed) == sorted(o.order_no for o in jd_orders)
    assert set(batch.waiting) == {o.order_no for o in tb_orders}
    assert all("retrying" in why or "down" in why for why in batch.waiting.values()), batch.waiting
    assert batch_pdf_pages(committed, batch.batch_id) == len(jd_orders)
    with unit_of_work(committed) as session:
        assert all(waiting(session, o.id).kind == "retrying" for o in tb_orders)

    # Cainiao comes back: the queued retries take the numbers; printing again prints them.
    carriers["cainiao"].faults.update({"errors": 0})
    breaker.reset_all()  # its 30 s open state is covered in tests/fulfilment/carriers
    _retries_due_now(committed)
    worker.run(burst=True, engine=committed)
    with unit_of_work(committed) as session:
        assert all(waiting(session, o.id) is None for o in tb_orders)
    again = print_labels(committed, actor=PACKER, order_ids=[o.id for o in tb_orders])
    assert sorted(again.printed) == sorted(o.order_no for o in tb_orders) and not again.waiting
    assert len(carriers["cainiao"].received) == len(tb_orders)  # one number each, reused

    # Scan every parcel out: shipped, stock consumed, the write-back and tracking queued.
    numbers = {o.id: _tracking_no(committed, o.id) for o in jd_orders + tb_orders}
    for order_id, number in numbers.items():
        with unit_of_work(committed) as session:
            result = scan(session, code=f" {number.lower()}\n", actor=PACKER, station="dock-1")
            assert result.ok and result.kind == "shipped", result
            assert active_reservations(session, order_id) == []
    worker.run(burst=True, engine=committed)

    for sim, orders in ((jd, jd_orders), (taobao, tb_orders)):
        written = {s["tracking_no"] for s in sim.book.shipments}
        assert written == {numbers[o.id] for o in orders}
    subscribed = set(carriers["kuaidi100"].numbers())
    assert subscribed == set(numbers.values())

    # The courier walks every parcel; Kuaidi100 pushes each scan; all are delivered.
    courier = demo.Courier(carriers["kuaidi100"])
    for number in subscribed:
        courier.seen[number] = (0.0, 0, False)
    courier.tick(now=10_000)
    for shop in (jd_shop, tb_shop):
        delivered = {o.id for o in _orders(committed, shop, lc.DELIVERED)}
        assert delivered == {o.id for o in (jd_orders if shop == jd_shop else tb_orders)}


def batch_pdf_pages(engine: Engine, batch_id: int) -> int:
    with unit_of_work(engine) as session:
        return len(pdfium.PdfDocument(batch_pdf(session, batch_id)))
