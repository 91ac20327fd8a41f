"""What makes evaluation cheap stays correct: the per-process rule set is never stale after an
edit (in this transaction, or committed by another session or process), an order no rule matches
costs one statement and writes nothing, and the one history statement counts right."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.core.models import OutboxEvent
from orderhub.inventory import catalog
from orderhub.inventory.masterdata import set_bundle, upsert_sku
from orderhub.orders.models import Order
from orderhub.rules import context, history, lookup, ruleset
from orderhub.rules.editing import create_rule, set_enabled, update_rule
from orderhub.rules.models import RuleFiring
from orderhub.rules.pack import install_default_pack
from orderhub.rules.service import evaluate
from tests.builders import TEST_ACTOR
from tests.rules.helpers import line, place, sku

RULE = {"key": "big", "name": "big", "triggers": ["order.created"],
        "condition": "order.total > 100000", "actions": [{"type": "tag", "tag": "big"}]}


@contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_rest) -> None:
        seen.append(statement)

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_an_edit_committed_elsewhere_is_seen_by_the_next_evaluation(
        committed: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with Session(committed) as session:
        rule_id = create_rule(session, actor=TEST_ACTOR, data=RULE).id
        order_id = place(session).id
        session.commit()
    with Session(committed) as session:  # loads and caches version 1: nothing fires
        assert evaluate(session, order=session.get(Order, order_id),
                        trigger="order.created", actor=TEST_ACTOR) == []
        session.commit()
    # As if another process saved the rule: this process is not told, only the stamp changes.
    monkeypatch.setattr(ruleset, "invalidate", lambda: None)
    with Session(committed) as other:
        update_rule(other, rule_id=rule_id, data={**RULE, "condition": "order.total > 1"},
                    actor=TEST_ACTOR)
        other.commit()
    with Session(committed) as session:
        [firing] = evaluate(session, order=session.get(Order, order_id),
                            trigger="order.created", actor=TEST_ACTOR)
        assert firing.rule_version == 2 and firing.did == [{"type": "tag", "tag": "big"}]
        session.commit()
    with Session(committed) as other:  # switched off elsewhere: the next evaluation skips it
        set_enabled(other, rule_id=rule_id, enabled=False, actor=TEST_ACTOR)
        other.commit()
    with Session(committed) as session:
        order = place(session)
        assert evaluate(session, order=order, trigger="order.created", actor=TEST_ACTOR) == []


def test_an_edit_earlier_in_the_same_transaction_counts(session: Session,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ruleset, "invalidate", lambda: None)
    rule = create_rule(session, actor=TEST_ACTOR, data=RULE)
    assert evaluate(session, order=place(session), trigger="order.created", actor=TEST_ACTOR) == []
    update_rule(session, rule_id=rule.id, data={**RULE, "condition": "order.total > 1"},
                actor=TEST_ACTOR)
    [firing] = evaluate(session, order=place(session), trigger="order.created", actor=TEST_ACTOR)
    assert firing.rule_version == 2


def test_a_quiet_order_costs_one_statement_and_writes_nothing(session: Session) -> None:
    install_default_pack(session, actor=TEST_ACTOR)
    evaluate(session, order=place(session, minutes_ago=30), trigger="order.created",
             actor=TEST_ACTOR)  # loads the rule set
    order = place(session, receiver={"name": "王五", "phone": "13700137000"})  # no duplicate
    events = session.scalar(select(func.count()).select_from(OutboxEvent))
    with statements(session) as seen:
        assert evaluate(session, order=order, trigger="order.created", actor=TEST_ACTOR) == []
    assert len(seen) == 1, seen  # rules stamp (+ carrier areas), SKU facts, history: one row
    assert not any(s.lstrip().upper().startswith(("INSERT", "UPDATE")) for s in seen)
    assert session.scalar(select(func.count()).select_from(OutboxEvent)) == events
    assert session.scalar(select(func.count()).select_from(RuleFiring)
                          .where(RuleFiring.order_id == order.id)) == 0
    # Evaluated again for the same event: the firings of the first run are not repeated.
    loud = place(session, buyer_remark="请改地址")
    assert evaluate(session, order=loud, trigger="order.created", actor=TEST_ACTOR)
    assert evaluate(session, order=loud, trigger="order.created", actor=TEST_ACTOR) == []
    assert evaluate(session, order=loud, trigger="order.paid", actor=TEST_ACTOR) == []


def test_the_history_statement_counts_each_field(session: Session) -> None:
    tea = sku(session, "TEA", category="茶叶", purchase_limited=True)
    buyer = {"id": "u-h", "nick": "h"}
    for refund in ("none", "refunded", "none"):
        place(session, lines=[line(tea, refund_status=refund)], buyer=buyer, minutes_ago=60)
    place(session, lines=[line(tea)], buyer={"id": "u-other"}, minutes_ago=60)
    place(session, lines=[line(tea)], buyer=buyer, minutes_ago=60 * 24 * 3)  # 3 days ago
    order = place(session, lines=[line(tea)], buyer=buyer)
    h = context.build(session, order, trigger="order.created").history
    assert (h.buyer_orders_24h, h.buyer_returns_24h) == (4, 1)
    assert (h.buyer_orders_30d, h.buyer_returns_30d, h.buyer_return_rate_30d) == (5, 1, 0.2)
    assert h.address_accounts == 2 and h.receiver_recent_categories == ["茶叶"]
    assert h.repeat_categories == ["茶叶"]
    early = clock.now() - timedelta(minutes=60) >= history.day_start(clock.now())
    assert h.phone_orders_today == (5 if early else 1)  # the 3-day-old order is not today's
    assert h.limited_orders_today == h.phone_orders_today  # all of them have the limited tea
    assert h.duplicates_24h == 4  # same receiver, same items, within 24 h, not cancelled
    stranger = place(session, receiver={"name": "李四", "phone": "13900139000",
                                        "address": "文一路1号"}, buyer={"id": "u-new"})
    s = context.build(session, stranger, trigger="order.created").history
    assert (s.buyer_orders_24h, s.duplicates_24h, s.address_accounts) == (1, 0, 1)
    assert s.receiver_recent_categories == [] and s.phone_orders_today == 1


def test_two_evaluations_of_one_event_at_once_fire_once(postgres_only: Engine,
                                                        committed: Engine) -> None:
    """The second INSERT waits on the unique event key until the first commits, then does
    nothing: its evaluation records no firing and applies no action."""
    with Session(committed) as session:
        create_rule(session, actor=TEST_ACTOR, data={**RULE, "condition": "order.total > 1"})
        order_id = place(session).id
        session.commit()
    first, second = Session(committed), Session(committed)
    try:
        assert len(evaluate(first, order=first.get(Order, order_id), trigger="order.created",
                            actor=TEST_ACTOR)) == 1  # not committed yet
        result: list = []
        waiting = threading.Thread(target=lambda: result.append(evaluate(
            second, order=second.get(Order, order_id), trigger="order.created",
            actor=TEST_ACTOR)))
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()  # blocked on the first one's firing row
        first.commit()
        waiting.join(10)
        assert result == [[]]
        second.commit()
    finally:
        first.close()
        second.close()
    with Session(committed) as session:
        assert session.scalar(select(func.count()).select_from(RuleFiring)) == 1
        assert session.get(Order, order_id).tags.count("big") == 1


def test_a_rule_reading_history_saved_elsewhere_gets_its_history(
        committed: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The statement reads the history the rule set last run needs; when the stamp in the same
    row says another process saved a rule that reads more, that history is read too."""
    with Session(committed) as session:
        create_rule(session, actor=TEST_ACTOR, data=RULE)  # reads no history
        session.commit()
    with Session(committed) as session:
        assert evaluate(session, order=place(session), trigger="order.created",
                        actor=TEST_ACTOR) == []
        session.commit()
    monkeypatch.setattr(ruleset, "invalidate", lambda: None)  # saved by "another process"
    with Session(committed) as other:
        create_rule(other, actor=TEST_ACTOR, data={
            **RULE, "key": "repeat", "name": "repeat",
            "condition": "history.buyer_orders_24h >= 2 and history.phone_orders_today >= 2"})
        other.commit()
    with Session(committed) as session:
        order = place(session)
        session.flush()
        with statements(session) as seen:
            [firing] = evaluate(session, order=order, trigger="order.created", actor=TEST_ACTOR)
        assert firing.saw == {"history.buyer_orders_24h": 2, "history.phone_orders_today": 2}
        [first, *_] = [s for s in seen if "stamp.rules" in s]
        assert "orders_24h" not in first  # the guess (the set run before) read no history…
        assert [s for s in seen if "orders_24h" in s]  # …so a second statement read it
        quiet = place(session, buyer={"id": "u-2"}, receiver={"phone": "13900139000"})
        session.flush()
        with statements(session) as seen:  # now the guess is right: one statement again
            assert evaluate(session, order=quiet, trigger="order.created", actor=TEST_ACTOR) == []
        assert len(seen) == 1 and "orders_24h" in seen[0], seen
        session.commit()


def test_a_sku_fact_changed_elsewhere_is_seen_by_the_next_evaluation(committed: Engine) -> None:
    """SKU facts are read with the rules stamp on every evaluation, never cached."""
    with Session(committed) as session:
        create_rule(session, actor=TEST_ACTOR, data={
            **RULE, "condition": '"茶叶" in order.categories and order.limited_lines > 0'})
        code = sku(session, "TEA-1", category="服装")
        order_id = place(session, lines=[line(code)]).id
        session.commit()
    with Session(committed) as session:
        assert evaluate(session, order=session.get(Order, order_id), trigger="order.created",
                        actor=TEST_ACTOR) == []
        session.commit()
    with Session(committed) as other:
        sku(other, "TEA-1", category="茶叶", purchase_limited=True)
        other.commit()
    with Session(committed) as session:
        [firing] = evaluate(session, order=session.get(Order, order_id),
                            trigger="order.created", actor=TEST_ACTOR)
        assert firing.saw == {"order.categories": ["茶叶"], "order.limited_lines": 1}


def test_sku_facts_come_back_typed_from_the_json_aggregate(session: Session) -> None:
    upsert_sku(session, code="PART", actor=TEST_ACTOR, name="配件")
    upsert_sku(session, code="KIT", actor=TEST_ACTOR, name="套装")
    upsert_sku(session, code="KIT", actor=TEST_ACTOR, category="礼盒", presale=True, weight_g=1250)
    set_bundle(session, code="KIT", parts=[("PART", 2)], actor=TEST_ACTOR)
    plain = sku(session, "PLAIN", category="茶叶", purchase_limited=True)
    order = place(session, lines=[line("KIT"), line(plain), line("GONE")])
    kit, tea, gone = context.build(session, order, trigger="order.created").lines
    assert (kit.mapped, kit.category, kit.presale, kit.weight_g, kit.is_bundle,
            kit.purchase_limited) == (True, "礼盒", True, 1250, True, False)
    assert (tea.category, tea.purchase_limited, tea.presale, tea.is_bundle) == (
        "茶叶", True, False, False)
    assert (gone.mapped, gone.category) == (False, "")
    assert lookup.fetch(session, order, skus=True).skus == catalog.sku_info(
        session, ["KIT", "PLAIN", "GONE"])  # the same facts as the inventory's own read


def test_a_sku_made_limited_since_it_was_last_read_is_counted(session: Session) -> None:
    """Whether to count limited SKUs' orders is guessed from the facts last read; the fresh
    facts in the same row decide, so a SKU made limited since costs a statement, not a miss."""
    code = sku(session, "GIFT", category="礼盒")
    for _ in range(2):
        place(session, lines=[line(code)])
    first = context.build(session, place(session, lines=[line(code)]), trigger="order.created")
    assert first.order.limited_lines == 0 and first.history.limited_orders_today == 0
    sku(session, "GIFT", category="礼盒", purchase_limited=True)  # as if saved elsewhere
    order = place(session, lines=[line(code)])
    session.flush()
    with statements(session) as seen:
        now = context.build(session, order, trigger="order.created")
    assert now.order.limited_lines == 1 and now.history.limited_orders_today == 4
    assert len([s for s in seen if "orders_today" in s]) == 2  # the guess, then the count
    with statements(session) as seen:  # the guess is right now: the count is in the one row
        again = context.build(session, place(session, lines=[line(code)]), trigger="order.created")
    assert again.history.limited_orders_today == 5
    assert len([s for s in seen if "orders_today" in s]) == 1


def test_the_one_row_reads_what_sqlalchemys_execute_reads(session: Session) -> None:
    """lookup.one_row sends the compiled text itself on PostgreSQL: every statement it can send
    gives the same values, of the same types (time zone included), as Connection.execute."""
    tea = sku(session, "TEA-R", category="茶叶", purchase_limited=True)
    buyer = {"id": "u-r", "nick": "r"}
    place(session, lines=[line(tea, refund_status="refunded")], buyer=buyer, minutes_ago=60)
    order = place(session, lines=[line(tea), line(sku(session, "SKU-R2"))], buyer=buyer)
    session.flush()
    dialect = session.get_bind().dialect.name
    bound = history.params(order, clock.now()) | {
        "codes": ["SKU-R2", "TEA-R"], "codes_json": '["SKU-R2", "TEA-R"]',
        "shop_id": order.shop_id}
    every = frozenset(name for name, _ in history.PARTS)
    checked = 0
    for stamp in (True, False):
        for parts in (every, lookup.NO_PARTS, frozenset({"phone"})):
            for limited in ({True, False} if "phone" in parts else {False}):
                stmt = lookup.statement(dialect, stamp=stamp, skus=True, parts=parts,
                                        limited=limited, shop=True)
                expected = dict(session.connection().execute(stmt, bound).one()._mapping)
                got = dict(lookup.one_row(session, stmt, bound))
                assert got == expected
                assert [type(v) for v in got.values()] == [type(v) for v in expected.values()]
                assert ([getattr(v, "tzinfo", None) for v in got.values()]
                        == [getattr(v, "tzinfo", None) for v in expected.values()])
                checked += 1
    assert checked == 10 and expected["sku_facts"] and expected["shop_name"]
