"""SKU import from the seller's spreadsheets (CSV or XLSX, first sheet, a header row).

Columns (header names, any order; Chinese headers accepted): code, name, category, barcode,
weight_g, purchase_limited, presale, components ("SKU-A:1;SKU-B:2" makes the row a bundle).
A row with a platform_sku (平台SKU / 商家编码) maps that platform SKU to the row's code, for the
row's shop or for every shop; with a name it also creates or updates the SKU, without one the
SKU must exist (or be defined on another row). Mapping is the channels capability's use case,
so the caller passes it in as `map_platform_sku`.
The whole file is checked first; one bad row refuses the file with every row's error listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from orderhub.core.actor import Actor
from orderhub.core.errors import DomainError, InvalidInput
from orderhub.core.spreadsheets import read_sheet
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
    "platform_sku": "platform_sku", "平台sku": "platform_sku", "商家编码": "platform_sku",
    "外部编码": "platform_sku", "outer_code": "platform_sku",
    "shop": "shop", "店铺": "shop",
}
TRUE, FALSE = {"1", "true", "yes", "y", "是", "√"}, {"", "0", "false", "no", "n", "否"}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    bundles: int = 0
    mappings: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def read_rows(data: bytes, filename: str) -> list[dict[str, str]]:
    """Rows keyed by our column names; the file is read by the shared spreadsheet reader
    (XLSX, or CSV in UTF-8, UTF-8 with BOM or GBK/GB18030)."""
    sheet = read_sheet(data, filename, max_rows=MAX_ROWS)
    header = {h: HEADERS.get(h.lower(), HEADERS.get(h)) for h in sheet.headers}
    columns = set(header.values())
    if "code" not in columns or not columns & {"name", "platform_sku"}:
        raise InvalidInput("the header needs at least the columns code and name "
                           "(or code and platform_sku for SKU mappings)",
                           details={"header": sheet.headers, "known": sorted(set(HEADERS))})
    return [{key: row.cells[h] for h, key in header.items() if key} for row in sheet.rows]


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


# map_platform_sku(session, platform_sku=…, sku=…, shop=… or None, actor=…)
MapPlatformSku = Callable[..., object]


def import_skus(session: Session, *, data: bytes, filename: str, actor: Actor,
                map_platform_sku: MapPlatformSku | None = None) -> ImportResult:
    rows = read_rows(data, filename)
    result = ImportResult()
    bundles: list[tuple[int, str, list[tuple[str, int]]]] = []
    maps: list[tuple[int, dict[str, str]]] = []
    for line, row in enumerate(rows, start=2):
        if row.get("platform_sku"):
            maps.append((line, row))
            if not row.get("name"):
                continue  # a mapping only: the SKU exists already or another row defines it
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
    _map_rows(session, maps, result, map_platform_sku, actor)
    if result.errors:
        result.errors.sort(key=lambda e: e["line"])
        raise InvalidInput(f"{len(result.errors)} rows have errors; nothing was imported",
                           details={"errors": result.errors[:200]})
    return result


def _map_rows(session: Session, maps: list[tuple[int, dict[str, str]]], result: ImportResult,
              map_platform_sku: MapPlatformSku | None, actor: Actor) -> None:
    for line, row in maps:  # after the SKUs, so a row may map to a SKU the file defines
        if map_platform_sku is None:
            result.errors.append({"line": line, "code": row.get("code", ""),
                                  "error": "platform SKU mappings are imported with `orderhub skus "
                                           "import` or on the SKU mapping page (商品对应)"})
            continue
        try:
            map_platform_sku(session, platform_sku=row["platform_sku"], sku=row.get("code", ""),
                             shop=row.get("shop") or None, actor=actor)
        except DomainError as exc:
            result.errors.append({"line": line, "code": row.get("code", ""), "error": exc.message})
            continue
        result.mappings += 1
