"""From spreadsheet rows to canonical orders (no database): each row's cells are checked and
cleaned, rows sharing an order id become one order with one line per row, and every problem is
reported against the row the seller can find in Excel.

Codes, numbers, phones and dates are NFKC-normalised (full-width １３８００１３８０００ and
２０２６／１１／２３ are common in hand-typed sheets); names, addresses and remarks are kept
exactly as typed, emoji included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl.utils.datetime import from_excel
from pydantic import ValidationError

from orderhub.channels.spreadsheets.mapping import LINE_FIELDS, ORDER_FIELDS
from orderhub.core.errors import InvalidInput
from orderhub.core.money import to_minor
from orderhub.core.spreadsheets import normalise_code
from orderhub.orders.schemas import OrderIn

TEXT_FIELDS = ("shop", "buyer_nick", "receiver_name", "receiver_province", "receiver_city",
               "receiver_district", "receiver_address", "buyer_remark", "seller_memo", "title")
MONEY_FIELDS = ("unit_price", "discount", "shipping_fee", "total")
DATE_FIELDS = ("created_at", "paid_at")
# Statuses as Taobao, JD, Douyin and sellers write them -> OrderIn's status.
STATUSES = {
    "等待买家付款": "unpaid", "待付款": "unpaid", "未付款": "unpaid",
    "买家已付款，等待卖家发货": "paid", "买家已付款,等待卖家发货": "paid", "等待卖家发货": "paid",
    "待发货": "paid", "已付款": "paid", "等待出库": "paid", "待出库": "paid",
    "卖家已发货": "shipped", "卖家已发货，等待买家确认": "shipped", "已发货": "shipped",
    "等待确认收货": "shipped", "已签收": "delivered", "交易成功": "completed", "已完成": "completed",
    "完成": "completed", "交易关闭": "closed", "已关闭": "closed", "已取消": "cancelled",
    "取消": "cancelled", "pending_payment": "pending_payment", "unpaid": "unpaid",
    "paid": "paid", "shipped": "shipped", "delivered": "delivered", "completed": "completed",
    "closed": "closed", "cancelled": "cancelled", "canceled": "cancelled",
}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                   r"(?:[\sT]+(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2}))?)?\s*秒?$")
_MONEY_NOISE = re.compile(r"[¥$,\s元]|CNY|RMB", re.IGNORECASE)


@dataclass(frozen=True)
class Options:
    """Template options: how dates are written when not ISO-like, the status when none is given."""

    date_format: str = ""
    default_status: str = "paid"
    timezone: str = "Asia/Shanghai"


@dataclass
class Draft:
    """One order as read from its rows: the validated OrderIn, or the reason per row."""

    key: str  # the order id, or a key of its own for a row without one
    order_id: str
    rows: list[int]
    order: OrderIn | None = None
    errors: dict[int, str] = field(default_factory=dict)
    raw: dict[int, dict[str, str]] = field(default_factory=dict)


def read_orders(rows: list[tuple[int, dict[str, str]]], *, mapping: dict[str, str], shop: str,
                options: Options) -> list[Draft]:
    """rows: (spreadsheet row number, header -> text), in file order."""
    groups: dict[str, Draft] = {}
    parsed: dict[int, dict[str, Any]] = {}
    for number, cells in rows:
        values, reasons = parse_row(cells, mapping, options)
        parsed[number] = values
        order_id = values.get("platform_order_id", "")
        key = order_id or f"\0row {number}"  # a row without an order id is an order of its own
        draft = groups.setdefault(key, Draft(key=key, order_id=order_id, rows=[]))
        draft.rows.append(number)
        draft.raw[number] = cells
        if reasons:
            draft.errors[number] = "; ".join(reasons)
    for draft in groups.values():
        values = [parsed[n] for n in draft.rows]
        if not any("created_at" in v for v in values) and draft.order_id:
            # order-level: the continuation rows of a multi-line order may leave it empty
            draft.errors.setdefault(draft.rows[0], _missing(mapping, "created_at"))
        if not draft.errors:
            _validate(draft, values, shop, options)
        _hold_the_rest(draft)
    return list(groups.values())


def parse_row(cells: dict[str, str], mapping: dict[str, str],
              options: Options) -> tuple[dict[str, Any], list[str]]:
    values: dict[str, Any] = {}
    reasons: list[str] = []
    for name, column in mapping.items():
        text = cells.get(column, "")
        try:
            value = _clean(name, text, options)
        except ValueError as exc:
            reasons.append(f"{column}: {exc}")
            continue
        if value not in (None, ""):
            values[name] = value
    for name in ("platform_order_id", "platform_sku", "quantity", "unit_price"):
        column = mapping.get(name, name)
        if name not in values and not any(r.startswith(f"{column}:") for r in reasons):
            reasons.append(_missing(mapping, name))
    return values, reasons


_WHAT = {"platform_order_id": "the order id", "created_at": "the order time",
         "platform_sku": "the SKU code", "quantity": "the quantity", "unit_price": "the unit price"}


def _missing(mapping: dict[str, str], name: str) -> str:
    return f"{mapping.get(name, name)}: empty, but {_WHAT[name]} is required"


def _clean(name: str, text: str, options: Options) -> Any:
    if name in TEXT_FIELDS:
        return text.strip()
    code = _unquote(normalise_code(text))
    if not code:
        return None
    if name == "platform_order_id":
        if re.fullmatch(r"\d+(\.\d+)?[eE]\+\d+", code):
            raise ValueError(f'"{text}" was shortened by Excel to scientific notation; '
                             "format the column as text and export again")
        return code
    if name == "receiver_phone":
        return re.sub(r"[\s()]", "", code)
    if name == "status":
        return _status(code)
    if name == "quantity":
        return _quantity(text, code)
    if name in MONEY_FIELDS:
        return _money(text, code)
    if name in DATE_FIELDS:
        return _date(text, code, options)
    return code


def _unquote(code: str) -> str:
    """Exports guard long numbers against Excel as ="123" or '123; the digits are what counts."""
    match = re.fullmatch(r'="(.*)"', code)
    return (match.group(1) if match else code).lstrip("'`\t").strip()


def _status(code: str) -> str:
    status = STATUSES.get(code) or STATUSES.get(code.lower())
    if status is None:
        raise ValueError(f'"{code}" is not a status we know '
                         "(e.g. 待付款, 已付款, 已发货, 交易成功, 交易关闭)")
    return status


def _quantity(text: str, code: str) -> int:
    try:
        number = Decimal(code)
    except InvalidOperation:
        raise ValueError(f'"{text}" is not a whole number') from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(f'"{text}" is not a whole number')
    if number <= 0:
        raise ValueError(f'"{text}" must be at least 1')
    return int(number)


def _money(text: str, code: str) -> str:
    amount = _MONEY_NOISE.sub("", code)
    try:
        minor = to_minor(amount, "CNY")
    except InvalidInput:
        raise ValueError(f'"{text}" is not an amount of money') from None
    if minor < 0:
        raise ValueError(f'"{text}" is negative')
    return amount


def _date(text: str, code: str, options: Options) -> datetime:
    value = _parse_date(code, options.date_format)
    if value is None:
        hint = f" (expected {options.date_format})" if options.date_format else ""
        raise ValueError(f'"{text}" is not a date and time{hint}')
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(options.timezone))  # as the seller's clock showed it
    return value


def _parse_date(code: str, date_format: str) -> datetime | None:
    if date_format:
        try:
            return datetime.strptime(code, date_format)
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(code)
    except ValueError:
        pass
    match = _DATE.match(code)
    if match:
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
        try:
            return datetime(y, mo, d, h, mi, s)
        except ValueError:
            return None
    if re.fullmatch(r"\d{5}(\.\d+)?", code):  # an Excel date serial that lost its format in a CSV
        return from_excel(float(code))
    return None


def _validate(draft: Draft, rows: list[dict[str, Any]], shop: str, options: Options) -> None:
    """Order-level values come from the first row that has them; each row is one line."""
    first = {name: next((r[name] for r in rows if name in r), None) for name in ORDER_FIELDS}
    payload: dict[str, Any] = {
        "shop": first["shop"] or shop, "platform_order_id": first["platform_order_id"],
        "status": first["status"] or options.default_status,
        "created_at": first["created_at"], "paid_at": first["paid_at"],
        "buyer": {"nick": first["buyer_nick"]},
        "receiver": {k: first[f"receiver_{k}"] or "" for k in
                     ("name", "phone", "province", "city", "district", "address")},
        "buyer_remark": first["buyer_remark"] or "", "seller_memo": first["seller_memo"] or "",
        "shipping_fee": first["shipping_fee"] or "0", "total": first["total"],
        "lines": [{k: r[k] for k in LINE_FIELDS if k in r} for r in rows],
    }
    try:
        draft.order = OrderIn.model_validate(payload)
    except ValidationError as err:
        for problem in err.errors(include_url=False, include_input=False):
            loc = list(problem["loc"])
            row = draft.rows[loc[1]] if loc[:1] == ["lines"] and len(loc) > 1 else draft.rows[0]
            where = ".".join(str(p) for p in (loc[2:] if loc[:1] == ["lines"] else loc))
            reason = f"{where}: {problem['msg']}"
            draft.errors[row] = f"{draft.errors[row]}; {reason}" if row in draft.errors else reason


def _hold_the_rest(draft: Draft) -> None:
    """An order is imported whole or not at all: its good rows wait with the bad one."""
    if not draft.errors:
        return
    draft.order = None
    bad = sorted(draft.errors)
    which = f"row {bad[0]}" if len(bad) == 1 else "rows " + ", ".join(map(str, bad))
    for number in draft.rows:
        draft.errors.setdefault(
            number, f"waiting: {which} of the same order {draft.order_id} must be fixed first")


def fail_order(draft: Draft, reason: str) -> None:
    """The order was refused after reading (unknown shop, refused by the order service)."""
    draft.order = None
    for number in draft.rows:
        draft.errors[number] = reason
