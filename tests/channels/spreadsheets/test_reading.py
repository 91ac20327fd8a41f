"""Reading and cleaning without a database: encodings, cells, dates, codes, the suggestion."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from orderhub.channels.spreadsheets.mapping import suggest_mapping
from orderhub.channels.spreadsheets.reading import Options, parse_row, read_orders
from orderhub.core.errors import InvalidInput
from orderhub.core.spreadsheets import read_sheet
from tests.channels.spreadsheets.sheets import HEADERS, taobao_mapping

SHANGHAI = timezone(timedelta(hours=8))
MAPPING = {"platform_order_id": "单号", "created_at": "时间", "platform_sku": "编码",
           "quantity": "数量", "unit_price": "单价", "receiver_phone": "手机", "buyer_remark": "留言"}


def _row(**cells: str) -> dict[str, str]:
    base = {"单号": "A1", "时间": "2026-11-23 10:00", "编码": "SKU-A", "数量": "1", "单价": "1",
            "手机": "", "留言": ""}
    return base | cells


def test_utf16_tab_separated_unicode_text() -> None:
    data = "\ufeff单号\t数量\r\nＡ１\t２\r\n".encode("utf-16-le")
    sheet = read_sheet(data, "unicode.txt")
    assert (sheet.encoding, sheet.headers) == ("utf-16", ["单号", "数量"])
    assert [(r.number, r.cells) for r in sheet.rows] == [(2, {"单号": "Ａ１", "数量": "２"})]


def test_blank_rows_keep_excel_row_numbers() -> None:
    sheet = read_sheet("单号,数量\n\nA,1\n,\nB,2\n".encode(), "a.csv")
    assert [r.number for r in sheet.rows] == [3, 5]


def test_duplicate_headers_are_refused() -> None:
    with pytest.raises(InvalidInput, match="twice: 数量"):
        read_sheet("数量,数量\n1,2\n".encode(), "a.csv")


@pytest.mark.parametrize("text, expected", [
    ("2026-11-23 10:02:11", datetime(2026, 11, 23, 10, 2, 11, tzinfo=SHANGHAI)),
    ("２０２６／１１／２３　１０：０２", datetime(2026, 11, 23, 10, 2, tzinfo=SHANGHAI)),
    ("2026年11月3日 9:05", datetime(2026, 11, 3, 9, 5, tzinfo=SHANGHAI)),
    ("2026-11-23T10:02:11+00:00", datetime(2026, 11, 23, 18, 2, 11, tzinfo=SHANGHAI)),
    ("46349.5", datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI)),  # an Excel serial in a CSV
])
def test_dates(text: str, expected: datetime) -> None:
    values, reasons = parse_row(_row(时间=text), MAPPING, Options())
    assert reasons == [] and values["created_at"] == expected


def test_date_format_option() -> None:
    values, _ = parse_row(_row(时间="23/11/2026 10:02"), MAPPING, Options(date_format="%d/%m/%Y %H:%M"))
    assert values["created_at"] == datetime(2026, 11, 23, 10, 2, tzinfo=SHANGHAI)
    _, reasons = parse_row(_row(时间="2026-11-23"), MAPPING, Options(date_format="%d/%m/%Y %H:%M"))
    assert reasons == ['时间: "2026-11-23" is not a date and time (expected %d/%m/%Y %H:%M)']


def test_codes_are_normalised_and_free_text_is_not() -> None:
    values, reasons = parse_row(_row(单号='="２０２６１１２３００１"', 编码="ＳＫＵ－Ａ", 数量="３",
                                     单价="￥１,２９９.００", 手机="１３８ ００１３ ８０００",
                                     留言="请周末送货，谢谢！🎁"), MAPPING, Options())
    assert reasons == []
    assert values["platform_order_id"] == "20261123001"
    assert (values["platform_sku"], values["quantity"], values["unit_price"]) == ("SKU-A", 3, "1299.00")
    assert values["receiver_phone"] == "13800138000"
    assert values["buyer_remark"] == "请周末送货，谢谢！🎁"  # full-width punctuation kept


def test_order_id_mangled_by_excel_is_explained() -> None:
    _, reasons = parse_row(_row(单号="2.02611E+17"), MAPPING, Options())
    assert reasons == [('单号: "2.02611E+17" was shortened by Excel to scientific notation; '
                       "format the column as text and export again")]


def test_order_level_values_from_the_first_row_that_has_them() -> None:
    rows = [(2, _row(编码="A", 留言="")), (3, _row(时间="", 编码="B", 留言="礼物🎁"))]
    [draft] = read_orders(rows, mapping=MAPPING, shop="s", options=Options())
    assert draft.errors == {} and draft.order is not None
    assert draft.order.buyer_remark == "礼物🎁"
    assert [line.platform_sku for line in draft.order.lines] == ["A", "B"]


def test_an_order_without_any_time_names_its_first_row() -> None:
    rows = [(2, _row(时间="")), (3, _row(时间="", 编码="B"))]
    [draft] = read_orders(rows, mapping=MAPPING, shop="s", options=Options())
    assert draft.errors == {2: "时间: empty, but the order time is required",
                            3: "waiting: row 2 of the same order A1 must be fixed first"}


def test_suggestion_for_taobao_jd_and_english_headers() -> None:
    assert suggest_mapping(HEADERS) == taobao_mapping()
    jd = ["订单号", "商品名称", "订购数量", "京东价", "下单时间", "客户姓名", "客户地址", "联系电话",
          "商家备注", "商品编码"]
    assert suggest_mapping(jd) == {
        "platform_order_id": "订单号", "title": "商品名称", "quantity": "订购数量",
        "unit_price": "京东价", "created_at": "下单时间", "receiver_name": "客户姓名",
        "receiver_address": "客户地址", "receiver_phone": "联系电话", "seller_memo": "商家备注",
        "platform_sku": "商品编码"}
    english = ["Order ID", "SKU", "Qty", "Unit Price", "Created At", "Phone", "Address"]
    assert suggest_mapping(english) == {
        "platform_order_id": "Order ID", "platform_sku": "SKU", "quantity": "Qty",
        "unit_price": "Unit Price", "created_at": "Created At", "receiver_phone": "Phone",
        "receiver_address": "Address"}
