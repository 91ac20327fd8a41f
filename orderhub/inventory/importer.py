"""SKU import from the seller's spreadsheets (CSV or XLSX, first sheet, a header row).

Columns (header names, any order; Chinese headers accepted): code, name, category, barcode,
weight_g, purchase_limited, presale, components ("SKU-A:1;SKU-B:2" makes the row a bundle).
The whole file is checked first; one bad row refuses the file with every row's error listed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from orderhub.core.actor import Actor
from orderhub.core.errors import DomainError, InvalidInput
from orderhub.inventory.masterdata import set_bundle, upsert_sku

MAX_ROWS = 50_000
HEADERS = {
    "code": "code", "sku": "code", "编码": "code", "商品编码": "code",
    "name": "name", "名称": "name", "商品名称": "name",
    "category": "category", "类目": "category", "分类": "category",
    "barcode": "barcode", "条码": "barcode",
    "weight_g": "weight_g", "weight": "weight_g", "重量": "weight_g", "重量(g)": "weight_g",
    "purchase_limited": "purchase_limited", "限购": "purchase_limited",
    "presale": "presale", "预售": "presale",
    "components": "components", "组合": "components",
}
TRUE, FALSE = {"1", "true", "yes", "y", "是", "√"}, {"", "0", "false", "no", "n", "否"}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    bundles: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def read_rows(data: bytes, filename: str) -> list[dict[str, str]]:
    if filename.lower().endswith((".xlsx", ".xlsm")):
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds for a bad file
            raise InvalidInput(f"not a readable XLSX file: {exc}", details={"file": filename}) from None
        sheet = wb.worksheets[0]
        cells = [["" if v is None else str(v).strip() for v in row]
                 for row in sheet.iter_rows(values_only=True)]
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")  # Excel on Chinese Windows saves CSV this way
            except UnicodeDecodeError:
                raise InvalidInput("the file is neither UTF-8 nor GB18030 text",
                                   details={"file": filename}) from None
        cells = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    cells = [row for row in cells if any(row)]
    if not cells:
        raise InvalidInput("the file is empty", details={"file": filename})
    header = [HEADERS.get(h.strip().lower(), HEADERS.get(h.strip())) for h in cells[0]]
    if "code" not in header or "name" not in header:
        raise InvalidInput("the header needs at least the columns code and name",
                           details={"header": cells[0], "known": sorted(set(HEADERS))})
    if len(cells) - 1 > MAX_ROWS:
        raise InvalidInput(f"at most {MAX_ROWS} rows per file", details={"rows": len(cells) - 1})
    return [{h: (row[i] if i < len(row) else "") for i, h in enumerate(header) if h}
            for row in cells[1:]]


def _flag(value: str, column: str) -> bool:
    v = value.strip().lower()
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    raise InvalidInput(f"{column}: {value!r} is not yes/no", details={"column": column})


def _fields(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": row.get("name", "")}
    for key in ("category", "barcode"):
        if key in row:
            out[key] = row[key]
    if row.get("weight_g"):
        try:
            out["weight_g"] = int(float(row["weight_g"]))
        except ValueError:
            raise InvalidInput(f"weight_g: {row['weight_g']!r} is not a number",
                               details={"column": "weight_g"}) from None
    for key in ("purchase_limited", "presale"):
        if key in row:
            out[key] = _flag(row[key], key)
    return out


def _components(value: str) -> list[tuple[str, int]]:
    parts = []
    for item in filter(None, (p.strip() for p in value.replace("；", ";").split(";"))):
        code, _, ratio = item.partition(":")
        try:
            parts.append((code.strip(), int(ratio or "1")))
        except ValueError:
            raise InvalidInput(f"components: {item!r} is not CODE:RATIO",
                               details={"column": "components"}) from None
    return parts


def import_skus(session: Session, *, data: bytes, filename: str, actor: Actor) -> ImportResult:
    rows = read_rows(data, filename)
    result = ImportResult()
    bundles: list[tuple[int, str, list[tuple[str, int]]]] = []
    for line, row in enumerate(rows, start=2):
        try:
            _, created = upsert_sku(session, code=row.get("code", ""), actor=actor, **_fields(row))
            if row.get("components"):
                bundles.append((line, row["code"], _components(row["components"])))
        except DomainError as exc:
            result.errors.append({"line": line, "code": row.get("code", ""), "error": exc.message})
            continue
        result.created += created
        result.updated += not created
    for line, code, parts in bundles:  # after every row exists, so components may come later
        try:
            set_bundle(session, code=code, parts=parts, actor=actor)
            result.bundles += 1
        except DomainError as exc:
            result.errors.append({"line": line, "code": code, "error": exc.message})
    if result.errors:
        raise InvalidInput(f"{len(result.errors)} rows have errors; nothing was imported",
                           details={"errors": result.errors[:200]})
    return result
