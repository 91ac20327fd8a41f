"""`orderhub orders template-add | templates | import` through Typer's runner, real commits."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from orderhub.channels.spreadsheets import cli as spreadsheets_cli
from orderhub.cli import app
from orderhub.core.db import unit_of_work
from orderhub.orders.models import Order
from orderhub.orders.service import get_order
from tests.builders import ensure_shop
from tests.channels.spreadsheets.sheets import GOOD_AND_BAD, SHOP, TEMPLATE, csv_bytes

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables as a wide terminal shows them, so reasons are not wrapped mid-word."""
    monkeypatch.setattr(spreadsheets_cli, "out", Console(width=250))


def _orders() -> int:
    with unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Order)) or 0


def test_template_from_file_then_dry_run_then_import(committed: Engine, tmp_path: Path) -> None:
    with unit_of_work() as session:
        ensure_shop(session, SHOP, channel="spreadsheet")
    sheet = tmp_path / "淘宝订单.csv"
    sheet.write_bytes(csv_bytes(GOOD_AND_BAD))

    added = runner.invoke(app, ["orders", "template-add", "--name", TEMPLATE, "--shop", SHOP,
                                "--from", str(sheet)])
    assert added.exit_code == 0, added.output
    assert "saved template '淘宝导出'" in added.output
    assert "联系手机" in added.output  # the suggested mapping is printed
    listed = runner.invoke(app, ["orders", "templates"])
    assert listed.exit_code == 0 and TEMPLATE in listed.output and SHOP in listed.output

    dry = runner.invoke(app, ["orders", "import", str(sheet), "--template", TEMPLATE, "--dry-run"])
    assert dry.exit_code == 1, dry.output  # bad rows: a script can tell
    assert "2 orders would be imported, nothing was written" in dry.output
    assert _orders() == 0

    done = runner.invoke(app, ["orders", "import", str(sheet), "--template", TEMPLATE])
    assert done.exit_code == 1, done.output
    assert "5 bad rows" in done.output and "两件" in done.output and "五十九" in done.output
    assert _orders() == 2
    with unit_of_work() as session:
        assert get_order(session, "TB1001").receiver_phone == "13800138000"

    again = runner.invoke(app, ["orders", "import", str(sheet), "--template", TEMPLATE])
    assert again.exit_code == 1 and _orders() == 2


def test_unknown_template_and_shop(committed: Engine, tmp_path: Path) -> None:
    sheet = tmp_path / "a.csv"
    sheet.write_bytes(csv_bytes(GOOD_AND_BAD))
    missing = runner.invoke(app, ["orders", "import", str(sheet), "--template", "nope"])
    assert missing.exit_code == 2 and 'no import template named "nope"' in missing.output
    no_shop = runner.invoke(app, ["orders", "template-add", "--name", "x", "--shop", "nope",
                                  "--from", str(sheet)])
    assert no_shop.exit_code == 2 and "no active shop named 'nope'" in no_shop.output
