"""`orderhub logistics report`: the logistics report in the terminal, or as CSV for Excel."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from orderhub.core.db import unit_of_work
from orderhub.core.errors import DomainError
from orderhub.fulfilment.report import service
from orderhub.fulfilment.report.present import to_csv

app = typer.Typer(help="Logistics report per carrier / warehouse (物流报表).", no_args_is_help=True)
out = Console()
START = typer.Option(None, "--from", help="First day, YYYY-MM-DD (default: 29 days before --to).")
END = typer.Option(None, "--to", help="Last day, inclusive (default: today).")
GROUP = typer.Option("carrier", "--group", help="carrier | warehouse | both.")
CSV = typer.Option(None, "--csv", help="Also write the report as CSV here.")


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


@app.command("report")
def report_cmd(start: str = START, end: str = END, group: str = GROUP, csv_file: Path = CSV) -> None:
    """Parcels shipped in the period: delivered rate, transit hours, exceptions, write-back rate."""
    try:
        when = service.period(start, end)
        with unit_of_work() as session:
            report = service.logistics_report(session, when=when, group=group)
    except DomainError as exc:
        out.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(code=2) from None
    table = Table(title=f"{when.first} – {when.last} ({when.zone})")
    for column in ("carrier", "warehouse", "shipped", "delivered", "transit h (mean / median)",
                   "exceptions", "write-back"):
        table.add_column(column, justify="left" if column in ("carrier", "warehouse") else "right")
    for row in [*report.rows, report.total]:
        table.add_row(row.carrier or ("total" if row is report.total else ""), row.warehouse or "",
                      str(row.shipped), f"{row.delivered} ({_percent(row.delivered_rate)})",
                      f"{_hours(row.avg_transit_hours)} / {_hours(row.median_transit_hours)}",
                      f"{row.exceptions} ({_percent(row.exception_rate)})", _percent(row.writeback_rate))
    out.print(table)
    if csv_file is not None:
        csv_file.write_text(to_csv(report), encoding="utf-8")
        out.print(f"{csv_file}")
