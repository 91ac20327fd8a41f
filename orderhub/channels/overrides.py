"""Per-shop field overrides: where one shop keeps something in another field, say so without code.

A seller whose Taobao listings carry the SKU code in the item's outer_iid (not the SKU's
outer_sku_id), or whose JD remarks belong in the seller memo, sets on the shop:

    {"lines.platform_sku": "outer_iid", "seller_memo": "venderRemark"}

Values are JMESPath expressions (https://jmespath.org) over the platform's own payload; a
`lines.` field is read from each line's payload (the connector says where the lines are). An
expression that finds nothing leaves the connector's value alone.
"""

from __future__ import annotations

from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from orderhub.channels.base import Connector, Page, PulledOrder
from orderhub.core.errors import InvalidInput

HEADER_FIELDS = ("buyer_remark", "seller_memo", "buyer.id", "buyer.nick", "receiver.name",
                 "receiver.phone", "receiver.province", "receiver.city", "receiver.district",
                 "receiver.street", "receiver.address", "receiver.zip", "promised_ship_at")
LINE_FIELDS = ("lines.platform_sku", "lines.title", "lines.platform_line_id")
FIELDS = HEADER_FIELDS + LINE_FIELDS


def check(overrides: dict[str, str]) -> dict[str, str]:
    """Refuse an unknown field or an expression that does not compile, saying which."""
    for field, expression in overrides.items():
        if field not in FIELDS:
            raise InvalidInput(f"{field!r} cannot be overridden",
                               details={"field": field, "allowed": list(FIELDS)})
        try:
            jmespath.compile(expression)
        except JMESPathError as exc:
            raise InvalidInput(f"{field}: not a JMESPath expression: {exc}",
                               details={"field": field, "expression": expression}) from exc
    return dict(overrides)


def apply_page(page: Page, connector: Connector, overrides: dict[str, str]) -> Page:
    if not overrides:
        return page
    compiled = {field: jmespath.compile(expr) for field, expr in overrides.items()}
    page.orders = [_apply(o, connector, compiled) for o in page.orders]
    return page


def _apply(pulled: PulledOrder, connector: Connector, compiled: dict[str, Any]) -> PulledOrder:
    order = {**pulled.order, "buyer": dict(pulled.order.get("buyer") or {}),
             "receiver": dict(pulled.order.get("receiver") or {}),
             "lines": [dict(line) for line in pulled.order.get("lines") or []]}
    raw_lines = connector.raw_lines(pulled.raw)
    for field, expression in compiled.items():
        if field.startswith("lines."):
            key = field.removeprefix("lines.")
            for line, raw_line in zip(order["lines"], raw_lines, strict=False):
                _set(line, key, expression.search(raw_line))
        else:
            group, _, key = field.rpartition(".")
            _set(order[group] if group else order, key, expression.search(pulled.raw))
    return PulledOrder(order=order, raw=pulled.raw)


def _set(target: dict[str, Any], key: str, value: Any) -> None:
    if value is None or value == "":
        return
    target[key] = str(value) if not isinstance(value, str) else value
