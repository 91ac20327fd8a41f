"""What makes evaluation cheap stays correct: the per-process rule set is never stale after an
edit (in this transaction, or committed by another session or process), an order no rule matches
costs three statements and writes nothing, and the one history statement counts right."""

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
from orderhub.orders.models import Order
from orderhub.rules import context, history, ruleset
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

    def count(_conn, _cursor, statement, *_rest) -> None:  # noqa: ANN001
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


def test_a_quiet_order_costs_three_statements_and_writes_nothing(session: Session) -> None:
    install_default_pack(session, actor=TEST_ACTOR)
    evaluate(session, order=place(session, minutes_ago=30), trigger="order.created",
             actor=TEST_ACTOR)  # loads the rule set
    order = place(session, receiver={"name": "王五", "phone": "13700137000"})  # no duplicate
    events = session.scalar(select(func.count()).select_from(OutboxEvent))
    with statements(session) as seen:
        assert evaluate(session, order=order, trigger="order.created", actor=TEST_ACTOR) == []
    assert len(seen) == 3, seen  # rules stamp (+ carrier areas), SKU facts, history
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
