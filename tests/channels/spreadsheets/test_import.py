"""Spreadsheet import end to end against the database: encodings, normalisation, row errors,
multi-line orders, correction and retry, idempotent re-import."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orderhub.channels.spreadsheets import service
from orderhub.channels.spreadsheets.models import ImportRow
from orderhub.core.errors import InvalidInput
from orderhub.orders.models import Order, OrderLine, RawPayload
from orderhub.orders.service import get_order
from tests.builders import TEST_ACTOR
from tests.channels.spreadsheets.sheets import (
    EXPECTED_ERRORS,
    GOOD_AND_BAD,
    HEADERS,
    TEMPLATE,
    csv_bytes,
    make_template,
    xlsx_bytes,
)


def _import(session: Session, data: bytes, name: str = "orders.csv"):
    return service.import_file(session, data=data, filename=name, template=TEMPLATE,
                               actor=TEST_ACTOR)


def _errors(session: Session, batch_id: int) -> list[tuple[int, str, str]]:
    return [(r.row_number, r.order_key, r.error)
            for r in service.batch_rows(session, batch_id, status="bad")]


def _order_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Order)) or 0


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_gbk_and_utf8_csv_import_good_rows_and_keep_bad_ones(session: Session, encoding: str) -> None:
    make_template(session)
    data = csv_bytes(GOOD_AND_BAD, encoding=encoding)
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")  # really what Excel writes, not UTF-8 in disguise
    batch = _import(session, data)
    assert batch.encoding == encoding
    assert (batch.rows, batch.orders_created, batch.orders_updated, batch.bad_rows) == (8, 2, 0, 5)
    assert _errors(session, batch.id) == EXPECTED_ERRORS

    first = get_order(session, "TB1001")
    assert first.receiver_phone == "13800138000"  # full-width digits normalised
    assert first.buyer_remark == "生日礼物🎁请包好" and first.buyer_nick == "小鹿🦌"  # kept as typed
    assert (first.receiver_province, first.receiver_city, first.receiver_district) == \
        ("浙江省", "杭州市", "西湖区")  # the one address column, split by the pipeline
    assert [(l.platform_sku, l.quantity, l.unit_price) for l in first.lines] == [("SKU-A", 1, 39900)]
    assert first.created_at.isoformat() == "2026-11-23T02:02:11+00:00"  # Shanghai time, in UTC

    two_lines = get_order(session, "TB1002")
    assert [(l.platform_sku, l.quantity, l.unit_price) for l in two_lines.lines] == \
        [("SKU-B", 2, 5990), ("SKU-C", 1, 990)]
    assert two_lines.shipping_fee == 1000 and two_lines.total == 2 * 5990 + 990 + 1000
    raw = session.scalar(select(RawPayload).where(RawPayload.order_id == two_lines.id))
    assert raw.source == "spreadsheet" and [r["row"] for r in raw.payload["rows"]] == [3, 4]
    imported = service.batch_rows(session, batch.id, status="imported")
    assert {r.row_number: r.order_no for r in imported} == {
        2: first.order_no, 3: two_lines.order_no, 4: two_lines.order_no}


def test_xlsx_with_numbers_and_dates_as_cells(session: Session) -> None:
    from datetime import datetime

    make_template(session)
    rows = [["TB2001", "已付款", datetime(2026, 11, 23, 9, 30), None, "🐼", "周九", 13800138000,
             "四川省成都市武侯区天府大道1号", "🎁🎁", "SKU-A", "羽绒服", 2, 399.5, 0],
            ["TB2002", "已付款", datetime(2026, 11, 23, 9, 45), None, "", "吴十", 13900139000,
             "四川省成都市武侯区天府大道2号", "", "SKU-B", "保温杯", 0, 59.9, 0]]
    batch = _import(session, xlsx_bytes(rows), "orders.xlsx")
    assert (batch.encoding, batch.orders_created, batch.bad_rows) == ("xlsx", 1, 1)
    assert _errors(session, batch.id) == [(3, "TB2002", '购买数量: "0" must be at least 1')]
    order = get_order(session, "TB2001")
    assert order.receiver_phone == "13800138000" and order.buyer_remark == "🎁🎁"
    assert [(l.quantity, l.unit_price) for l in order.lines] == [(2, 39950)]


def test_preview_writes_nothing_and_lists_every_error(session: Session) -> None:
    make_template(session)
    before = _order_count(session)
    result = service.preview(session, data=csv_bytes(GOOD_AND_BAD), filename="orders.csv",
                             template=TEMPLATE, limit=1)
    assert (result.rows, result.orders, result.encoding) == (8, 2, "gb18030")
    assert [(e.row, e.order_id, e.reason) for e in result.errors] == EXPECTED_ERRORS
    [shown] = result.orders_shown
    assert shown["platform_order_id"] == "TB1001" and shown["rows"] == [2]
    assert shown["receiver"]["phone"] == "13800138000" and shown["buyer_remark"] == "生日礼物🎁请包好"
    assert _order_count(session) == before
    assert session.scalar(select(func.count()).select_from(ImportRow)) == 0


def test_reimport_updates_in_place_and_never_duplicates(session: Session) -> None:
    make_template(session)
    data = csv_bytes(GOOD_AND_BAD)
    _import(session, data)
    orders, lines = _order_count(session), session.scalar(select(func.count()).select_from(OrderLine))
    versions = {o.platform_order_id: o.version for o in session.scalars(select(Order))}
    again = _import(session, data)
    assert (again.orders_created, again.orders_updated, again.bad_rows) == (0, 2, 5)
    assert _order_count(session) == orders
    assert session.scalar(select(func.count()).select_from(OrderLine)) == lines
    # nothing differed, so nothing changed: the upsert is idempotent
    assert {o.platform_order_id: o.version for o in session.scalars(select(Order))} == versions


def test_fix_and_retry_imports_the_whole_waiting_order(session: Session) -> None:
    make_template(session)
    batch = _import(session, csv_bytes(GOOD_AND_BAD))
    still = service.fix_row(session, batch_id=batch.id, row_number=8, values={"单价": "abc"},
                            actor=TEST_ACTOR)
    assert (still.status, still.error) == ("fixed", '单价: "abc" is not an amount of money')
    fixed = service.fix_row(session, batch_id=batch.id, row_number=8, values={"单价": "５９.００"},
                            actor=TEST_ACTOR)
    assert (fixed.status, fixed.error) == ("fixed", "")
    rows = service.retry_row(session, batch_id=batch.id, row_number=8, actor=TEST_ACTOR)
    order = get_order(session, "TB1004")
    assert [(r.row_number, r.status, r.order_no) for r in rows] == \
        [(7, "imported", order.order_no), (8, "imported", order.order_no)]
    assert [(l.platform_sku, l.unit_price) for l in order.lines] == [("SKU-A", 39900), ("SKU-B", 5900)]
    assert (batch.orders_created, batch.bad_rows) == (3, 3)


def test_fixing_a_missing_order_id_and_retrying(session: Session) -> None:
    make_template(session)
    batch = _import(session, csv_bytes(GOOD_AND_BAD))
    failed = service.retry_row(session, batch_id=batch.id, row_number=6, actor=TEST_ACTOR)
    assert [(r.status, r.error) for r in failed] == \
        [("bad", "订单编号: empty, but the order id is required")]
    service.fix_row(session, batch_id=batch.id, row_number=6, values={"订单编号": "ＴＢ１００６"},
                    actor=TEST_ACTOR)
    [row] = service.retry_row(session, batch_id=batch.id, row_number=6, actor=TEST_ACTOR)
    assert row.status == "imported" and get_order(session, "TB1006").receiver_name == "赵六"


def test_unknown_shop_in_a_shop_column_keeps_the_rows(session: Session) -> None:
    from orderhub.channels.spreadsheets.templates import save_template
    from tests.channels.spreadsheets.sheets import SHOP, taobao_mapping

    make_template(session)
    save_template(session, name="多店铺", shop=SHOP, mapping={**taobao_mapping(), "shop": "店铺"},
                  options={}, actor=TEST_ACTOR)
    rows = [GOOD_AND_BAD[0] + ["excel-shop"], GOOD_AND_BAD[1] + ["no-such-shop"],
            GOOD_AND_BAD[2] + [""]]
    batch = service.import_file(session, data=csv_bytes(rows, headers=HEADERS + ["店铺"]),
                                filename="shops.csv", template="多店铺", actor=TEST_ACTOR)
    assert batch.orders_created == 1
    assert _errors(session, batch.id) == [
        (3, "TB1002", 'shop "no-such-shop" is not an active shop in OrderHub'),
        (4, "TB1002", 'shop "no-such-shop" is not an active shop in OrderHub')]


def test_a_file_missing_a_mapped_column_is_refused_whole(session: Session) -> None:
    make_template(session)
    data = csv_bytes([["TB9", "1"]], headers=["订单编号", "数量"])
    with pytest.raises(InvalidInput) as refused:
        _import(session, data)
    assert "the file has no column 订单状态 (status)" in refused.value.message
    assert _order_count(session) == 0


def test_neither_utf8_nor_gbk_is_refused(session: Session) -> None:
    make_template(session)
    with pytest.raises(InvalidInput, match="neither UTF-8 nor GBK"):
        _import(session, b"\x81\x20\xff\xfe-not text" * 3 + b"\x80")
