"""`orderhub lists`: the four list files, the WMS export and import from the shell."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from orderhub.cli import app
from orderhub.orders import lifecycle as lc
from tests.fulfilment.lists.support import REMARK, Day, filled, status_of
from tests.fulfilment.lists.test_lists import pdf_text

runner = CliRunner()


def test_lists_and_the_wms_round_trip_from_the_shell(day: Day, tmp_path: Path) -> None:
    pick = tmp_path / "pick.pdf"
    done = runner.invoke(app, ["lists", "pick", "--warehouse", "HZ", "--out", str(pick)])
    assert done.exit_code == 0, done.output
    text = "".join(pdf_text(pick.read_bytes()))
    assert "拣货单" in text and "HZ 杭州仓" in text and "GZ" not in text
    shipping = tmp_path / "shipping.xlsx"
    done = runner.invoke(app, ["lists", "shipping", "--format", "xlsx", "--status", "label_printed",
                               "--out", str(shipping)])
    assert done.exit_code == 0, done.output
    cells = [str(c.value) for ws in load_workbook(shipping).worksheets for row in ws.iter_rows() for c in row]
    assert any(REMARK in c for c in cells) and not any(day.o4 in c for c in cells)

    export = tmp_path / "wms.xlsx"
    assert runner.invoke(app, ["lists", "wms-export", "--warehouse", "HZ", "--out", str(export)]).exit_code == 0
    answer = tmp_path / "answer.xlsx"
    answer.write_bytes(filled(export.read_bytes(), {day.o1: day.tracking(day.o1)}, extra=[["NOPE", "ZTO", "1"]]))
    imported = runner.invoke(app, ["lists", "wms-import", str(answer), "--operator", "wms-bot"])
    assert imported.exit_code == 1, imported.output  # a bad row: not all went through
    assert "1 shipped" in imported.output and "row 6 NOPE: unknown order 'NOPE'" in imported.output
    assert status_of(day.o1) == lc.SHIPPED
    exported = load_workbook(io.BytesIO(export.read_bytes())).worksheets[0]
    assert day.o1 in [str(c.value) for row in exported.iter_rows() for c in row]


def test_bad_options_and_files_are_refused(day: Day, tmp_path: Path) -> None:
    assert runner.invoke(app, ["lists", "pick", "--format", "doc"]).exit_code == 2
    assert runner.invoke(app, ["lists", "pick", "--status", "shipped"]).exit_code == 2
    unknown = runner.invoke(app, ["lists", "pick", "--warehouse", "XX", "--out", str(tmp_path / "x.pdf")])
    assert unknown.exit_code != 0 and not (tmp_path / "x.pdf").exists()
    text = tmp_path / "wms.csv"
    text.write_bytes(b"order_no\n1\n")
    refused = runner.invoke(app, ["lists", "wms-import", str(text)])
    assert refused.exit_code == 2 and "is not an XLSX file" in refused.output
