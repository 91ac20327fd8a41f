"""Reading sellers' spreadsheets: the first sheet of an XLSX, or a CSV as Excel and WPS save it.

A CSV from Excel on Chinese Windows is GBK (we decode with GB18030, its superset), one from
"CSV UTF-8" has a byte-order mark, one from a web tool is plain UTF-8, and "Unicode text" is
UTF-16 with tabs. We recognise the UTF-16 and UTF-8 marks, then try strict UTF-8, then GB18030.
Strict UTF-8 decoding of GBK text with any Chinese in it fails almost at once (GBK lead bytes
0x81-0xFE are followed by bytes UTF-8 does not allow there), so the order never mistakes one for
the other; a statistical detector (charset-normalizer) would add a dependency for no gain on the
three encodings sellers actually send, and can guess wrong on short files.

Cells come back as text exactly as the sheet shows them (whole numbers without ".0", dates as
ISO text); nothing is normalised here, because what is a code and what is a name is the
caller's knowledge (see `normalise_code`).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time

from openpyxl import load_workbook

from orderhub.core.errors import InvalidInput

MAX_ROWS = 50_000
XLSX_SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class Row:
    number: int  # the row number the seller sees in Excel (the header is row 1)
    cells: dict[str, str]  # header -> text


@dataclass(frozen=True)
class Sheet:
    headers: list[str]
    rows: list[Row]
    encoding: str  # "xlsx", or the text encoding the CSV was read with


def read_sheet(data: bytes, filename: str, *, max_rows: int = MAX_ROWS) -> Sheet:
    """The header row and every non-empty row after it, keyed by header."""
    if filename.lower().endswith(XLSX_SUFFIXES):
        grid, encoding = _xlsx_grid(data, filename), "xlsx"
    else:
        text, encoding = decode_text(data, filename)
        grid = _csv_grid(text)
    numbered = [(n, row) for n, row in enumerate(grid, start=1) if any(c.strip() for c in row)]
    if not numbered:
        raise InvalidInput("the file is empty", details={"file": filename})
    (_, header_row), body = numbered[0], numbered[1:]
    headers = [h.strip() for h in header_row]
    _check_headers(headers, filename)
    if len(body) > max_rows:
        raise InvalidInput(f"at most {max_rows} rows per file", details={"rows": len(body)})
    rows = [Row(number=n, cells={h: (cells[i].strip() if i < len(cells) else "")
                                 for i, h in enumerate(headers) if h})
            for n, cells in body]
    return Sheet(headers=[h for h in headers if h], rows=rows, encoding=encoding)


def decode_text(data: bytes, filename: str = "") -> tuple[str, str]:
    """The text of a CSV and the encoding it was in (see the module docstring for the order)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InvalidInput("the file is neither UTF-8 nor GBK/GB18030 text (save it from Excel as "
                       "CSV or XLSX)", details={"file": filename})


def normalise_code(value: str) -> str:
    """Full-width digits, letters and punctuation (１３８００, ＳＫＵ－Ａ, ２０２６／１１) as their
    ASCII forms, for codes, numbers, phones and dates only: NFKC on a name or remark would also
    turn Chinese punctuation into ASCII, so free text is never passed through here."""
    return unicodedata.normalize("NFKC", value).strip()


def _check_headers(headers: list[str], filename: str) -> None:
    named = [h for h in headers if h]
    duplicates = sorted({h for h in named if named.count(h) > 1})
    if duplicates:
        raise InvalidInput(f"the header row names these columns twice: {', '.join(duplicates)}",
                           details={"file": filename, "duplicates": duplicates})


def _csv_grid(text: str) -> list[list[str]]:
    first_line = text.split("\n", 1)[0]
    # Excel's "Unicode text" is tab-separated; everything else sellers send uses commas.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InvalidInput(f"the CSV cannot be read: {exc}") from None


def _xlsx_grid(data: bytes, filename: str) -> list[list[str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds for a bad file
        raise InvalidInput(f"not a readable XLSX file: {exc}", details={"file": filename}) from None
    try:
        return [[_cell_text(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def _cell_text(value: object) -> str:
    """What the seller sees in the cell: 13800138000 rather than 13800138000.0, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)
