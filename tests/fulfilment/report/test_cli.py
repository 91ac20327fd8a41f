"""`orderhub logistics report` on the hand-computed week: the table, the CSV, a bad period."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from orderhub.cli import app
from orderhub.core.db import unit_of_work
from tests.fulfilment.report.data import EXPECTED, FIRST, LAST, build_week

runner = CliRunner()


def test_the_report_in_the_terminal_and_as_csv(committed: Engine, tmp_path: Path) -> None:
    with unit_of_work() as session:
        build_week(session)
    target = tmp_path / "week.csv"
    result = runner.invoke(app, ["logistics", "report", "--from", FIRST, "--to", LAST, "--csv", str(target)],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"{FIRST} – {LAST} (Asia/Shanghai)" in result.output and "total" in result.output
    for carrier in {c for c, _ in EXPECTED["carrier"]}:
        assert carrier in result.output
    rows = list(csv.DictReader(target.read_text(encoding="utf-8-sig").splitlines()))
    got = {r["carrier"]: int(r["shipped"]) for r in rows}
    assert got == {**{c: v["shipped"] for (c, _), v in EXPECTED["carrier"].items()},
                   "合计 total": EXPECTED["total"]["shipped"]}


def test_a_reversed_period_is_refused(committed: Engine) -> None:
    result = runner.invoke(app, ["logistics", "report", "--from", LAST, "--to", FIRST])
    assert result.exit_code == 2 and "error:" in result.output
