"""`orderhub skus map|unmap|mappings|import` against a committed database, with the real worker
taking a released order on to allocation."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select
from typer.testing import CliRunner

from orderhub.channels.sku_mapping import service
from orderhub.channels.sku_mapping.models import SkuMapping
from orderhub.cli import app
from orderhub.core import worker
from orderhub.core.db import unit_of_work
from orderhub.inventory.masterdata import sku_by_code
from orderhub.orders import lifecycle as lc
from orderhub.orders.service import get_order
from orderhub.routing import tasks as routing_tasks
from tests.builders import ensure_shop
from tests.channels.sku_mapping.helpers import open_reasons, receive, setup

runner = CliRunner()
assert routing_tasks.on_released  # registers the handlers the worker runs


def test_map_from_the_command_line_and_the_worker_allocates(committed) -> None:
    with unit_of_work() as session:
        setup(session)
        number = receive(session, lines=[("JD-100023", 1)]).order_no
    listed = runner.invoke(app, ["skus", "mappings"])
    assert listed.exit_code == 0, listed.output
    assert "JD-100023" in listed.output and "平台商品" in listed.output and "own-store" in listed.output
    refused = runner.invoke(app, ["skus", "map", "--platform-sku", "JD-100023", "--sku", "NOPE"])
    assert refused.exit_code == 2 and "no SKU with code 'NOPE'" in refused.output
    done = runner.invoke(app, ["skus", "map", "--platform-sku", "JD-100023", "--sku", "A"])
    assert done.exit_code == 0, done.output
    assert "1 waiting lines filled, 1 orders released" in done.output and number in done.output
    worker.run(burst=True)
    with unit_of_work() as session:
        order = get_order(session, number)
        assert order.status == lc.ALLOCATED and order.lines[0].sku == "A"
    listed = runner.invoke(app, ["skus", "mappings"])
    assert "JD-100023" in listed.output and "商品 A" in listed.output
    gone = runner.invoke(app, ["skus", "unmap", "--platform-sku", "JD-100023"])
    assert gone.exit_code == 0, gone.output
    again = runner.invoke(app, ["skus", "unmap", "--platform-sku", "JD-100023"])
    assert again.exit_code == 2 and "no mapping" in again.output


def test_a_shop_mapping_from_the_command_line(committed) -> None:
    with unit_of_work() as session:
        setup(session)
        ensure_shop(session, "pdd-shop", channel="pdd")
        number = receive(session, lines=[("PDD-7", 1)], shop="pdd-shop").order_no
    done = runner.invoke(app, ["skus", "map", "--platform-sku", "PDD-7", "--sku", "B", "--shop", "pdd-shop"])
    assert done.exit_code == 0, done.output
    with unit_of_work() as session:
        assert get_order(session, number).lines[0].sku == "B"
        [row] = service.mappings(session)
        assert (row.shop, row.platform_sku, row.sku) == ("pdd-shop", "PDD-7", "B")
    wrong = runner.invoke(app, ["skus", "map", "--platform-sku", "PDD-7", "--sku", "B", "--shop", "nope"])
    assert wrong.exit_code == 2 and "no active shop named 'nope'" in wrong.output


def test_import_a_mapping_file(committed, tmp_path: Path) -> None:
    """CSV as Excel saves it: mapping-only rows, a row that also defines its SKU, a shop column."""
    with unit_of_work() as session:
        setup(session)
        ensure_shop(session, "tmall-flagship", channel="taobao")
        waiting = receive(session, lines=[("TB-1", 1), ("TB-NEW", 1)]).order_no
    csv_file = tmp_path / "对应.csv"
    csv_file.write_bytes("平台SKU,商品编码,商品名称,店铺\r\n"
                         "TB-1,A,,\r\n"
                         "TB-NEW,NEW-1,新款围巾,\r\n"
                         "TB-1,B,,tmall-flagship\r\n".encode("gb18030"))
    done = runner.invoke(app, ["skus", "import", str(csv_file)])
    assert done.exit_code == 0, done.output
    assert "1 created" in done.output and "3 platform SKUs mapped" in done.output
    with unit_of_work() as session:
        assert sku_by_code(session, "NEW-1").name == "新款围巾"
        rows = {(m.shop, m.platform_sku): m.sku for m in service.mappings(session)}
        assert rows == {(None, "TB-1"): "A", (None, "TB-NEW"): "NEW-1", ("tmall-flagship", "TB-1"): "B"}
        order = get_order(session, waiting)
        assert [line.sku for line in order.lines] == ["A", "NEW-1"] and open_reasons(order) == []


def test_a_bad_mapping_row_refuses_the_whole_file(committed, tmp_path: Path) -> None:
    with unit_of_work() as session:
        setup(session)
    book = Workbook()
    sheet = book.active
    sheet.append(["platform_sku", "code", "shop"])
    sheet.append(["TB-1", "A", ""])
    sheet.append(["TB-2", "NOT-OURS", ""])
    sheet.append(["TB-3", "A", "no-such-shop"])
    path = tmp_path / "mappings.xlsx"
    book.save(path)
    refused = runner.invoke(app, ["skus", "import", str(path)])
    assert refused.exit_code == 2
    assert "2 rows have errors; nothing was imported" in refused.output
    assert '"line": 3' in refused.output and '"line": 4' in refused.output
    with unit_of_work() as session:
        assert session.scalars(select(SkuMapping)).all() == []


def test_plain_sku_files_still_import(committed, tmp_path: Path) -> None:
    path = tmp_path / "skus.csv"
    path.write_text("code,name\nS-1,商品一\n", encoding="utf-8")
    done = runner.invoke(app, ["skus", "import", str(path)])
    assert done.exit_code == 0 and "1 created" in done.output and "0 platform SKUs mapped" in done.output
