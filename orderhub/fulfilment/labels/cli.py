"""`orderhub labels print`: a batch of labels from the shell, saved as one PDF."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from orderhub.core.actor import Actor
from orderhub.core.db import get_engine, unit_of_work
from orderhub.core.errors import DomainError
from orderhub.fulfilment.labels import service

app = typer.Typer(help="Shipping labels (电子面单打印).", no_args_is_help=True)
out = Console()
CLI = Actor.system("cli")
ORDERS = typer.Option([], "--order", "-o", help="Order number (repeat for more).")
OUT = typer.Option(Path("labels.pdf"), "--out", help="Where to write the PDF.")


def _fail(message: str, details: dict[str, object] | None = None) -> None:
    out.print(f"[bold red]error:[/] {message}")
    if details:
        out.print(json.dumps(details, ensure_ascii=False, indent=2, default=str))
    raise typer.Exit(code=2)


@app.command("print")
def print_cmd(
    order: list[str] = ORDERS,
    warehouse: str = typer.Option("", "--warehouse", "-w", help="All allocated orders of this warehouse."),
    due_before: str = typer.Option("", "--due-before", help="With --warehouse: ship deadline before this "
                                   "ISO time (no zone = Asia/Shanghai)."),
    limit: int = typer.Option(service.MAX_BATCH, "--limit", help="At most this many labels."),
    out_file: Path = OUT,
) -> None:
    """Take waybills, print labels into one PDF, move the orders to label_printed."""
    cutoff = None
    if due_before:
        try:
            cutoff = datetime.fromisoformat(due_before)
        except ValueError:
            _fail(f"--due-before: an ISO time like 2026-11-24T16:00, not {due_before!r}")
    try:
        result = service.print_labels(get_engine(), actor=CLI, order_nos=order or None,
                                      warehouse=warehouse or None, due_before=cutoff, limit=limit)
        if result.count:
            with unit_of_work() as session:
                out_file.write_bytes(service.batch_pdf(session, result.batch_id))
    except DomainError as exc:
        _fail(exc.message, exc.details)
    _report(result, out_file)


def _report(result: service.PrintResult, out_file: Path) -> None:
    out.print(f"batch {result.batch_id}: {len(result.printed)} printed, {len(result.reprinted)} reprinted, "
              f"{len(result.waiting)} waiting for a waybill, {len(result.skipped)} skipped")
    if result.count:
        out.print(f"{result.count} labels written to {out_file}")
    else:
        out.print("no labels printed; nothing written")
    if result.waiting or result.skipped:
        table = Table("order", "not printed because")
        for order_no, why in {**result.waiting, **result.skipped}.items():
            table.add_row(order_no, why)
        out.print(table)
