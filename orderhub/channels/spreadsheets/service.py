"""Spreadsheet order import: preview, import, correct a bad row and send its order again.

Every order goes through `pipeline.receive` with source "spreadsheet", each in a savepoint of
its own, so one order the order service refuses costs only that order's rows. Orders are found
by (shop, platform order id), so importing a file again updates them in place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orderhub import pipeline
from orderhub.channels.spreadsheets.mapping import check_columns, check_mapping
from orderhub.channels.spreadsheets.models import ImportBatch, ImportRow
from orderhub.channels.spreadsheets.reading import (
    Draft,
    fail_order,
    parse_row,
    read_orders,
)
from orderhub.channels.spreadsheets.templates import (
    check_options,
    get_template,
    options_of,
)
from orderhub.core import clock
from orderhub.core.actor import Actor
from orderhub.core.db import get_engine
from orderhub.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    UnknownShop,
)
from orderhub.core.ids import order_numbers
from orderhub.core.settings import get_settings
from orderhub.core.spreadsheets import Sheet, read_sheet
from orderhub.orders.service import find_shop

SOURCE = "spreadsheet"
Progress = Callable[[int, int], None]  # (orders done, orders in the file)


class BatchNotFound(NotFound):
    code = "import_batch_not_found"


class RowNotFound(NotFound):
    code = "import_row_not_found"


@dataclass(frozen=True)
class RowError:
    row: int
    order_id: str
    reason: str


@dataclass
class Preview:
    file_name: str
    encoding: str
    rows: int
    orders: int
    orders_shown: list[dict[str, Any]]
    errors: list[RowError]


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    order_nos: dict[str, str] = field(default_factory=dict)  # draft key -> order number


def prepare() -> None:
    """Call before opening the unit of work of an import, fix or retry: the first order
    number a process hands out leases a node in a transaction of its own, which on SQLite (one
    writer) cannot start while the import's transaction holds the write lock."""
    order_numbers(get_engine(), get_settings().timezone).prime()


def preview(session: Session, *, data: bytes, filename: str, template: str,
            limit: int = 20) -> Preview:
    """What an import with this template would do, writing nothing: the first orders as they
    would be sent, and every row's error."""
    tpl = get_template(session, template)
    return preview_with(session, data=data, filename=filename, mapping=tpl.mapping,
                        shop=tpl.shop, options=tpl.options, limit=limit)


def preview_with(session: Session, *, data: bytes, filename: str, mapping: dict[str, str],
                 shop: str, options: dict[str, Any], limit: int = 20) -> Preview:
    """The same for a mapping not saved yet (the console's mapping step)."""
    mapping, options = check_mapping(mapping), check_options(options)
    find_shop(session, shop)
    sheet = _read(data, filename, mapping)
    drafts = _drafts(_numbered(sheet), mapping, shop, options)
    _check_shops(session, drafts)
    good = [d for d in drafts if d.order is not None]
    shown = [{"rows": d.rows, **d.order.model_dump(mode="json")}
             for d in good[:limit] if d.order is not None]
    return Preview(file_name=filename, encoding=sheet.encoding, rows=len(sheet.rows),
                   orders=len(good), orders_shown=shown, errors=_errors(drafts))


def import_file(session: Session, *, data: bytes, filename: str, template: str, actor: Actor,
                progress: Progress | None = None) -> ImportBatch:
    """Import every good order; keep every row (bad ones with their reason) in the batch."""
    tpl = get_template(session, template)
    sheet = _read(data, filename, tpl.mapping)
    batch = ImportBatch(file_name=filename[:255], encoding=sheet.encoding, template=tpl.name,
                        shop=tpl.shop, mapping=dict(tpl.mapping), options=dict(tpl.options),
                        headers=sheet.headers, rows=len(sheet.rows), created_by=actor.name,
                        created_at=clock.now())
    session.add(batch)
    session.flush()
    drafts = _drafts(_numbered(sheet), batch.mapping, batch.shop, batch.options)
    outcome = _send(session, drafts, batch=batch, actor=actor, progress=progress)
    session.execute(ImportRow.__table__.insert(), [
        _row_values(batch.id, d, n, outcome) for d in drafts for n in d.rows])
    batch.orders_created, batch.orders_updated = outcome.created, outcome.updated
    batch.bad_rows = sum(len(d.errors) for d in drafts)
    session.flush()
    return batch


def fix_row(session: Session, *, batch_id: int, row_number: int, values: dict[str, str],
            actor: Actor) -> ImportRow:
    """Correct cells of a row that was not imported (header -> new text). The row is checked
    again at once; it is imported by `retry_row`."""
    batch, row = get_batch(session, batch_id), get_row(session, batch_id, row_number)
    if row.status == "imported":
        raise Conflict(f"row {row_number} is imported already; change the order itself",
                       details={"row": row_number, "order_no": row.order_no})
    unknown = sorted(set(values) - set(batch.headers))
    if unknown:
        raise InvalidInput(f"the file has no column {', '.join(unknown)}",
                           details={"unknown": unknown, "headers": batch.headers})
    row.raw = {**row.raw, **{k: str(v).strip() for k, v in values.items()}}
    parsed, reasons = parse_row(row.raw, batch.mapping, options_of(batch.options))
    row.order_key = str(parsed.get("platform_order_id", ""))[:80]
    row.status, row.error = "fixed", "; ".join(reasons)
    row.updated_at = clock.now()
    session.flush()
    return row


def retry_row(session: Session, *, batch_id: int, row_number: int, actor: Actor) -> list[ImportRow]:
    """Send the row's order again with all of its rows in this batch; returns those rows."""
    batch, row = get_batch(session, batch_id), get_row(session, batch_id, row_number)
    if row.status == "imported":
        raise Conflict(f"row {row_number} is imported already", details={"row": row_number})
    rows = [row]
    if row.order_key:
        rows = list(session.scalars(select(ImportRow).where(
            ImportRow.batch_id == batch_id, ImportRow.order_key == row.order_key)
            .order_by(ImportRow.row_number)))
    drafts = _drafts([(r.row_number, r.raw) for r in rows], batch.mapping, batch.shop,
                     batch.options)
    outcome = _send(session, drafts, batch=batch, actor=actor, progress=None)
    by_number = {n: d for d in drafts for n in d.rows}
    for r in rows:
        values = _row_values(batch.id, by_number[r.row_number], r.row_number, outcome)
        r.order_key, r.error, r.status = values["order_key"], values["error"], values["status"]
        r.order_no, r.updated_at = values["order_no"], clock.now()
    batch.orders_created += outcome.created
    batch.orders_updated += outcome.updated
    session.flush()
    batch.bad_rows = session.scalar(select(func.count()).select_from(ImportRow).where(
        ImportRow.batch_id == batch_id, ImportRow.status != "imported")) or 0
    session.flush()
    return rows


def list_batches(session: Session, *, limit: int = 50) -> list[ImportBatch]:
    return list(session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)))


def get_batch(session: Session, batch_id: int) -> ImportBatch:
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise BatchNotFound(f"no import batch {batch_id}", details={"batch_id": batch_id})
    return batch


def get_row(session: Session, batch_id: int, row_number: int) -> ImportRow:
    row = session.scalar(select(ImportRow).where(ImportRow.batch_id == batch_id,
                                                 ImportRow.row_number == row_number))
    if row is None:
        raise RowNotFound(f"batch {batch_id} has no row {row_number}",
                          details={"batch_id": batch_id, "row": row_number})
    return row


def batch_rows(session: Session, batch_id: int, *, status: str | None = None,
               limit: int = 1000) -> list[ImportRow]:
    get_batch(session, batch_id)
    stmt = select(ImportRow).where(ImportRow.batch_id == batch_id)
    if status == "pending":  # what still needs a person: bad and fixed-but-not-retried rows
        stmt = stmt.where(ImportRow.status != "imported")
    elif status:
        stmt = stmt.where(ImportRow.status == status)
    return list(session.scalars(stmt.order_by(ImportRow.row_number).limit(limit)))


def _read(data: bytes, filename: str, mapping: dict[str, str]) -> Sheet:
    sheet = read_sheet(data, filename)
    check_columns(mapping, sheet.headers)
    return sheet


def _numbered(sheet: Sheet) -> list[tuple[int, dict[str, str]]]:
    return [(r.number, r.cells) for r in sheet.rows]


def _drafts(rows: list[tuple[int, dict[str, str]]], mapping: dict[str, str], shop: str,
            options: dict[str, Any]) -> list[Draft]:
    return read_orders(rows, mapping=mapping, shop=shop, options=options_of(options))


def _check_shops(session: Session, drafts: list[Draft]) -> None:
    """A shop column may name a shop we do not have: those orders wait with a clear reason."""
    known: dict[str, bool] = {}
    for draft in drafts:
        if draft.order is None:
            continue
        name = draft.order.shop
        if name not in known:
            try:
                find_shop(session, name)
                known[name] = True
            except UnknownShop:
                known[name] = False
        if not known[name]:
            fail_order(draft, f'shop "{name}" is not an active shop in OrderHub')


def _send(session: Session, drafts: list[Draft], *, batch: ImportBatch, actor: Actor,
          progress: Progress | None) -> Outcome:
    _check_shops(session, drafts)
    outcome = Outcome()
    total = len(drafts)
    for done, draft in enumerate(drafts, start=1):
        if draft.order is not None:
            _send_one(session, draft, batch=batch, actor=actor, outcome=outcome)
        if progress is not None:
            progress(done, total)
    return outcome


def _send_one(session: Session, draft: Draft, *, batch: ImportBatch, actor: Actor,
              outcome: Outcome) -> None:
    assert draft.order is not None
    raw = {"file": batch.file_name, "batch": batch.id, "template": batch.template,
           "rows": [{"row": n, "cells": draft.raw[n]} for n in draft.rows]}
    try:
        with session.begin_nested():
            received = pipeline.receive(session, data=draft.order, raw=raw, source=SOURCE,
                                        actor=actor)
    except DomainError as exc:
        fail_order(draft, f"refused by the order service: {exc.message}")
        return
    outcome.order_nos[draft.key] = received.order.order_no
    if received.created:
        outcome.created += 1
    else:
        outcome.updated += 1


def _row_values(batch_id: int, draft: Draft, number: int, outcome: Outcome) -> dict[str, Any]:
    error = draft.errors.get(number, "")
    return {"batch_id": batch_id, "row_number": number, "order_key": draft.order_id[:80],
            "raw": draft.raw[number], "error": error, "status": "bad" if error else "imported",
            "order_no": None if error else outcome.order_nos.get(draft.key),
            "updated_at": clock.now()}


def _errors(drafts: list[Draft]) -> list[RowError]:
    found = [RowError(row=n, order_id=d.order_id, reason=reason)
             for d in drafts for n, reason in d.errors.items()]
    return sorted(found, key=lambda e: e.row)

