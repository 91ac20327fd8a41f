"""Printing batches against the real carrier simulators: orders to label_printed, the batch row,
reprints reusing the waybill, a carrier down, warehouse + due_before selection, wrong statuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from orderhub.core import clock
from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput, NotFound, OrderNotFound
from orderhub.fulfilment.carriers import breaker
from orderhub.fulfilment.carriers.models import Waybill
from orderhub.fulfilment.labels import service
from orderhub.fulfilment.labels.models import LabelBatch
from orderhub.orders import lifecycle as lc
from orderhub.orders.holds import add_hold
from orderhub.orders.models import Order
from orderhub.orders.service import get_order, transition
from tests.fulfilment.carriers.support import Sims
from tests.fulfilment.labels.support import ACTOR, allocated, pdf_pages


def _status(order_no: str) -> str:
    with unit_of_work() as session:
        return get_order(session, order_no).status


def _waybills(order_no: str) -> list[str]:
    with unit_of_work() as session:
        order = get_order(session, order_no)
        return list(session.scalars(select(Waybill.tracking_no).where(Waybill.order_id == order.id)))


def test_batch_prints_sorted_by_deadline_and_a_reprint_reuses_the_waybill(sims: Sims, committed: Engine) -> None:
    now = clock.now()
    with unit_of_work() as session:
        late = allocated(session, channel="taobao", promised=now + timedelta(days=2))
        soon = allocated(session, channel="pdd", promised=now + timedelta(minutes=20), presale=True)
        mid = allocated(session, channel="webhook", promised=now + timedelta(days=1), priority=5,
                        buyer_remark="周末送货")
        numbers = [late.order_no, soon.order_no, mid.order_no]
    result = service.print_labels(committed, order_nos=numbers, actor=ACTOR)
    assert result.order_nos == [soon.order_no, mid.order_no, late.order_no]
    assert result.printed == result.order_nos and result.reprinted == []
    assert result.waiting == {} and result.skipped == {}
    assert all(_status(n) == lc.LABEL_PRINTED for n in numbers)
    tracking = {n: _waybills(n)[0] for n in numbers}
    assert tracking[soon.order_no].startswith("YT") and tracking[late.order_no][:2] in ("75", "78")

    with unit_of_work() as session:
        batch = session.get(LabelBatch, result.batch_id)
        assert batch is not None and batch.count == 3 and batch.printed == 3 and batch.actor == ACTOR.name
        assert batch.order_ids == [soon.id, mid.id, late.id]
        assert batch.selection == {"order_nos": numbers}
        assert [e["urgent"] for e in batch.entries] == [True, True, False]  # 20 min away; priority 5
        pages = pdf_pages(service.batch_pdf(session, result.batch_id))
    assert [p["barcodes"] for p in pages] == [[(tracking[n], "Code128")] for n in result.order_nos]
    assert "预售" in pages[0]["text"] and "加急" in pages[0]["text"]
    assert "加急" in pages[1]["text"] and "周末送货" in pages[1]["text"] and "预售" not in pages[1]["text"]
    assert "加急" not in pages[2]["text"] and "张三" in pages[2]["text"] and "浙江省" in pages[2]["text"]

    calls = len(sims.cainiao.book.issued) + len(sims.pdd.book.issued) + len(sims.direct.book.issued)
    again = service.print_labels(committed, order_nos=[mid.order_no], actor=ACTOR)
    assert again.reprinted == [mid.order_no] and again.printed == []
    assert _waybills(mid.order_no) == [tracking[mid.order_no]]  # same number, no new waybill
    assert len(sims.cainiao.book.issued) + len(sims.pdd.book.issued) + len(sims.direct.book.issued) == calls
    with unit_of_work() as session:
        assert pdf_pages(service.batch_pdf(session, again.batch_id))[0]["barcodes"] == \
            [(tracking[mid.order_no], "Code128")]
    assert _status(mid.order_no) == lc.LABEL_PRINTED


def test_a_carrier_down_leaves_its_orders_waiting_and_the_rest_print(sims: Sims, committed: Engine) -> None:
    with unit_of_work() as session:
        taobao = [allocated(session, channel="taobao").order_no for _ in range(2)]
        own = [allocated(session, channel="webhook").order_no for _ in range(2)]
    sims.direct.faults.errors = 100  # SF direct answers 5xx
    result = service.print_labels(committed, order_nos=taobao + own, actor=ACTOR)
    assert sorted(result.printed) == sorted(taobao)
    assert set(result.waiting) == set(own)
    assert all("SF down, retrying" in why for why in result.waiting.values())
    assert [_status(n) for n in own] == [lc.ALLOCATED, lc.ALLOCATED]
    with unit_of_work() as session:
        batch = session.get(LabelBatch, result.batch_id)
        assert batch is not None and batch.waiting == result.waiting and batch.count == 2

    sims.direct.faults.errors = 0
    breaker.reset_all()
    later = service.print_labels(committed, order_nos=own, actor=ACTOR)
    assert sorted(later.printed) == sorted(own) and later.waiting == {}


def test_warehouse_and_due_before_selects_allocated_orders_of_that_warehouse(
        sims: Sims, committed: Engine) -> None:
    now = clock.now()
    with unit_of_work() as session:
        due_soon = allocated(session, warehouse="WH-HZ", promised=now + timedelta(hours=3)).order_no
        due_sooner = allocated(session, warehouse="WH-HZ", promised=now + timedelta(hours=1)).order_no
        allocated(session, warehouse="WH-HZ", promised=now + timedelta(days=3))  # not due yet
        allocated(session, warehouse="WH-BJ", promised=now + timedelta(hours=1))  # other warehouse
        allocated(session, warehouse="WH-HZ", promised=None)  # no deadline: not "due before"
    result = service.print_labels(committed, warehouse="WH-HZ", due_before=now + timedelta(hours=6),
                                  actor=ACTOR)
    assert result.order_nos == [due_sooner, due_soon] and result.skipped == {}
    with unit_of_work() as session:
        batch = session.get(LabelBatch, result.batch_id)
        assert batch is not None and batch.selection["warehouse"] == "WH-HZ"
    # Printed orders are no longer "allocated": the same selection finds nothing new.
    empty = service.print_labels(committed, warehouse="WH-HZ", due_before=now + timedelta(hours=6),
                                 actor=ACTOR)
    assert empty.count == 0
    with unit_of_work() as session, pytest.raises(NotFound, match="printed no labels"):
        service.batch_pdf(session, empty.batch_id)
    everything = service.print_labels(committed, warehouse="WH-HZ", actor=ACTOR, limit=1)
    assert everything.count == 1  # without due_before: every allocated order, soonest first


def test_orders_in_a_wrong_status_are_skipped_with_the_reason(sims: Sims, committed: Engine) -> None:
    with unit_of_work() as session:
        good = allocated(session).order_no
        held = allocated(session)
        add_hold(session, order_no=held.order_no, reason_code="address_check", reason="地址不全", actor=ACTOR)
        cancelled = allocated(session)
        transition(session, cancelled, lc.CANCELLED, actor=ACTOR)
        shipped = allocated(session)
        transition(session, shipped, lc.LABEL_PRINTED, actor=ACTOR)
        transition(session, shipped, lc.SHIPPED, actor=ACTOR)
        paid = session.get(Order, allocated(session).id)
        assert paid is not None
        transition(session, paid, lc.PAID, actor=ACTOR)
        numbers = [good, held.order_no, cancelled.order_no, shipped.order_no, paid.order_no]
    result = service.print_labels(committed, order_nos=numbers, actor=ACTOR)
    assert result.printed == [good]
    assert result.skipped == {
        held.order_no: "on hold (address_check: 地址不全)",
        cancelled.order_no: "order is cancelled",
        shipped.order_no: "already shipped (status shipped)",
        paid.order_no: "not allocated to a warehouse yet (status paid)"}
    assert _waybills(held.order_no) == []  # no waybill taken for a skipped order


def test_bad_selections_are_refused_with_a_clear_error(sims: Sims, committed: Engine) -> None:
    with pytest.raises(InvalidInput, match="nothing selected"):
        service.print_labels(committed, actor=ACTOR)
    with pytest.raises(InvalidInput, match="not both"):
        service.print_labels(committed, order_nos=["OH1"], warehouse="WH-HZ", actor=ACTOR)
    with pytest.raises(OrderNotFound, match="NOPE"):
        service.print_labels(committed, order_nos=["NOPE"], actor=ACTOR)
    with pytest.raises(InvalidInput, match="no order 999999"):
        service.print_labels(committed, order_ids=[999999], actor=ACTOR)
    with pytest.raises(InvalidInput, match="at most 2 per batch"):
        service.print_labels(committed, order_nos=["A", "B", "C"], actor=ACTOR, limit=2)
    with pytest.raises(InvalidInput, match="limit must be"):
        service.print_labels(committed, warehouse="WH-HZ", actor=ACTOR, limit=0)
    with pytest.raises(InvalidInput, match="empty order number"):
        service.print_labels(committed, order_nos=[" "], actor=ACTOR)
    with unit_of_work() as session, pytest.raises(NotFound, match="no label batch 424242"):
        service.get_batch(session, 424242)
