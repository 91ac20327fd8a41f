"""The WMS round trip: export the to-ship lines, the WMS fills in what it shipped, import ships
those orders (stock consumed, write-back queued); every kind of bad row is kept with its row
number and reason while the good rows still ship; a file that is not the sheet is refused."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine

from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput
from orderhub.fulfilment.lists import wms
from orderhub.fulfilment.lists.models import WmsImport
from orderhub.orders import lifecycle as lc
from orderhub.orders.holds import add_hold
from orderhub.orders.service import cancel_order, transition
from orderhub.routing import service as routing
from tests.builders import TEST_ACTOR
from tests.fulfilment.lists.support import (
    REMARK,
    Day,
    filled,
    on_hand,
    sheet_rows,
    ship_confirms,
    status_of,
)
from tests.routing.helpers import order


def export(warehouse: str | None = None) -> bytes:
    with unit_of_work() as session:
        return wms.export_xlsx(session, warehouse=warehouse)


def run_import(data: bytes, filename: str = "wms.xlsx") -> WmsImport:
    with unit_of_work() as session:
        record = wms.import_xlsx(session, data=data, filename=filename, actor=TEST_ACTOR)
        session.expunge(record)
        return record


def test_export_has_one_row_per_line_with_empty_columns_for_the_wms(day: Day) -> None:
    sheets = sheet_rows(export())
    assert list(sheets) == ["to-ship"]
    rows = sheets["to-ship"]
    assert list(rows[0]) == list(wms.COLUMNS)
    assert [(r["warehouse"], r["order_no"], r["sku"], r["qty"], r["gift"]) for r in rows] == [
        ("GZ", day.o3, "B", 3, None), ("HZ", day.o2, "KIT", 1, None), ("HZ", day.o2, "C", 1, "Y"),
        ("HZ", day.o1, "A", 2, None), ("HZ", day.o4, "A", 1, None)]
    first = rows[3]
    assert (first["carrier"], first["tracking_no"]) == day.tracking(day.o1)
    assert first["warehouse"] == "HZ" and first["receiver_name"] == "张三" and REMARK in first["remark"]
    assert first["deadline"] and all(first[c] is None for c in ("shipped_carrier", "shipped_tracking_no", "shipped_at"))
    assert [r["order_no"] for r in sheet_rows(export("GZ"))["to-ship"]] == [day.o3]


def test_import_ships_filled_orders_consumes_stock_and_queues_the_write_back(day: Day) -> None:
    before_a, before_b = on_hand(day, "HZ", "A"), on_hand(day, "HZ", "B")
    own_number = "SF1234567890123"
    answer = filled(export(), {day.o1: day.tracking(day.o1), day.o2: ("顺丰速运", own_number),
                               day.o3: day.tracking(day.o3)})
    record = run_import(answer)
    assert (record.shipped, record.already_shipped, record.bad_rows, record.skipped_rows) == (3, 0, 0, 1)
    assert [status_of(n) for n in (day.o1, day.o2, day.o3, day.o4)] == [lc.SHIPPED] * 3 + [lc.ALLOCATED]
    # o1 took 2 A, o2's KIT 1 A + 2 B: on hand and reserved fall together.
    assert on_hand(day, "HZ", "A") == (before_a[0] - 3, before_a[1] - 3)
    assert on_hand(day, "HZ", "B") == (before_b[0] - 2, before_b[1] - 2)
    confirms = {p["tracking_no"]: p["carrier"] for p in ship_confirms()}
    assert confirms == {day.tracking(day.o1)[1]: "ZTO", own_number: "SF", day.tracking(day.o3)[1]: "ZTO"}
    # The same file again: nothing ships twice, and nothing is an error.
    again = run_import(answer)
    assert (again.shipped, again.already_shipped, again.bad_rows) == (0, 3, 0)
    assert len(ship_confirms()) == 3


def test_every_bad_row_has_its_row_number_and_reason_and_good_rows_still_ship(day: Day) -> None:
    with unit_of_work() as session:
        held, cancelled = order(session, lines=[("A", 1)]), order(session, lines=[("A", 1)])
        for o in (held, cancelled):
            routing.allocate(session, order=o, actor=TEST_ACTOR)
            transition(session, o, lc.LABEL_PRINTED, actor=TEST_ACTOR)
        add_hold(session, order_no=held.order_no, reason_code="address_check", reason="地址待确认",
                 actor=TEST_ACTOR)
        cancel_order(session, order_no=cancelled.order_no, actor=TEST_ACTOR, reason="buyer asked")
        held_no, cancelled_no = held.order_no, cancelled.order_no
    # o3 shipped before under its waybill number; then the sheet names it with another one.
    run_import(filled(export("GZ"), {day.o3: day.tracking(day.o3)}))
    sheet = filled(export("HZ"), {day.o1: day.tracking(day.o1), day.o4: ("ZTO", "ZT0000000004"),
                                  day.o2: ("XYZ", "X-1")}, extra=[
        ["NO-SUCH-ORDER", "ZTO", "ZT1"], [held_no, "ZTO", "ZT2"], [cancelled_no, "ZTO", "ZT3"],
        [day.o3, "ZTO", day.tracking(day.o3)[1]], [day.o3 + " ", "ZTO", "ZT-OTHER"], ["", "ZTO", "ZT4"]])
    record = run_import(sheet)
    conflict = (f"the rows of order {day.o3} carry different tracking numbers: "
                f"{', '.join(sorted(['ZT-OTHER', day.tracking(day.o3)[1]]))}")
    reasons = {e.row: e.reason for e in wms.errors(record)}
    # Rows 2-3: o2 (KIT, gift C), 4: o1, 5: o4, then the extra rows from 6.
    assert reasons == {
        2: "unknown carrier code 'XYZ' (valid: SF, ZTO, YTO, YUNDA, STO, JD, EMS, JTSD, DBKD)",
        3: "unknown carrier code 'XYZ' (valid: SF, ZTO, YTO, YUNDA, STO, JD, EMS, JTSD, DBKD)",
        5: f"order {day.o4} has no printed label yet (status allocated)",
        6: "unknown order 'NO-SUCH-ORDER'",
        7: f"order {held_no} is on hold: release its holds before shipping",
        8: f"order {cancelled_no} is cancelled: do not ship it",
        # o3 twice with two numbers: one order whose rows disagree.
        9: conflict,
        10: conflict,
        11: "order_no is empty",
    }
    assert (record.shipped, record.bad_rows) == (1, 9) and status_of(day.o1) == lc.SHIPPED
    assert [status_of(n) for n in (day.o2, day.o4, held_no, cancelled_no)] == [
        lc.LABEL_PRINTED, lc.ALLOCATED, lc.ON_HOLD, lc.CANCELLED]
    with unit_of_work() as session:
        stored = wms.get_import(session, record.id)
        assert stored.rows[3]["row"] == 5 and stored.rows[3]["cells"]["shipped_tracking_no"] == "ZT0000000004"
        assert stored.rows[3]["status"] == "bad" and stored.rows[2]["status"] == "shipped"


def test_already_shipped_with_another_number_is_an_error(day: Day) -> None:
    run_import(filled(export("GZ"), {day.o3: day.tracking(day.o3)}))
    record = run_import(filled(export("HZ"), {}, extra=[[day.o3, "YTO", "YT9999"]]))
    carrier, number = day.tracking(day.o3)
    assert [(e.row, e.reason) for e in wms.errors(record)] == [
        (6, f"order {day.o3} already shipped with {carrier} {number}, not YTO YT9999")]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("wms.csv", b"order_no,shipped_carrier,shipped_tracking_no\nX,ZTO,1\n", "'wms.csv' is not an XLSX file"),
    ("wms.xlsx", b"order_no,shipped_carrier\n", "not a readable XLSX file"),
    ("wms.xlsx", None, "the sheet lacks the column(s) shipped_carrier, shipped_tracking_no"),
])
def test_a_file_that_is_not_the_wms_sheet_is_refused_whole(committed: Engine, name: str,
                                                            content: bytes | None, message: str) -> None:
    if content is None:
        book = Workbook()
        book.active.append(["order_no", "tracking"])
        book.active.append(["X", "1"])
        out = io.BytesIO()
        book.save(out)
        content = out.getvalue()
    with pytest.raises(InvalidInput) as refused:
        run_import(content, name)
    assert message in refused.value.message
    with unit_of_work() as session:
        assert wms.list_imports(session) == []


def test_a_number_on_one_row_of_an_order_ships_the_whole_order(day: Day) -> None:
    record = run_import(filled(export("HZ"), {}, extra=[[day.o2, "ZTO", "ZT55"]]))
    assert (record.shipped, record.bad_rows, record.skipped_rows) == (1, 0, 2)  # o1 and o4 left alone
    assert {r["row"]: r["status"] for r in record.rows} == {
        2: "shipped", 3: "shipped", 4: "skipped", 5: "skipped", 6: "shipped"}
    assert status_of(day.o2) == lc.SHIPPED and status_of(day.o1) == lc.LABEL_PRINTED
