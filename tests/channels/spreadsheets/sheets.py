"""Spreadsheets as sellers send them, built in the test: a Taobao-style order sheet with good
rows, bad rows, a multi-line order, full-width digits and emoji, saved as GBK CSV (what Excel
writes on Chinese Windows), UTF-8 CSV with BOM, or XLSX."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from sqlalchemy.orm import Session

from orderhub.channels.spreadsheets.templates import save_template
from tests.builders import TEST_ACTOR, ensure_shop

SHOP = "excel-shop"
TEMPLATE = "淘宝导出"
HEADERS = ["订单编号", "订单状态", "订单创建时间", "订单付款时间", "买家会员名", "收货人姓名",
           "联系手机", "收货地址", "买家留言", "商家编码", "宝贝标题", "购买数量", "单价", "运费"]
# Row numbers as Excel shows them: the header is row 1.
GOOD_AND_BAD = [
    # row 2: one line, full-width phone and full-width date digits, emoji in the remark
    ["TB1001", "买家已付款,等待卖家发货", "２０２６-11-23 10:02:11", "2026-11-23 10:03:40", "小鹿🦌",
     "张三", "１３８００１３８０００", "浙江省 杭州市 西湖区 文三路90号", "生日礼物🎁请包好",
     "ＳＫＵ－Ａ", "羽绒服 黑色 M", "１", "399.00", "0"],
    # rows 3-4: one order, two lines
    ["TB1002", "已付款", "2026/11/23 11:00", "", "阿明", "李四", "13900139000",
     "广东省 深圳市 南山区 科技园1号", "", "SKU-B", "保温杯", "2", "¥59.90", "10"],
    ["TB1002", "", "", "", "", "", "", "", "", "SKU-C", "杯套", "1", "9.90", ""],
    # row 5: quantity is not a number
    ["TB1003", "已付款", "2026-11-23 12:00", "", "", "王五", "13700137000",
     "江苏省 南京市 玄武区 中山路1号", "", "SKU-A", "羽绒服", "两件", "399", "0"],
    # row 6: no order id
    ["", "已付款", "2026-11-23 12:30", "", "", "赵六", "13600136000",
     "江苏省 南京市 玄武区 中山路2号", "", "SKU-A", "羽绒服", "1", "399", "0"],
    # rows 7-8: one order; row 8 has a bad price, so row 7 waits with it
    ["TB1004", "已付款", "2026-11-23 13:00", "", "", "钱七", "13500135000",
     "上海市 上海市 浦东新区 世纪大道100号", "", "SKU-A", "羽绒服", "1", "399", "0"],
    ["TB1004", "", "", "", "", "", "", "", "", "SKU-B", "保温杯", "1", "五十九", ""],
    # row 9: a date nobody can read
    ["TB1005", "已付款", "昨天下午", "", "", "孙八", "13400134000",
     "北京市 北京市 朝阳区 建国路1号", "", "SKU-A", "羽绒服", "1", "399", "0"],
]
EXPECTED_ERRORS = [
    (5, "TB1003", '购买数量: "两件" is not a whole number'),
    (6, "", "订单编号: empty, but the order id is required"),
    (7, "TB1004", "waiting: row 8 of the same order TB1004 must be fixed first"),
    (8, "TB1004", '单价: "五十九" is not an amount of money'),
    (9, "TB1005", '订单创建时间: "昨天下午" is not a date and time'),
]


def csv_bytes(rows: list[list[str]], *, encoding: str = "gb18030",
              headers: list[str] = HEADERS) -> bytes:
    """Excel's "CSV (逗号分隔)" on Chinese Windows: GBK text, CRLF line ends."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]], *, headers: list[str] = HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def taobao_mapping() -> dict[str, str]:
    return {"platform_order_id": "订单编号", "status": "订单状态", "created_at": "订单创建时间",
            "paid_at": "订单付款时间", "buyer_nick": "买家会员名", "receiver_name": "收货人姓名",
            "receiver_phone": "联系手机", "receiver_address": "收货地址",
            "buyer_remark": "买家留言", "platform_sku": "商家编码", "title": "宝贝标题",
            "quantity": "购买数量", "unit_price": "单价", "shipping_fee": "运费"}


def make_template(session: Session, name: str = TEMPLATE, **options: str) -> None:
    ensure_shop(session, SHOP, channel="spreadsheet")
    save_template(session, name=name, shop=SHOP, mapping=taobao_mapping(), options=options,
                  actor=TEST_ACTOR)
