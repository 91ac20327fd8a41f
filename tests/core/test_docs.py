"""Docs that must stay true: every setting is documented."""

from pathlib import Path

from orderhub.core.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_setting_is_documented():
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [n for n in Settings.model_fields if f"ORDERHUB_{n.upper()}" not in text]
    assert missing == []
