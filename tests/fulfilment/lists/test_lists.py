"""Pick and shipping lists: the right orders per warehouse, soonest deadline first, bundles
picked as components, gifts and remarks marked; the PDF's text (Chinese included) and the
XLSX's sheets as a person would open them."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput
from orderhub.fulfilment.lists import render, service
from orderhub.routing import config
from orderhub.routing import service as routing
from tests.builders import TEST_ACTOR
from tests.fulfilment.lists.support import MEMO, REMARK, Day
from tests.routing.helpers import order, put_stock, seed


def pdf_text(data: bytes) -> list[str]:
    doc = pdfium.PdfDocument(data)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def test_shipping_list_groups_by_warehouse_and_sorts_by_deadline(day: Day) -> None:
    with unit_of_work() as session:
        both = service.shipping_lists(session)
        printed = service.shipping_lists(session, status="label_printed")
        allocated = service.shipping_lists(session, status="allocated")
        only_gz = service.shipping_lists(session, warehouse="GZ")
    assert [(wl.warehouse, [o.order_no for o in wl.orders]) for wl in both] == [
        ("GZ", [day.o3]), ("HZ", [day.o2, day.o1, day.o4])]  # o4 has no deadline: last
    assert [(wl.warehouse, [o.order_no for o in wl.orders]) for wl in printed] == [
        ("GZ", [day.o3]), ("HZ", [day.o2, day.o1])]
    assert [(wl.warehouse, [o.order_no for o in wl.orders]) for wl in allocated] == [("HZ", [day.o4])]
    assert [wl.warehouse for wl in only_gz] == ["GZ"] and both[1].warehouse_name == "杭州仓"
    o2, o1, o4 = both[1].orders
    assert (o1.buyer_remark, o1.seller_memo, o1.receiver_name, o1.receiver_phone) == (REMARK, MEMO, "张三", "13800138000")
    assert (o1.carrier, o1.tracking_no) == day.tracking(day.o1) and o1.carrier == "ZTO"
    assert (o4.carrier, o4.tracking_no, o4.deadline) == ("", "", None)
    assert [(line.sku, line.quantity, line.gift) for line in o2.lines] == [("KIT", 1, False), ("C", 1, True)]


def test_pick_list_expands_bundles_marks_gifts_and_totals(day: Day) -> None:
    with unit_of_work() as session:
        lists = {wl.warehouse: wl for wl in service.pick_lists(session)}
    hz = [(i.sku, i.name, i.barcode, i.quantity, i.orders, i.gift) for i in lists["HZ"].items]
    # A: o1 x2 + o2's KIT (1 A) + o4 x1; B: 2 per KIT; C is o2's free gift, listed after the rest.
    assert hz == [("A", "商品 A", "6901234567892", 4, 3, False), ("B", "商品 B", "6901234567809", 2, 1, False),
                  ("C", "商品 C", "", 1, 1, True)]
    assert lists["HZ"].units == 7 and set(lists["HZ"].items[0].order_nos) == {day.o1, day.o2, day.o4}
    assert [(i.sku, i.quantity, i.order_nos) for i in lists["GZ"].items] == [("B", 3, [day.o3])]


def test_pdfs_carry_the_lists_text_in_chinese_on_every_page(day: Day) -> None:
    with unit_of_work() as session:
        pick = render.to_pdf(render.PICK_TITLE, render.pick_grids(service.pick_lists(session)))
        shipping = render.to_pdf(render.SHIPPING_TITLE, render.shipping_grids(service.shipping_lists(session)),
                                 wide=True)
    pages = pdf_text(pick)
    assert len(pages) == 2  # one warehouse per page
    assert "拣货单" in pages[0] and "GZ 广州仓" in pages[0] and "第 1 / 2 页" in pages[0]
    assert "HZ 杭州仓" in pages[1] and "赠品" in pages[1] and "6901234567892" in pages[1] and day.o2 in pages[1]
    text = "\n".join(pdf_text(shipping))
    for expected in (REMARK, MEMO, "买家留言", "卖家备注", "【赠品】", day.o1, day.tracking(day.o1)[1], "张三",
                     "浙江省"):
        assert expected in text, expected
    assert text.index(day.o2) < text.index(day.o1) < text.index(day.o4)  # by deadline


def test_a_long_list_repeats_its_header_on_every_page(day: Day) -> None:
    rows = [[str(n), f"SKU-{n}", "很长的商品名称" * 3, "", "1", "1", "X", ""] for n in range(200)]
    grid = render.Grid("HZ", "HZ 杭州仓", render.PICK_HEADERS, render.PICK_WIDTHS, rows)
    pages = pdf_text(render.to_pdf(render.PICK_TITLE, [grid]))
    assert len(pages) > 2
    for number, page in enumerate(pages, start=1):
        assert "SKU 编码" in page and "HZ 杭州仓" in page and f"第 {number} / {len(pages)} 页" in page


def test_xlsx_has_a_sheet_per_warehouse_with_a_bold_frozen_header(day: Day) -> None:
    with unit_of_work() as session:
        pick = render.to_xlsx(render.pick_grids(service.pick_lists(session)))
        shipping = render.to_xlsx(render.shipping_grids(service.shipping_lists(session)))
    book = load_workbook(io.BytesIO(pick))
    assert book.sheetnames == ["GZ", "HZ"]
    hz = book["HZ"]
    assert hz.freeze_panes == "A2" and all(c.font.bold for c in hz[1])
    assert [c.value for c in hz[1]] == list(render.PICK_HEADERS)
    assert [(r[1], r[4], r[7]) for r in hz.iter_rows(min_row=2, values_only=True)] == [
        ("A", "4", None), ("B", "2", None), ("C", "1", "赠品")]
    assert hz["H4"].font.color.rgb.endswith("FF0000") and hz.column_dimensions["G"].width == 24
    sheet = load_workbook(io.BytesIO(shipping))["HZ"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[1].split("\n")[0] for r in rows] == [day.o2, day.o1, day.o4]
    assert rows[1][5] == f"买家留言：{REMARK}\n卖家备注：{MEMO}" and sheet["F3"].font.bold
    assert "【赠品】" in rows[0][4]


def test_unknown_warehouse_or_status_is_refused(day: Day) -> None:
    with unit_of_work() as session:
        with pytest.raises(InvalidInput, match="no active warehouse 'XX'"):
            service.pick_lists(session, warehouse="XX")
        with pytest.raises(InvalidInput, match="status must be one of"):
            service.shipping_lists(session, status="shipped")


def test_nothing_to_ship_gives_a_one_page_pdf_saying_so(committed: Engine) -> None:
    with unit_of_work() as session:
        lists = service.pick_lists(session)
    assert lists == []
    assert "没有待发货的订单" in pdf_text(render.to_pdf(render.PICK_TITLE, render.pick_grids(lists)))[0]


def test_a_split_order_is_listed_in_each_warehouse_with_the_lines_shipped_from_there(session: Session) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 1}, "GZ": {"B": 2}})
    config.update_config(session, actor=TEST_ACTOR, allow_split=True)
    o = order(session, lines=[("A", 1), ("B", 2)])
    assert routing.allocate(session, order=o, actor=TEST_ACTOR).decision.policy == "split"
    lists = {wl.warehouse: wl for wl in service.pick_lists(session)}
    assert [(i.sku, i.quantity, i.order_nos) for i in lists["HZ"].items] == [("A", 1, [o.order_no])]
    assert [(i.sku, i.quantity, i.order_nos) for i in lists["GZ"].items] == [("B", 2, [o.order_no])]
    assert [line.sku for line in lists["GZ"].orders[0].lines] == ["B"]
