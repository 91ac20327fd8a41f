"""The pick and shipping lists as PDF (A4, reportlab) and XLSX (openpyxl).

Both lists become `Grid`s first (a header row and text rows per warehouse); one routine draws a
grid as a PDF table and one writes it as a sheet, so the two lists share all drawing code.
Cells that must not be missed (buyer remarks, seller memos, gifts) are `Strong`: red in the PDF,
bold red in the sheet.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)
from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.core.settings import get_settings
from orderhub.fulfilment.lists.service import (
    ToShip,
    WarehouseList,
    pick_lists,
    shipping_lists,
)
from orderhub.fulfilment.pdf import cjk_font

PICK_TITLE, SHIPPING_TITLE = "拣货单", "发货单"
GIFT = "赠品"
PDF, XLSX = "application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = ("pick.pdf", "pick.xlsx", "shipping.pdf", "shipping.xlsx")
MARGIN = 12 * mm
XLSX_CHARS_PER_MM = 0.55  # a column of n characters in Excel is about n / 0.55 mm wide


class Strong(str):
    """Text that must stand out on paper and in the sheet."""


@dataclass(frozen=True)
class Grid:
    code: str  # warehouse code (the sheet's name)
    label: str  # warehouse code and name (the page header)
    headers: tuple[str, ...]
    widths: tuple[float, ...]  # millimetres on A4 (scaled to fit); characters x 0.55 in XLSX
    rows: list[list[str]]


PICK_HEADERS = ("序号", "SKU 编码", "名称", "条码", "数量", "订单数", "订单号", "赠品")
PICK_WIDTHS = (11, 26, 40, 27, 12, 15, 43, 12)
SHIPPING_HEADERS = ("序号", "订单号 / 平台单号 / 店铺", "发货截止", "收件人 / 地址", "商品",
                    "买家留言 / 卖家备注", "快递 / 运单号")
SHIPPING_WIDTHS = (11, 42, 30, 50, 55, 52, 33)


def pick_grids(lists: list[WarehouseList]) -> list[Grid]:
    return [Grid(wl.warehouse, _label(wl), PICK_HEADERS, PICK_WIDTHS, [
        [str(n), item.sku, item.name, item.barcode, str(item.quantity), str(item.orders),
         ", ".join(item.order_nos), Strong(GIFT) if item.gift else ""]
        for n, item in enumerate(wl.items, start=1)]) for wl in lists]


def shipping_grids(lists: list[WarehouseList]) -> list[Grid]:
    return [Grid(wl.warehouse, _label(wl), SHIPPING_HEADERS, SHIPPING_WIDTHS,
                 [_shipping_row(n, o) for n, o in enumerate(wl.orders, start=1)]) for wl in lists]


def _shipping_row(n: int, o: ToShip) -> list[str]:
    lines = "\n".join(f"{line.sku} {line.title} ×{line.quantity}" + (f" 【{GIFT}】" if line.gift else "")
                      for line in o.lines)
    remarks = "\n".join(text for text in (o.buyer_remark and f"买家留言：{o.buyer_remark}",
                                          o.seller_memo and f"卖家备注：{o.seller_memo}") if text)
    has_gift = any(line.gift for line in o.lines)
    return [str(n), f"{o.order_no}\n{o.platform_order_id}\n{o.shop}", local_time(o.deadline),
            f"{o.receiver_name} {o.receiver_phone}\n{o.full_address}",
            Strong(lines) if has_gift else lines, Strong(remarks) if remarks else "",
            f"{o.carrier}\n{o.tracking_no}".strip()]


def _label(wl: WarehouseList) -> str:
    return wl.warehouse if wl.warehouse_name == wl.warehouse else f"{wl.warehouse} {wl.warehouse_name}"


def local_time(at: datetime | None) -> str:
    if at is None:
        return ""
    return at.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M")


# --- PDF ---------------------------------------------------------------------------------------

class _Here(Flowable):
    """Invisible: tells the page header which warehouse the following pages belong to."""

    def __init__(self, state: dict[str, str], label: str) -> None:
        super().__init__()
        self.state, self.label = state, label

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.state["warehouse"] = self.label


def _numbered_canvas(font: str) -> type[Canvas]:
    """A canvas that holds its pages until the end, to write "page n of total" on each."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self._held: list[dict[str, object]] = []

        def showPage(self) -> None:
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held)
            for number, state in enumerate(self._held, start=1):
                self.__dict__.update(state)
                self.setFont(font, 9)
                width, height = self._pagesize
                self.drawRightString(width - MARGIN, height - 10 * mm, f"第 {number} / {total} 页")
                super().showPage()
            super().save()

    return NumberedCanvas


def to_pdf(title: str, grids: list[Grid], *, wide: bool = False) -> bytes:
    """One table per warehouse, each starting on a new page; the header row repeats on every
    page, and every page says the list, the warehouse, when it was made and its number."""
    font = cjk_font()
    size = landscape(A4) if wide else A4
    out = io.BytesIO()
    state = {"warehouse": ""}
    made = local_time(clock.now())

    def header(canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(font, 9)
        canvas.drawString(MARGIN, size[1] - 10 * mm, f"{title}    仓库：{state['warehouse']}    生成时间：{made}")
        canvas.restoreState()

    doc = BaseDocTemplate(out, pagesize=size, leftMargin=MARGIN, rightMargin=MARGIN,
                          topMargin=15 * mm, bottomMargin=MARGIN, title=title, author="OrderHub")
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="list", frames=[frame], onPageEnd=header)])
    story: list[Flowable] = []
    for index, grid in enumerate(grids or [Grid("-", "-", ("",), (1,), [["没有待发货的订单"]])]):
        if index:
            story.append(PageBreak())
        story += [_Here(state, grid.label), _table(grid, doc.width, font)]
    doc.build(story, canvasmaker=_numbered_canvas(font))
    return out.getvalue()


def _table(grid: Grid, width: float, font: str) -> Table:
    plain = ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11, wordWrap="CJK")
    strong = ParagraphStyle("strong", parent=plain, fontSize=9.5, leading=12, textColor=colors.red)
    head = ParagraphStyle("head", parent=plain, fontSize=9)

    def cell(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    data = [[cell(h, head) for h in grid.headers]]
    data += [[cell(v, strong if isinstance(v, Strong) else plain) for v in row] for row in grid.rows]
    unit = width / sum(grid.widths)
    table = Table(data, colWidths=[w * unit for w in grid.widths], repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


# --- XLSX --------------------------------------------------------------------------------------

def to_xlsx(grids: list[Grid]) -> bytes:
    """One sheet per warehouse; the header row bold and frozen."""
    book = Workbook()
    book.remove(book.active)
    for grid in grids or [Grid("-", "-", ("",), (30,), [["没有待发货的订单"]])]:
        write_sheet(book, grid.code, grid.headers, tuple(round(w * XLSX_CHARS_PER_MM) for w in grid.widths),
                    grid.rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_sheet(book: Workbook, name: str, headers: tuple[str, ...], widths: tuple[float, ...],
                rows: list[list[str]]) -> None:
    sheet = book.create_sheet(_sheet_name(book, name))
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8E8E8")
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    wrap, red = Alignment(wrap_text=True, vertical="top"), Font(bold=True, color="FF0000")
    for row in rows:
        sheet.append(list(row))
        for cell, value in zip(sheet[sheet.max_row], row, strict=False):
            if isinstance(value, Strong):
                cell.font = red
            if "\n" in str(value):
                cell.alignment = wrap


def _sheet_name(book: Workbook, name: str) -> str:
    """Excel's limits: 31 characters, none of []:*?/\\, unique in the book."""
    clean = "".join("_" if c in "[]:*?/\\" else c for c in name)[:28] or "sheet"
    taken, candidate, n = set(book.sheetnames), clean, 2
    while candidate in taken:
        candidate, n = f"{clean}-{n}", n + 1
    return candidate


def document(kind: str, session: Session, *, warehouse: str | None, status: str) -> tuple[bytes, str]:
    """(content, media type) of one of the four list files: kind = pick|shipping + .pdf|.xlsx."""
    name, _, fmt = kind.partition(".")
    if name == "pick":
        grids, title = pick_grids(pick_lists(session, warehouse=warehouse, status=status)), PICK_TITLE
    else:
        grids, title = shipping_grids(shipping_lists(session, warehouse=warehouse, status=status)), SHIPPING_TITLE
    if fmt == "pdf":
        return to_pdf(title, grids, wide=name == "shipping"), PDF
    return to_xlsx(grids), XLSX
