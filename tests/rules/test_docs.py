"""docs/rules.md stays true: every context field and every default rule is documented."""

from dataclasses import fields
from pathlib import Path

from orderhub.rules.context import (
    AddressCtx,
    HistoryCtx,
    LineCtx,
    OrderCtx,
    ReceiverCtx,
)
from orderhub.rules.editing import TRIGGERS
from orderhub.rules.pack import DEFAULT_RULES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")


def test_every_context_field_is_documented() -> None:
    names = [f.name for cls in (OrderCtx, ReceiverCtx, LineCtx, HistoryCtx) for f in fields(cls)]
    names += [f"parsed.{f.name}" for f in fields(AddressCtx)]
    assert [n for n in names if f"`{n}`" not in DOC] == []


def test_every_default_rule_and_trigger_is_documented() -> None:
    assert [r["key"] for r in DEFAULT_RULES if f"`{r['key']}`" not in DOC] == []
    assert [t for t in TRIGGERS if f"`{t}`" not in DOC] == []
