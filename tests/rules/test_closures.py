"""Conditions run as closures (closures.py) give rule_engine's result, or its error, every time.

Each case compiles conditions with rule_engine (as rules are saved), evaluates each one with
rule_engine's own Rule.evaluate and with the closure, and compares the values (not just their
truth), the exception (type and message) and $re_groups afterwards. The closures of one case share
a memo, as the rules of one evaluation do, so a value memoised by one condition and read by the
next is checked too.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import localcontext
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderhub.rules import closures, expressions
from orderhub.rules.context import (
    AddressCtx,
    HistoryCtx,
    LineCtx,
    OrderCtx,
    ReceiverCtx,
    RuleContext,
)
from orderhub.rules.expressions import InvalidExpression, compile_condition, match_all
from orderhub.rules.pack import DEFAULT_RULES

# Small alphabets so that generated strings meet generated literals and patterns often.
TEXT = st.text(alphabet="ab村组改地址7 ", max_size=6)
WORDS = st.sampled_from(["", "a", "ab", "jd", "CN", "ZTO", "EMS", "mobile", "invalid", "村", "改地址"])
SOME_TEXT = st.one_of(WORDS, TEXT)
NUMBER = st.one_of(st.integers(-3, 30).map(float), st.floats(-1e6, 1e6, allow_nan=False),
                   st.sampled_from([0.0, 0.6, 0.7, 2000.0, 1e-9]))
COUNT = st.integers(-2, 20)
WHEN = st.one_of(st.none(), st.datetimes(min_value=datetime(2020, 1, 1),
                                         max_value=datetime(2030, 1, 1), timezones=st.just(UTC)))
TEXTS = st.lists(SOME_TEXT, max_size=4)
# A wrong value now and then (None where a string belongs, a string for a number): rule_engine
# raises then, and the closure must raise the same.
ODD = st.one_of(st.none(), st.just("x"), st.just(1.5), st.just([None]))


def maybe_odd(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(strategy, strategy, strategy, strategy, strategy, strategy, ODD)


@st.composite
def contexts(draw: st.DrawFn) -> RuleContext:
    lines = draw(st.lists(st.builds(LineCtx, sku=st.one_of(st.none(), WORDS), quantity=COUNT,
                                    unit_price=NUMBER, category=WORDS, presale=st.booleans(),
                                    purchase_limited=st.booleans(), mapped=st.booleans()),
                          max_size=2))
    order = OrderCtx(
        order_no=draw(WORDS), channel=draw(maybe_odd(WORDS)), status=draw(WORDS),
        paid=draw(maybe_odd(st.booleans())), before_shipment=draw(st.booleans()),
        total=draw(maybe_odd(NUMBER)), goods_total=draw(NUMBER), presale=draw(st.booleans()),
        created_at=draw(WHEN), paid_at=draw(WHEN), minutes_since_paid=draw(NUMBER),
        buyer_remark=draw(maybe_odd(SOME_TEXT)), tags=draw(maybe_odd(TEXTS)),
        carrier=draw(WORDS), item_count=draw(COUNT), presale_lines=draw(COUNT),
        instock_lines=draw(COUNT), unmapped_lines=draw(COUNT), limited_lines=draw(COUNT),
        refund_requested_lines=draw(COUNT), categories=draw(TEXTS))
    receiver = ReceiverCtx(
        country=draw(WORDS), province=draw(WORDS), phone_kind=draw(WORDS),
        phone_digits=draw(maybe_odd(st.text(alphabet="0123456789*", max_size=12))),
        address=draw(maybe_odd(SOME_TEXT)), excluded_carriers=draw(TEXTS),
        parsed=AddressCtx(confidence=draw(maybe_odd(st.floats(0, 1))),
                          vague=draw(st.booleans()), flags=draw(TEXTS)))
    history = HistoryCtx(buyer_orders_24h=draw(COUNT), buyer_return_rate_30d=draw(NUMBER),
                         limited_orders_today=draw(COUNT), address_accounts=draw(COUNT),
                         duplicates_24h=draw(COUNT), repeat_categories=draw(TEXTS))
    return RuleContext(trigger=draw(st.sampled_from(["order.created", "order.paid"])),
                       order=order, receiver=receiver, lines=lines, history=history)


NUMBERS = ["order.total", "order.goods_total", "order.item_count", "order.minutes_since_paid",
           "receiver.parsed.confidence", "history.buyer_orders_24h",
           "history.buyer_return_rate_30d", "history.duplicates_24h", "order.presale_lines",
           "receiver.phone_digits.length", "order.tags.length", "lines.length"]
STRINGS = ["order.channel", "order.status", "order.buyer_remark", "receiver.province",
           "receiver.phone_kind", "receiver.address", "receiver.phone_digits", "order.carrier",
           "receiver.country", "trigger"]
BOOLS = ["order.paid", "order.presale", "receiver.parsed.vague", "order.before_shipment"]
LISTS = ["order.tags", "receiver.excluded_carriers", "history.repeat_categories",
         "order.categories", "receiver.parsed.flags"]
# Nodes the closures leave to rule_engine, mixed in so that the seams are exercised too.
NATIVE = ["lines[0].quantity > 1", "order.total + 1 > 2", "-order.total < 0",
          "order.paid_at == null", "order.paid_at != null and order.paid_at > order.created_at",
          "[t for t in order.tags if t == 'a'].length > 0", "$re_groups.length > 0",
          "order.buyer_remark[0:1] == 'a'", "(order.total > 1 ? 'a' : 'b') == 'a'",
          "lines[0]?.sku == null", "order.created_at?.year == 2025", "'改地址' in order.buyer_remark"]
LITERAL_NUMBERS = st.sampled_from(["0", "1", "0.6", "0.7", "15", "2000", "-1", "1e3"])
LITERAL_STRINGS = WORDS.map(lambda s: '"' + s + '"')
PATTERNS = st.sampled_from([r".*(村|屯|组).*", "a", "a+b", "(a)(b)?", ".*改地址.*", "^$", "7"])


def number() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(NUMBERS), LITERAL_NUMBERS)


def string() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(STRINGS), LITERAL_STRINGS)


def leaves() -> st.SearchStrategy[str]:
    comparison = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
    regex = st.sampled_from(["=~", "=~~", "!~", "!~~"])
    return st.one_of(
        st.sampled_from(BOOLS), st.sampled_from(["true", "false"]), st.sampled_from(NATIVE),
        st.tuples(number(), comparison, number()).map(" ".join),
        st.tuples(string(), comparison, string()).map(" ".join),
        st.tuples(number(), st.sampled_from(["==", "!="]), string()).map(" ".join),
        st.tuples(st.sampled_from(LISTS), st.sampled_from(["==", "!="]),
                  st.sampled_from(LISTS + ["[]", '["a"]'])).map(" ".join),
        st.tuples(string(), regex, PATTERNS.map(lambda p: '"' + p + '"')).map(" ".join),
        st.tuples(string(), st.just("in"), st.sampled_from(LISTS)).map(" ".join),
        st.tuples(string(), st.just("in"), string()).map(" ".join),
        st.tuples(string(), st.just("in"), st.just('["a", "jd", "ZTO"]')).map(" ".join))


def conditions() -> st.SearchStrategy[str]:
    return st.recursive(leaves(), lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        inner.map(lambda t: f"not ({t})")), max_leaves=5)


def outcome(run: Any, *args: Any) -> tuple[Any, ...]:
    """What running `run` gave: the value and $re_groups, or the error's type and message."""
    expressions._CONTEXT._tls.reset()
    try:
        with localcontext(expressions._DECIMALS):
            value = run(*args)
    except Exception as exc:  # noqa: BLE001 — the error is the result being compared
        return ("error", type(exc), str(exc), getattr(exc, "message", None))
    return ("value", type(value), value, expressions._CONTEXT._tls.regex_groups)


def compiled(texts: list[str]) -> list[expressions.Compiled]:
    out = []
    for text in texts:
        try:
            out.append(compile_condition(text))
        except InvalidExpression:
            continue  # refused when saved: never evaluated
    return out


def assert_same(rules: list[expressions.Compiled], ctx: RuleContext) -> None:
    memo: dict = {}
    for rule in rules:
        expected = outcome(rule.rule.evaluate, ctx)
        got = outcome(rule.fast, ctx, memo)
        assert got == expected, rule.text
        old = dataclasses.replace(rule, fast=None)  # Compiled.matches as it was: rule_engine's
        assert outcome(rule.matches, ctx, memo) == outcome(old.matches, ctx), \
            rule.text
    assert_match_all_same(rules, ctx)


def assert_match_all_same(rules: list[expressions.Compiled], ctx: RuleContext) -> None:
    """match_all (what evaluate uses) against each rule's matches as it was, one by one."""
    expected: list[Any] = []
    escaped = None  # an error that is not the condition's (evaluate never caught those)
    for rule in rules:
        try:
            expected.append(dataclasses.replace(rule, fast=None).matches(ctx))
        except InvalidExpression as exc:
            expected.append(("invalid", exc.message, exc.details))
        except Exception as exc:  # noqa: BLE001
            escaped = type(exc)
            break
    if escaped is not None:
        with pytest.raises(escaped):
            match_all(rules, ctx)
        return
    got = [("invalid", r.message, r.details) if isinstance(r, InvalidExpression) else r
           for r in match_all(rules, ctx)]
    assert got == expected


PACK = [rule["condition"] for rule in DEFAULT_RULES]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contexts())
def test_every_default_rule_gives_rule_engines_result(ctx: RuleContext) -> None:
    assert_same(compiled(PACK), ctx)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(conditions(), min_size=1, max_size=6), contexts())
def test_generated_conditions_give_rule_engines_result_or_error(texts: list[str],
                                                                ctx: RuleContext) -> None:
    assert_same(compiled(texts), ctx)


def test_the_default_pack_runs_entirely_as_closures() -> None:
    for rule in compiled(PACK):
        assert closures.untranslated(rule.rule.statement.expression) == [], rule.text
    assert closures.untranslated(compile_condition("order.total + 1 > 2").rule.statement
                                 .expression) == ["AddExpression"]


def test_values_are_memoised_once_per_context_and_errors_are_not() -> None:
    rules = compiled(["order.total > 1", "order.total < 5", "order.channel == 'jd'"])
    ctx = RuleContext(trigger="order.created", order=OrderCtx(total=3.0, channel=None),
                      receiver=ReceiverCtx(), lines=[], history=HistoryCtx())
    memo: dict = {}
    assert rules[0].matches(ctx, memo) and rules[1].matches(ctx, memo)
    assert [key for key in memo if key != ("symbol", "order")] == [(("symbol", "order"), "total", False)]
    assert not rules[2].matches(ctx, memo)  # None is not "jd": no error, as in rule_engine
    later = RuleContext(trigger="order.created", order=OrderCtx(total=0.5), receiver=ReceiverCtx(),
                        lines=[], history=HistoryCtx(), )
    assert not rules[0].matches(later)  # a new context, a new memo


def test_dates_and_regex_groups_as_rule_engine() -> None:
    when = datetime(2025, 1, 2, tzinfo=UTC)
    ctx = RuleContext(trigger="order.created",
                      order=OrderCtx(created_at=when, paid_at=when + timedelta(minutes=3),
                                     buyer_remark="ab"),
                      receiver=ReceiverCtx(), lines=[], history=HistoryCtx())
    assert_same(compiled(['order.buyer_remark =~ "(a)(b)?"', "$re_groups[1] == 'b'",
                          "order.paid_at > order.created_at"]), ctx)
