"""Rule conditions in the rule-engine language (never Python eval), checked and bounded.

A condition is compiled against the typed schema of context.RuleContext: an unknown field, a
type mismatch or a syntax error is refused with the position (offset, line, column). The
language has no imports, no calls into Python and no attribute access beyond the schema's
fields; on top of that we bound what it cannot: the length of an expression, how deeply it
nests, and the few builtins that could allocate without limit ($range) or make a rule
non-deterministic ($random).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Context as DecimalContext
from decimal import localcontext
from functools import lru_cache
from typing import Any

import rule_engine

from orderhub.core.errors import InvalidInput
from orderhub.rules import closures
from orderhub.rules.context import HISTORY_FIELDS, RuleContext

MAX_LENGTH = 2000
MAX_DEPTH = 24  # brackets and parentheses open at once
FORBIDDEN_BUILTINS = frozenset({"range", "random"})
TOP_LEVEL = ("trigger", "order", "receiver", "lines", "history")

_STRING = re.compile(r"""(?:[rsb]?"(?:\\.|[^"\\])*"|[rsb]?'(?:\\.|[^'\\])*')""")
_COMMENT = re.compile(r"#[^\n]*")
# A quantified group that itself repeats, e.g. "(a+)+" or "(x*)*": catastrophic backtracking on
# a crafted remark (Python's re has no time limit), so such patterns are refused.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]")
_PATH = re.compile(r"(?<![\w$.])(\$?[A-Za-z_]\w*)((?:\.[A-Za-z_]\w*)*)")


class InvalidExpression(InvalidInput):
    code = "invalid_expression"


@dataclass(frozen=True)
class Compiled:
    text: str
    rule: rule_engine.Rule
    paths: tuple[str, ...]  # dotted context paths the expression reads, e.g. "receiver.phone"
    # rule_engine's AST as closures (closures.py): same results and errors, a fraction of the cost
    fast: closures.Fn = field(repr=False, compare=False, default=None)  # type: ignore[assignment]

    @property
    def history_fields(self) -> frozenset[str]:
        """The history fields this condition reads (all of them if it reads `history` whole)."""
        if "history" in self.paths:
            return HISTORY_FIELDS
        return frozenset(p.split(".")[1] for p in self.paths if p.startswith("history.")) \
            & HISTORY_FIELDS

    def matches(self, ctx: RuleContext, memo: dict | None = None) -> bool:
        """Whether the condition holds on `ctx`. Pass the same `memo` (a dict) to every rule
        run on one context: the values they read are then resolved once."""
        try:
            if self.fast is None:
                return bool(self.rule.evaluate(ctx))
            with localcontext(_DECIMALS):
                return self.fast_matches(ctx, {} if memo is None else memo)
        except (rule_engine.EngineError, ArithmeticError, RecursionError) as exc:
            raise self.failed(exc) from None

    def fast_matches(self, ctx: RuleContext, memo: dict) -> bool:
        """The closures' answer; the caller holds the decimal context (_DECIMALS)."""
        _CONTEXT._tls.reset()  # as Rule.evaluate does
        return bool(self.fast(ctx, memo))

    def failed(self, exc: BaseException) -> InvalidExpression:
        return InvalidExpression(f"the condition failed on this order: {_message(exc)}",
                                 details={"expression": self.text})


def match_all(conditions: Iterable[Compiled], ctx: RuleContext) -> list[bool | InvalidExpression]:
    """Compiled.matches of each condition on one context, in order — a failed one gives its
    InvalidExpression instead of raising — with one memo and one decimal context for all."""
    memo: dict = {}
    out: list[bool | InvalidExpression] = []
    with localcontext(_DECIMALS):
        for condition in conditions:
            try:
                if condition.fast is None:
                    out.append(bool(condition.rule.evaluate(ctx)))
                    continue
                out.append(condition.fast_matches(ctx, memo))
            except (rule_engine.EngineError, ArithmeticError, RecursionError) as exc:
                out.append(condition.failed(exc))
    return out


def _resolver(thing: Any, name: str) -> Any:
    return rule_engine.resolve_attribute(thing, name)


# Decimal arithmetic bounded: huge powers overflow into an error instead of eating memory.
_DECIMALS = DecimalContext(prec=28, Emax=10**6, Emin=-10**6)
_CONTEXT = rule_engine.Context(
    type_resolver=rule_engine.type_resolver_from_dataclass(RuleContext), resolver=_resolver,
    default_timezone="UTC", decimal_context=_DECIMALS)


def compile_condition(text: str) -> Compiled:
    """Compile (cached by text); raise InvalidExpression with details position/line/column."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidExpression("the condition is empty", details=_where(text or "", 0))
    return _compile(text)


@lru_cache(maxsize=2048)
def _compile(text: str) -> Compiled:
    if len(text) > MAX_LENGTH:
        raise InvalidExpression(f"the condition is longer than {MAX_LENGTH} characters",
                                details=_where(text, MAX_LENGTH))
    code = _code_only(text)
    _check_depth(text, code)
    paths = _paths(code)
    for path in paths:
        if path.startswith("$") and path[1:].split(".")[0] in FORBIDDEN_BUILTINS:
            raise InvalidExpression(f"{path.split('.')[0]} is not allowed in rules",
                                    details=_where(text, code.find(path)))
    for literal in _STRING.finditer(text):
        if _NESTED_QUANTIFIER.search(literal.group(0)):
            raise InvalidExpression("a repeated group that repeats again (like (a+)+) can take "
                                    "forever to match; simplify the pattern",
                                    details=_where(text, literal.start()))
    try:
        rule = rule_engine.Rule(text, context=_CONTEXT)
    except rule_engine.RuleSyntaxError as exc:
        token = exc.token
        offset = len(text) if token is None else int(token.lexpos)
        raise InvalidExpression(f"syntax error: {exc.message}", details=_where(text, offset)) from None
    except rule_engine.SymbolResolutionError as exc:
        hint = f" (did you mean {exc.suggestion}?)" if exc.suggestion else ""
        raise InvalidExpression(f"unknown name {exc.symbol_name!r}{hint}",
                                details=_where(text, _find_name(code, exc.symbol_name))) from None
    except rule_engine.AttributeResolutionError as exc:
        hint = f" (did you mean {exc.suggestion}?)" if exc.suggestion else ""
        raise InvalidExpression(f"unknown field {exc.attribute_name!r}{hint}",
                                details=_where(text, _find_name(code, "." + str(exc.attribute_name))
                                               )) from None
    except (rule_engine.EngineError, ArithmeticError, RecursionError, ValueError) as exc:
        raise InvalidExpression(_message(exc), details=_where(text, 0)) from None
    try:
        fast = closures.translate(rule.statement.expression)
    except AttributeError:  # a rule_engine whose AST is laid out otherwise: its own evaluate
        fast = None
    return Compiled(text=text, rule=rule,
                    paths=tuple(p for p in paths if p.split(".")[0] in TOP_LEVEL), fast=fast)


def validate(text: str) -> dict[str, Any]:
    """{"valid": True, "paths": [...]} or {"valid": False, "message", position...} for editors."""
    try:
        compiled = compile_condition(text)
    except InvalidExpression as exc:
        return {"valid": False, "message": exc.message, **exc.details}
    return {"valid": True, "paths": list(compiled.paths)}


def _message(exc: BaseException) -> str:
    return str(getattr(exc, "message", None) or exc) or type(exc).__name__


def _code_only(text: str) -> str:
    """The text with string literals and comments blanked (same length, so offsets hold)."""
    blank = lambda m: " " * len(m.group(0))
    return _COMMENT.sub(blank, _STRING.sub(blank, text))


def _check_depth(text: str, code: str) -> None:
    depth = 0
    for offset, char in enumerate(code):
        if char in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise InvalidExpression(f"the condition nests deeper than {MAX_DEPTH} levels",
                                        details=_where(text, offset))
        elif char in ")]}":
            depth -= 1


def _paths(code: str) -> list[str]:
    found = []
    for match in _PATH.finditer(code):
        path = match.group(1) + match.group(2)
        if path not in found:
            found.append(path)
    return found


def _find_name(code: str, name: str | None) -> int:
    if not name:
        return 0
    guard = "" if name.startswith(".") else r"(?<![\w$.])"
    match = re.search(guard + re.escape(name) + r"(?!\w)", code)
    return match.start() + (1 if name.startswith(".") else 0) if match else 0


def _where(text: str, offset: int) -> dict[str, int]:
    offset = max(0, min(offset, len(text)))
    before = text[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    return {"position": offset, "line": line, "column": column}
