"""`orderhub rules export|import` moves rules as YAML between installations."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from orderhub.cli import app
from orderhub.core.db import unit_of_work
from orderhub.rules import editing
from orderhub.rules.pack import DEFAULT_RULES

runner = CliRunner()


def test_export_then_import_elsewhere(committed, tmp_path: Path) -> None:
    assert runner.invoke(app, ["rules", "install-defaults"]).exit_code == 0
    target = tmp_path / "rules.yaml"
    exported = runner.invoke(app, ["rules", "export", "-o", str(target)])
    assert exported.exit_code == 0, exported.output
    document = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert len(document["rules"]) == len(DEFAULT_RULES)
    assert "村|屯|组" in target.read_text(encoding="utf-8")  # readable Chinese, not escapes

    with unit_of_work() as session:  # "another installation": empty, then import
        for rule in editing.list_rules(session):
            session.delete(rule)
    document["rules"][0]["priority"] = 1
    target.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    imported = runner.invoke(app, ["rules", "import", str(target)])
    assert imported.exit_code == 0, imported.output
    assert f"created {len(DEFAULT_RULES)}" in imported.output
    again = runner.invoke(app, ["rules", "import", str(target)])
    assert f"unchanged {len(DEFAULT_RULES)}" in again.output


def test_import_refuses_bad_files(committed, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - key: x\n    name: x\n    triggers: [order.created]\n"
                   "    condition: 'order.totl > 1'\n    actions: [{type: tag, tag: a}]\n",
                   encoding="utf-8")
    result = runner.invoke(app, ["rules", "import", str(bad)])
    assert result.exit_code == 2 and "unknown field 'totl'" in result.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [unclosed", encoding="utf-8")
    assert runner.invoke(app, ["rules", "import", str(broken)]).exit_code == 2
    with unit_of_work() as session:
        assert editing.list_rules(session) == []
