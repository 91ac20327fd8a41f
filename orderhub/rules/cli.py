"""`orderhub rules export|import`: move rules between installations as YAML."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
import yaml
from rich.console import Console

from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.errors import DomainError
from orderhub.rules import editing
from orderhub.rules.pack import install_default_pack

app = typer.Typer(help="Rules: export, import, default pack.", no_args_is_help=True)
out = Console(stderr=True)
CLI = Actor.system("cli")


@app.command("export")
def export(output: Path = typer.Option(None, "--output", "-o",
                                       help="File to write (default: standard output).")) -> None:
    """Write every rule (current versions) as YAML."""
    with unit_of_work() as session:
        rules = editing.export_rules(session)
    text = yaml.safe_dump({"rules": rules}, allow_unicode=True, sort_keys=False, width=100)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"wrote {len(rules)} rules to {output}")


@app.command("import")
def import_(source: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                          help="A YAML file written by `orderhub rules export`.")) -> None:
    """Create rules with new keys, save the others as new versions; all or nothing."""
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        out.print(f"[bold red]error:[/] {source} is not readable YAML: {exc}")
        raise typer.Exit(code=2) from None
    items = document.get("rules") if isinstance(document, dict) else document
    try:
        with unit_of_work() as session:
            counts = editing.import_rules(session, items=items, actor=CLI)
    except DomainError as exc:
        out.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(code=2) from None
    out.print(f"created {counts['created']}, updated {counts['updated']}, "
              f"unchanged {counts['unchanged']}")


@app.command("install-defaults")
def install_defaults() -> None:
    """Add the default rule pack's missing rules (never touches edited ones)."""
    with unit_of_work() as session:
        added = install_default_pack(session, actor=CLI)
    out.print(f"added {added} default rules")
