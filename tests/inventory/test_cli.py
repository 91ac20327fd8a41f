"""`orderhub skus import`, `warehouses add`, `stock receive|set|verify` against the test database."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import update
from typer.testing import CliRunner

from orderhub.cli import app
from orderhub.core.db import unit_of_work
from orderhub.inventory import service
from orderhub.inventory.models import StockLevel

runner = CliRunner()


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_warehouse_skus_stock_and_verify(committed, tmp_path):
    _ok(["warehouses", "add", "--code", "HZ", "--name", "杭州仓", "--province", "浙江省",
         "--capacity", "800", "--serves", "浙江省,江苏省,上海市", "--days", '{"浙江省": 1}'])
    csv_file = tmp_path / "skus.csv"
    csv_file.write_text("code,name,category,weight_g,purchase_limited,components\n"
                        "COAT,羽绒服,羽绒服,1200,是,\nGLOVE,手套,配饰,100,否,\n"
                        "SET,套装,套装,1300,,COAT:1;GLOVE:2\n", encoding="utf-8")
    assert "3 created" in _ok(["skus", "import", str(csv_file)])
    _ok(["stock", "set", "--sku", "COAT", "--warehouse", "HZ", "--on-hand", "10", "--safety", "2"])
    assert "on hand 15" in _ok(["stock", "receive", "--sku", "COAT", "--warehouse", "HZ", "--quantity", "5"])
    assert "agree" in _ok(["stock", "verify"])
    with unit_of_work() as s:
        assert service.sku_info(s, ["SET"])["SET"].is_bundle
        assert service.sku_info(s, ["COAT"])["COAT"].purchase_limited
        assert service.warehouses(s)[0].serves_provinces == ["浙江省", "江苏省", "上海市"]
        # Someone edits a level behind the ledger's back: verify finds it.
        s.execute(update(StockLevel).values(on_hand=StockLevel.on_hand + 1))
    bad = runner.invoke(app, ["stock", "verify"])
    assert bad.exit_code == 1 and "on_hand" in bad.output and "COAT" in bad.output


def test_xlsx_import_and_bad_rows_refuse_the_file(committed, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["商品编码", "商品名称", "重量(g)"])
    ws.append(["SOCK", "袜子", 200])
    path = tmp_path / "skus.xlsx"
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())
    assert "1 created" in _ok(["skus", "import", str(path)])
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,weight_g\nOK1,好,10\n,无编码,1\nX,坏,heavy\n", encoding="utf-8")
    result = runner.invoke(app, ["skus", "import", str(bad)])
    assert result.exit_code == 2 and "2 rows have errors" in result.output
    with unit_of_work() as s:
        assert service.sku_info(s, ["OK1"]) == {}  # nothing imported


def test_bad_input_gets_clear_errors(committed):
    result = runner.invoke(app, ["warehouses", "add", "--code", "X", "--name", "x", "--serves", "火星"])
    assert result.exit_code == 2 and "unknown province" in result.output
    result = runner.invoke(app, ["stock", "receive", "--sku", "NOPE", "--warehouse", "X", "--quantity", "1"])
    assert result.exit_code == 2 and "unknown" in result.output


def test_reservation_ttl_setting(committed):
    assert "15 minutes" in _ok(["stock", "ttl"])
    assert "30 minutes" in _ok(["stock", "ttl", "--minutes", "30"])
    bad = runner.invoke(app, ["stock", "ttl", "--minutes", "45"])
    assert bad.exit_code == 2 and "1 to 30" in bad.output
