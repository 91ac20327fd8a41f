"""A batch decides exactly what single-order `choose_carrier` decides, in a number of statements
that does not grow with the batch; the batch's stored waybills, waits and events are the rows
the one-by-one path wrote."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from orderhub.core.db import unit_of_work
from orderhub.core.errors import OrderNotFound
from orderhub.core.models import OutboxEvent
from orderhub.fulfilment.carriers import breaker
from orderhub.fulfilment.carriers.models import Waybill, WaybillWait
from orderhub.fulfilment.carriers.rules import choose_carrier, create_rule, facts_for
from orderhub.fulfilment.carriers.service import Report, prepare, request_waybills
from orderhub.inventory.models import Sku
from orderhub.orders.models import Order, OrderLine
from orderhub.routing.models import RoutingDecision
from tests.fulfilment.carriers.support import Sims, add_account, order


@pytest.fixture
def sims() -> Iterator[Sims]:
    breaker.reset_all()
    with Sims() as running:
        yield running
    breaker.reset_all()


def _mixed(session: Session, sims: Sims) -> list[Order]:
    """Rules on province, channel, weight, value and warehouse; accounts of every source, one
    inactive, none for EMS; orders that hit each rule, the platform e-waybill rule, the
    carrier attribute (known and unknown), and a missing account."""
    create_rule(session, name="江浙沪 → ZTO", priority=10, carrier="ZTO", provinces=["江苏", "浙江", "上海"])
    create_rule(session, name="heavy → DBKD", priority=5, carrier="DBKD", min_weight_g=20_000)
    create_rule(session, name="valuable → SF", priority=1, carrier="SF", min_value=100_000)
    create_rule(session, name="pdd → YTO", priority=3, carrier="YTO", channels=["pdd"])
    create_rule(session, name="Beijing → EMS", priority=15, carrier="EMS", warehouses=["WH-BJ"])
    create_rule(session, name="inactive → STO", priority=0, carrier="STO", active=False)
    create_rule(session, name="default → YUNDA", priority=999, carrier="YUNDA", is_default=True)
    for carrier, source in (("ZTO", "cainiao"), ("ZTO", "direct"), ("YTO", "pdd"), ("YTO", "cainiao"),
                            ("SF", "direct"), ("DBKD", "direct"), ("YUNDA", "cainiao"), ("JD", "direct")):
        add_account(session, sims, carrier=carrier, source=source)
    add_account(session, sims, carrier="SF", source="cainiao", name="SF-old").active = False
    session.add(Sku(code="HEAVY-1", name="铸铁锅", weight_g=12_000))
    session.flush()
    made = []
    for channel in ("taobao", "pdd", "webhook", "jd", "douyin"):
        made.append(order(session, channel=channel))  # province 浙江省 -> ZTO unless channel rule
        made.append(order(session, channel=channel, province="四川省"))  # default, or pdd rule
        made.append(order(session, channel=channel, province="四川省", total="1500.00"))  # valuable
    heavy = order(session, channel="webhook", province="广东省")
    session.add(OrderLine(order_id=heavy.id, line_no=2, platform_sku="P-HEAVY", sku="HEAVY-1",
                          title="铸铁锅", quantity=2, unit_price=1000, discount=0))
    beijing = order(session, channel="webhook", province="河北省")
    # Two decisions: the newest one (Beijing) counts, as routing.decisions.latest says.
    for code in ("WH-HZ", "WH-BJ"):
        session.add(RoutingDecision(order_id=beijing.id, outcome="allocated", policy="rule", reason="t",
                                    warehouse_code=code, actor_kind="system", actor_name="t"))
    made += [heavy, beijing,
             order(session, channel="taobao", carrier="JD"),  # attribute: JD, cainiao needed: none
             order(session, channel="webhook", carrier="jd"),  # attribute, any case
             order(session, channel="webhook", carrier="NOPE")]  # unknown carrier
    session.flush()
    return made


def test_batch_picks_what_choose_carrier_picks_for_each_order(session: Session, sims: Sims) -> None:
    orders = _mixed(session, sims)
    single = {o.id: choose_carrier(session, o) for o in orders}
    weights = {o.id: facts_for(session, o).weight_g for o in orders}
    # The rules really differ between these orders (else the comparison proves little).
    assert {c.carrier for c in single.values()} >= {"ZTO", "YTO", "SF", "DBKD", "EMS", "YUNDA", "JD", None}
    assert sum(c.account is None for c in single.values()) >= 4

    report = Report()
    jobs = {job.order_id: job for job in prepare(session, order_ids=[o.id for o in orders], report=report)}
    assert set(jobs) | set(report.refused) == {o.id for o in orders}
    for o in orders:
        choice = single[o.id]
        if choice.account is None:
            assert report.refused[o.id] == choice.reason
            wait = session.get(WaybillWait, o.id)
            assert wait is not None and (wait.kind, wait.reason, wait.carrier) == (
                "refused", choice.reason, choice.carrier or "")
        else:
            job = jobs[o.id]
            assert (job.carrier, job.account.id, job.rule) == (choice.carrier, choice.account.id, choice.reason)
            assert job.request.weight_g == weights[o.id]
            assert job.request.object_id == o.order_no
    heavy = next(o for o in orders if o.receiver_province == "广东省")
    assert single[heavy.id].carrier == "DBKD" and jobs[heavy.id].request.weight_g == 24_000
    assert [i["name"] for i in jobs[heavy.id].request.items] == ["冬季加厚羽绒服 黑色 M", "铸铁锅"]


def test_prepare_raises_for_an_unknown_order(session: Session, sims: Sims) -> None:
    known = order(session)
    with pytest.raises(OrderNotFound, match="no order 987654321"):
        prepare(session, order_ids=[known.id, 987654321], report=Report())


def _batch(engine: Engine, size: int) -> tuple[list[int], int]:
    with unit_of_work(engine) as session:
        channels = ("taobao", "pdd", "webhook")
        ids = [order(session, channel=channels[n % 3]).id for n in range(size)]
        refused = order(session, channel="douyin").id  # no douyin account: a refused wait
    return ids, refused


def _statements(engine: Engine, ids: list[int]) -> tuple[Report, list[str]]:
    """request_waybills for `ids`, and the SQL statements it sent."""
    seen: list[str] = []

    def count(conn, cursor, statement, *rest) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        return request_waybills(engine, order_ids=ids), seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_statements_per_batch_do_not_grow_with_the_batch(committed: Engine, sims: Sims) -> None:
    with unit_of_work(committed) as session:
        create_rule(session, name="default → ZTO", carrier="ZTO", is_default=True)
        create_rule(session, name="pdd → YTO", priority=1, carrier="YTO", channels=["pdd"])
        add_account(session, sims, carrier="ZTO", source="cainiao")
        add_account(session, sims, carrier="ZTO", source="direct")
        add_account(session, sims, carrier="YTO", source="pdd")
    counts = {}
    for size in (3, 30):
        ids, refused = _batch(committed, size)
        report, seen = _statements(committed, [*ids, refused])
        assert len(report.issued) == size and set(report.refused) == {refused}
        again, seen_again = _statements(committed, [*ids, refused])
        assert again.reused == report.issued and set(again.refused) == {refused}
        counts[size] = (len(seen), len(seen_again))
        with unit_of_work(committed) as session:
            wait = session.get(WaybillWait, refused)
            assert wait is not None and wait.kind == "refused" and wait.attempts == 2
    assert counts[3] == counts[30], counts  # a handful per batch, nothing per order
    assert counts[30][0] <= 20, counts

    with unit_of_work(committed) as session:
        rows = session.scalars(select(Waybill).order_by(Waybill.id)).all()
        assert len(rows) == 33 and all(w.status == "issued" and w.print_data and w.rule for w in rows)
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "carriers.waybill_issued")
                                 .order_by(OutboxEvent.id)).all()
        # One event per waybill, in the same order, as outbox.emit wrote them one by one.
        assert [(e.aggregate_type, e.aggregate_id, e.payload, e.status, e.attempts, e.actor) for e in events] == [
            ("order", str(w.order_id), {"order_id": w.order_id, "carrier": w.carrier,
                                        "tracking_no": w.tracking_no}, "pending", 0, None) for w in rows]
        assert all(e.available_at == e.created_at for e in events)
