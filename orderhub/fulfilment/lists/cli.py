"""`orderhub lists`: the pick and shipping lists and the WMS sheet from the shell, as files."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.errors import DomainError
from orderhub.fulfilment.lists import render, wms

app = typer.Typer(help="Pick and shipping lists, WMS export and import (拣货单 / 发货单).", no_args_is_help=True)
out = Console()
WAREHOUSE = typer.Option("", "--warehouse", "-w", help="Warehouse code (default: every warehouse).")
STATUS = typer.Option("both", "--status", help="allocated | label_printed | both.")
FORMAT = typer.Option("pdf", "--format", "-f", help="pdf | xlsx.")
OUT = typer.Option(None, "--out", help="Where to write the file (default: <list>-<warehouse>.<format>).")
SHEET = typer.Argument(..., exists=True, dir_okay=False, help="The filled-in sheet.")


def _fail(message: str, details: dict[str, object] | None = None) -> None:
    out.print(f"[bold red]error:[/] {message}")
    if details:
        out.print(json.dumps(details, ensure_ascii=False, indent=2, default=str))
    raise typer.Exit(code=2)


def _write_list(name: str, warehouse: str, status: str, fmt: str, out_file: Path | None) -> None:
    kind = f"{name}.{fmt}"
    if kind not in render.KINDS:
        _fail(f"--format is pdf or xlsx, not {fmt!r}")
    if status not in ("allocated", "label_printed", "both"):
        _fail(f"--status is allocated, label_printed or both, not {status!r}")
    with unit_of_work() as session:
        content, _ = render.document(kind, session, warehouse=warehouse or None, status=status)
    target = out_file or Path(f"{name}-{warehouse or 'all'}.{fmt}")
    target.write_bytes(content)
    out.print(f"{target} ({len(content):,} bytes)")


@app.command("pick")
def pick_cmd(warehouse: str = WAREHOUSE, status: str = STATUS, fmt: str = FORMAT,
             out_file: Path = OUT) -> None:
    """The pick list: per warehouse, each SKU to take with its quantity and orders."""
    _write_list("pick", warehouse, status, fmt, out_file)


@app.command("shipping")
def shipping_cmd(warehouse: str = WAREHOUSE, status: str = STATUS, fmt: str = FORMAT,
                 out_file: Path = OUT) -> None:
    """The shipping list: per warehouse, each order with receiver, items and remarks."""
    _write_list("shipping", warehouse, status, fmt, out_file)


@app.command("wms-export")
def wms_export_cmd(warehouse: str = WAREHOUSE, out_file: Path = OUT) -> None:
    """Every to-ship order line, for a WMS to fill shipped_carrier / shipped_tracking_no / shipped_at."""
    with unit_of_work() as session:
        content = wms.export_xlsx(session, warehouse=warehouse or None)
    target = out_file or Path(f"wms-export-{warehouse or 'all'}.xlsx")
    target.write_bytes(content)
    out.print(f"{target} ({len(content):,} bytes)")


@app.command("wms-import")
def wms_import_cmd(path: Path = SHEET,
                   operator: str = typer.Option("cli", help="Recorded as who imported it.")) -> None:
    """Ship the orders whose rows carry a tracking number; prints each bad row with its reason."""
    try:
        with unit_of_work() as session:
            record = wms.import_xlsx(session, data=path.read_bytes(), filename=path.name,
                                     actor=Actor.system(operator))
            errors = wms.errors(record)
            summary = (f"import {record.id}: {record.row_count} rows, {record.shipped} shipped, "
                       f"{record.already_shipped} already shipped, {record.bad_rows} bad")
    except DomainError as exc:
        _fail(exc.message, exc.details)
    out.print(summary)
    for error in errors:
        out.print(f"  row {error.row} {error.order_no or ''}: {error.reason}")
    if errors:
        raise typer.Exit(code=1)
