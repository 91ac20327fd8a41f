"""SKU mapping use cases on the real pipeline: unmapped lines hold the order (kept, never
dropped), mapping releases it and routing allocates it; shop beats all shops beats identity."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orderhub.channels.sku_mapping import service
from orderhub.channels.sku_mapping.models import SkuMapping
from orderhub.core.errors import NotFound, UnknownShop
from orderhub.core.models import AuditEntry
from orderhub.inventory.errors import UnknownSku
from orderhub.inventory.masterdata import upsert_sku
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order
from orderhub.orders.service import cancel_order, get_order
from orderhub.routing import tasks
from tests.builders import TEST_ACTOR, ensure_shop
from tests.channels.sku_mapping.helpers import events, open_reasons, receive, setup
from tests.routing.helpers import available


def test_an_unknown_line_holds_the_order_and_keeps_it(session: Session) -> None:
    setup(session)
    order = receive(session, lines=[("TB-889123", 2)])
    assert order.status == lc.ON_HOLD and open_reasons(order) == ["unmapped_sku"]
    assert [(line.platform_sku, line.sku) for line in order.lines] == [("TB-889123", None)]
    assert session.get(Order, order.id) is order  # stored, with its line
    [waiting] = service.waiting(session)
    assert (waiting.platform_sku, waiting.shop, waiting.title, waiting.orders, waiting.lines) == \
        ("TB-889123", "own-store", "平台商品 TB-889123", 1, 1)
    assert waiting.oldest == order.created_at


def test_mapping_releases_the_held_order_and_routing_allocates_it(session: Session) -> None:
    ids = setup(session)
    order = receive(session, lines=[("TB-889123", 2)])
    done = service.map_sku(session, platform_sku="TB-889123", sku="A", actor=TEST_ACTOR)
    assert done.created and done.lines == 1 and done.released == [order.order_no]
    assert order.lines[0].sku == "A" and open_reasons(order) == [] and order.status == lc.PAID
    [hold] = order.holds
    assert hold.resolved_by == TEST_ACTOR.name and "TB-889123 → A" in hold.resolution
    released = events(session, "order.released", order.id)[-1]
    tasks.on_released(session, released)  # what the worker runs after the commit
    assert order.status == lc.ALLOCATED and available(session, ids, "HZ", "A") == 8
    assert service.waiting(session) == []
    # The next order with that platform SKU maps at intake and is never held.
    again = receive(session, lines=[("TB-889123", 1)])
    assert again.lines[0].sku == "A" and again.status == lc.ALLOCATED
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type.in_(
        ("sku_mapping", "order")))))
    assert {"sku_mapping.created", "lines.sku_mapped", "hold.resolved"} <= actions


def test_rules_see_the_mapped_skus_before_the_order_is_let_go(session: Session) -> None:
    """An in-stock line and a line that maps to a presale SKU: the mixed-presale rule, blind
    at intake, holds the order once the mapping fills the line."""
    setup(session)
    upsert_sku(session, code="P-2027", name="预售款 2027", presale=True, actor=TEST_ACTOR)
    order = receive(session, lines=[("A", 1), ("TB-PRE-1", 1)])
    assert open_reasons(order) == ["unmapped_sku"]
    done = service.map_sku(session, platform_sku="TB-PRE-1", sku="P-2027", actor=TEST_ACTOR)
    assert done.released == [order.order_no]
    assert open_reasons(order) == ["mixed_presale"] and order.status == lc.ON_HOLD


def test_shop_mapping_beats_all_shops_beats_identity(session: Session) -> None:
    setup(session)
    ensure_shop(session, "tmall-flagship", channel="taobao")
    assert receive(session, lines=[("A", 1)]).lines[0].sku == "A"  # identity
    service.map_sku(session, platform_sku="A", sku="B", actor=TEST_ACTOR)
    assert receive(session, lines=[("A", 1)]).lines[0].sku == "B"  # all shops beats identity
    service.map_sku(session, platform_sku="A", sku="C", shop="tmall-flagship", actor=TEST_ACTOR)
    assert receive(session, lines=[("A", 1)], shop="tmall-flagship").lines[0].sku == "C"
    assert receive(session, lines=[("A", 1)]).lines[0].sku == "B"  # other shops: all-shops one
    service.unmap(session, platform_sku="A", actor=TEST_ACTOR)
    assert receive(session, lines=[("A", 1)]).lines[0].sku == "A"
    assert receive(session, lines=[("A", 1)], shop="tmall-flagship").lines[0].sku == "C"


def test_an_order_is_mapped_in_one_query(session: Session) -> None:
    setup(session)
    shop = ensure_shop(session, "tmall-flagship", channel="taobao")
    service.map_sku(session, platform_sku="P1", sku="A", actor=TEST_ACTOR)
    service.map_sku(session, platform_sku="P1", sku="B", shop="tmall-flagship", actor=TEST_ACTOR)
    service.map_sku(session, platform_sku="P2", sku="C", actor=TEST_ACTOR)
    statements: list[str] = []
    engine = session.get_bind()

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        found = service.resolve_skus(session, shop_id=shop.id, platform_skus=["P1", "P2", "KIT", "NOPE", "P1"])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert found == {"P1": "B", "P2": "C", "KIT": "KIT"} and len(statements) == 1


def test_mapping_to_an_unknown_sku_or_shop_is_refused(session: Session) -> None:
    setup(session)
    with pytest.raises(UnknownSku) as refused:
        service.map_sku(session, platform_sku="TB-1", sku="NOT-OURS", actor=TEST_ACTOR)
    assert refused.value.details["sku"] == "NOT-OURS" and "NOT-OURS" in refused.value.message
    with pytest.raises(UnknownShop):
        service.map_sku(session, platform_sku="TB-1", sku="A", shop="no-such-shop", actor=TEST_ACTOR)
    with pytest.raises(Exception, match="platform_sku"):
        service.map_sku(session, platform_sku="  ", sku="A", actor=TEST_ACTOR)
    assert session.scalars(select(SkuMapping)).all() == []


def test_one_all_shops_mapping_per_platform_sku(session: Session) -> None:
    """NULL shop_id means every shop; the database itself refuses a second such row."""
    setup(session)
    shop = ensure_shop(session, "tmall-flagship", channel="taobao")

    def insert(shop_id: int | None) -> None:
        with session.begin_nested():
            session.add(SkuMapping(platform_sku="P1", shop_id=shop_id, sku="A", created_by="t",
                                   updated_by="t"))

    insert(None)
    insert(shop.id)  # a shop's own mapping next to the all-shops one is fine
    for shop_id in (None, shop.id):
        with pytest.raises(IntegrityError):
            insert(shop_id)
    # Through the use case a second mapping of the same key is an update, not a new row.
    again = service.map_sku(session, platform_sku="P1", sku="B", actor=TEST_ACTOR)
    assert not again.created
    rows = session.scalars(select(SkuMapping).where(SkuMapping.platform_sku == "P1")).all()
    assert sorted((r.shop_id is None, r.sku) for r in rows) == [(False, "A"), (True, "B")]


def test_only_open_orders_of_the_right_shop_are_filled(session: Session) -> None:
    setup(session)
    ensure_shop(session, "tmall-flagship", channel="taobao")
    ensure_shop(session, "jd-store", channel="jd")
    own = receive(session, lines=[("X1", 1)])
    tmall = receive(session, lines=[("X1", 1)], shop="tmall-flagship")
    jd = receive(session, lines=[("X1", 1)], shop="jd-store")
    gone = receive(session, lines=[("X1", 1)])
    cancel_order(session, order_no=gone.order_no, actor=TEST_ACTOR, reason="买家取消")
    done = service.map_sku(session, platform_sku="X1", sku="C", shop="tmall-flagship", actor=TEST_ACTOR)
    assert done.released == [tmall.order_no] and own.lines[0].sku is None
    # An all-shops mapping fills the rest, except a shop with its own mapping and closed orders.
    service.map_sku(session, platform_sku="X1", sku="B", actor=TEST_ACTOR)
    assert (own.lines[0].sku, tmall.lines[0].sku, jd.lines[0].sku) == ("B", "C", "B")
    assert gone.status == lc.CANCELLED and gone.lines[0].sku is None
    assert service.waiting(session) == []


def test_the_hold_stays_until_every_line_is_mapped(session: Session) -> None:
    setup(session)
    order = receive(session, lines=[("X1", 1), ("X2", 1)])
    first = service.map_sku(session, platform_sku="X1", sku="A", actor=TEST_ACTOR)
    assert first.lines == 1 and first.released == [] and open_reasons(order) == ["unmapped_sku"]
    assert [(w.platform_sku, w.orders) for w in service.waiting(session)] == [("X2", 1)]
    second = service.map_sku(session, platform_sku="X2", sku="B", actor=TEST_ACTOR)
    assert second.released == [order.order_no] and order.status == lc.PAID


def test_other_holds_stay_and_an_unpaid_order_goes_back_to_waiting_for_payment(session: Session) -> None:
    setup(session)
    unpaid = receive(session, lines=[("X1", 1)], status="pending_payment")
    assert unpaid.status == lc.ON_HOLD and unpaid.held_from == lc.PENDING_PAYMENT
    service.map_sku(session, platform_sku="X1", sku="A", actor=TEST_ACTOR)
    assert unpaid.status == lc.PENDING_PAYMENT
    vague = receive(session, lines=[("X2", 1)], receiver={
        "name": "李四", "phone": "13912345678", "province": "", "city": "", "district": "",
        "address": "学校后面那个小区"})
    assert open_reasons(vague) == ["address_check", "unmapped_sku"]
    service.map_sku(session, platform_sku="X2", sku="A", actor=TEST_ACTOR)
    assert open_reasons(vague) == ["address_check"] and vague.status == lc.ON_HOLD


def test_unmap_keeps_mapped_lines(session: Session) -> None:
    setup(session)
    order = receive(session, lines=[("X1", 1)])
    service.map_sku(session, platform_sku="X1", sku="A", actor=TEST_ACTOR)
    service.unmap(session, platform_sku="X1", actor=TEST_ACTOR)
    assert get_order(session, order.order_no).lines[0].sku == "A"
    assert service.mappings(session) == []
    with pytest.raises(NotFound):
        service.unmap(session, platform_sku="X1", actor=TEST_ACTOR)
    with pytest.raises(NotFound):
        service.unmap_by_id(session, mapping_id=999_999, actor=TEST_ACTOR)
    assert "sku_mapping.deleted" in set(session.scalars(select(AuditEntry.action)))
