"""The WMS round trip: the to-ship list out as a sheet (one row per order line), and the same
sheet back with the WMS's carrier and tracking number filled in, which ships those orders.

One transaction for the whole import, each order in a savepoint of its own: an order that
cannot ship rolls back only its own savepoint, so a bad row never undoes a good one, and the
import record (every row with its outcome) commits together with exactly the shipments it
reports. Importing the same file again is harmless: an order already shipped under the same
number is reported as done, not as an error.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.channels.base import CARRIERS
from orderhub.core import clock
from orderhub.core.actor import Actor
from orderhub.core.errors import DomainError, InvalidInput, NotFound
from orderhub.core.spreadsheets import XLSX_SUFFIXES, normalise_code, read_sheet
from orderhub.fulfilment.lists.models import WmsImport
from orderhub.fulfilment.lists.render import local_time, write_sheet
from orderhub.fulfilment.lists.service import to_ship
from orderhub.fulfilment.shipping import ship_order
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order
from orderhub.orders.queries import order_events
from orderhub.orders.service import get_order

VIA = "wms_import"
COLUMNS = ("order_no", "platform_order_id", "warehouse", "carrier", "tracking_no", "receiver_name",
           "receiver_phone", "receiver_province", "receiver_city", "receiver_district",
           "receiver_address", "sku", "title", "qty", "gift", "remark", "deadline",
           "shipped_carrier", "shipped_tracking_no", "shipped_at")
WIDTHS = (20, 22, 10, 8, 20, 12, 16, 10, 10, 10, 36, 16, 30, 6, 6, 36, 17, 14, 22, 17)
SHEET = "to-ship"
REQUIRED = ("order_no", "shipped_carrier", "shipped_tracking_no")
# Carrier names as a WMS may write them, besides the codes.
CARRIER_NAMES = {name: code for code, name in CARRIERS.items()}


class WmsImportNotFound(NotFound):
    code = "wms_import_not_found"


@dataclass(frozen=True)
class RowError:
    row: int
    order_no: str
    reason: str


# --- export ------------------------------------------------------------------------------------

def export_xlsx(session: Session, *, warehouse: str | None = None) -> bytes:
    """Every to-ship order line (allocated and printed) on one sheet (the import reads the first
    sheet only), by warehouse code and then soonest deadline first."""
    book = Workbook()
    book.remove(book.active)
    rows = [[o.order_no, o.platform_order_id, o.warehouse, o.carrier, o.tracking_no,
             o.receiver_name, o.receiver_phone, o.province, o.city, o.district, o.address,
             line.sku, line.title, line.quantity, "Y" if line.gift else "",
             " / ".join(t for t in (o.buyer_remark, o.seller_memo) if t), local_time(o.deadline),
             "", "", ""]
            for wl in to_ship(session, warehouse=warehouse, status="both")
            for o in wl.orders for line in o.lines]
    write_sheet(book, SHEET, COLUMNS, WIDTHS, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- import ------------------------------------------------------------------------------------

def import_xlsx(session: Session, *, data: bytes, filename: str, actor: Actor) -> WmsImport:
    """Ship every order whose rows carry a tracking number; keep every row with its outcome."""
    if not filename.lower().endswith(XLSX_SUFFIXES):
        raise InvalidInput(f"{filename!r} is not an XLSX file: upload the sheet exported from "
                           "/api/v1/lists/wms-export.xlsx, filled in", details={"file": filename})
    sheet = read_sheet(data, filename)  # refuses a file that is not a readable workbook
    missing = [c for c in REQUIRED if c not in sheet.headers]
    if missing:
        raise InvalidInput(f"the sheet lacks the column(s) {', '.join(missing)}",
                           details={"file": filename, "missing": missing, "required": list(REQUIRED)})
    rows: dict[int, dict[str, Any]] = {
        r.number: {"row": r.number, "order_no": normalise_code(r.cells.get("order_no", "")),
                   "cells": r.cells, "status": "", "error": ""} for r in sheet.rows}
    by_order: dict[str, list[int]] = defaultdict(list)
    for number, row in rows.items():
        if row["order_no"]:
            by_order[row["order_no"]].append(number)
        elif _number(row["cells"]):
            row["status"], row["error"] = "bad", "order_no is empty"
        else:
            row["status"] = "skipped"
    # An order the WMS has not shipped (no number on any of its rows) is left alone; a number on
    # one of its rows ships the whole order (a WMS may fill only an order's first line).
    for order_no in [o for o, ns in by_order.items() if not any(_number(rows[n]["cells"]) for n in ns)]:
        for n in by_order.pop(order_no):
            rows[n]["status"] = "skipped"
    counts = {"shipped": 0, "already_shipped": 0}
    for order_no, row_numbers in by_order.items():
        status, error = _ship_rows(session, order_no, [rows[n]["cells"] for n in row_numbers], actor)
        for n in row_numbers:
            rows[n]["status"], rows[n]["error"] = status, error
        if status in counts:
            counts[status] += 1
    kept = [rows[n] for n in sorted(rows)]
    record = WmsImport(file_name=filename[:255], row_count=len(kept), shipped=counts["shipped"],
                       already_shipped=counts["already_shipped"],
                       skipped_rows=sum(r["status"] == "skipped" for r in kept),
                       bad_rows=sum(r["status"] == "bad" for r in kept), rows=kept,
                       created_by=actor.name, created_at=clock.now())
    session.add(record)
    session.flush()
    return record


def _ship_rows(session: Session, order_no: str, cells: list[dict[str, str]],
               actor: Actor) -> tuple[str, str]:
    """(status, reason) for one order's rows: shipped, already_shipped or bad."""
    cells = [c for c in cells if _number(c)]  # the rows the WMS filled in
    numbers = {_number(c) for c in cells}
    if len(numbers) > 1:
        return "bad", f"the rows of order {order_no} carry different tracking numbers: {', '.join(sorted(numbers))}"
    tracking_no = numbers.pop()
    written = {normalise_code(c.get("shipped_carrier", "")) or normalise_code(c.get("carrier", ""))
               for c in cells} - {""}
    if not written:
        return "bad", "shipped_carrier is empty (and the row names no carrier)"
    if len(written) > 1:
        return "bad", f"the rows of order {order_no} name different carriers: {', '.join(sorted(written))}"
    raw_carrier = written.pop()
    carrier = CARRIER_NAMES.get(raw_carrier, raw_carrier.upper())
    if carrier not in CARRIERS:
        return "bad", f"unknown carrier code {raw_carrier!r} (valid: {', '.join(CARRIERS)})"
    try:
        order = get_order(session, order_no, for_update=True)
    except NotFound:
        return "bad", f"unknown order {order_no!r}"
    refusal = _refusal(session, order, carrier, tracking_no)
    if refusal is not None:
        return refusal
    try:
        with session.begin_nested():
            ship_order(session, order, actor=actor, via=VIA, carrier=carrier, tracking_no=tracking_no)
    except DomainError as exc:
        session.refresh(order)
        return "bad", f"cannot ship order {order.order_no}: {exc.message}"
    return "shipped", ""


def _number(cells: dict[str, str]) -> str:
    return normalise_code(cells.get("shipped_tracking_no", ""))


def _refusal(session: Session, order: Order, carrier: str, tracking_no: str) -> tuple[str, str] | None:
    """Why this order cannot ship now, in words for the person fixing the sheet; None if it can."""
    if order.status == lc.LABEL_PRINTED:
        return None
    if order.status in (lc.SHIPPED, lc.DELIVERED, lc.COMPLETED):
        before = last_shipment(session, order)
        if before and before[1] == tracking_no:
            return "already_shipped", ""
        shown = f"{before[0]} {before[1]}" if before else "another number"
        return "bad", f"order {order.order_no} already shipped with {shown}, not {carrier} {tracking_no}"
    if order.status == lc.CANCELLED:
        return "bad", f"order {order.order_no} is cancelled: do not ship it"
    if order.status == lc.ON_HOLD:
        return "bad", f"order {order.order_no} is on hold: release its holds before shipping"
    if order.status == lc.ALLOCATED:
        return "bad", f"order {order.order_no} has no printed label yet (status allocated)"
    return "bad", f"order {order.order_no} cannot ship in status {order.status}"


def last_shipment(session: Session, order: Order) -> tuple[str, str] | None:
    """(carrier, tracking number) of the order's last shipment, from its order.shipped event."""
    shipped = [e for e in order_events(session, order) if e.topic == "order.shipped"]
    if not shipped:
        return None
    payload = shipped[-1].payload or {}
    return str(payload.get("carrier") or ""), str(payload.get("tracking_no") or "")


def get_import(session: Session, import_id: int) -> WmsImport:
    found = session.get(WmsImport, import_id)
    if found is None:
        raise WmsImportNotFound(f"no WMS import {import_id}", details={"id": import_id})
    return found


def list_imports(session: Session, *, limit: int = 20) -> list[WmsImport]:
    return list(session.scalars(select(WmsImport).order_by(WmsImport.id.desc()).limit(limit)))


def errors(record: WmsImport) -> list[RowError]:
    return [RowError(r["row"], r["order_no"], r["error"]) for r in record.rows if r["status"] == "bad"]
