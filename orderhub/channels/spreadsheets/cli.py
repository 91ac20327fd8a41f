"""`orderhub orders import FILE --template NAME [--dry-run]`, `orderhub orders templates`,
`orderhub orders template-add --name N --shop S [--from FILE]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from orderhub.channels.spreadsheets import service, templates
from orderhub.channels.spreadsheets.mapping import FIELDS, REQUIRED
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.errors import DomainError

app = typer.Typer(help="Orders from spreadsheets (导入订单).", no_args_is_help=True)
out = Console()
CLI = Actor.system("cli")
FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help="XLSX, or CSV in UTF-8 or GBK (as Excel saves it).")]


def _fail(exc: DomainError) -> None:
    out.print(f"[bold red]error:[/] {exc.message}")
    if exc.details:
        out.print(json.dumps(exc.details, ensure_ascii=False, indent=2, default=str))
    raise typer.Exit(code=2)


def _errors_table(errors: list[tuple[int, str, str]]) -> Table:
    table = Table("row", "order id", "reason", title=f"{len(errors)} bad rows (kept for correction)")
    for row, order_id, reason in errors:
        table.add_row(str(row), order_id or "—", reason)
    return table


@app.command("import")
def import_orders(path: FileArg,
                  template: Annotated[str, typer.Option(help="Import template (saved mapping).")],
                  dry_run: Annotated[bool, typer.Option(help="Check and preview; write nothing.")] = False) -> None:
    """Import orders from a spreadsheet. Good orders are imported; bad rows are kept with their
    row number and reason (fix them in the console or through the API). Exit code 1 if any."""
    data = path.read_bytes()
    if dry_run:
        _dry_run(data, path.name, template)
        return
    service.prepare()
    try:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=out, transient=False) as bar:
            task = bar.add_task(f"importing {path.name}", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            with unit_of_work() as session:
                batch = service.import_file(session, data=data, filename=path.name,
                                            template=template, actor=CLI, progress=advance)
                summary = (batch.id, batch.rows, batch.orders_created, batch.orders_updated,
                           batch.bad_rows)
                errors = [(r.row_number, r.order_key, r.error)
                          for r in service.batch_rows(session, batch.id, status="bad")]
    except DomainError as exc:
        _fail(exc)
    batch_id, rows, created, updated, bad = summary
    table = Table("batch", "rows", "orders created", "orders updated", "bad rows")
    table.add_row(str(batch_id), str(rows), str(created), str(updated), str(bad))
    out.print(table)
    if errors:
        out.print(_errors_table(errors))
        raise typer.Exit(code=1)


def _dry_run(data: bytes, filename: str, template: str) -> None:
    try:
        with unit_of_work() as session:
            result = service.preview(session, data=data, filename=filename, template=template,
                                     limit=10)
    except DomainError as exc:
        _fail(exc)
    out.print(f"[bold]dry run[/] {filename} ({result.encoding}): {result.rows} rows, "
              f"{result.orders} orders would be imported, nothing was written")
    shown = Table("rows", "order id", "status", "receiver", "lines")
    for order in result.orders_shown:
        receiver = order.get("receiver", {})
        lines = "; ".join(f"{l['platform_sku']} x{l['quantity']}" for l in order["lines"])
        shown.add_row(",".join(map(str, order["rows"])), order["platform_order_id"],
                      order.get("status", "paid"), receiver.get("name", ""), lines)
    out.print(shown)
    if result.errors:
        out.print(_errors_table([(e.row, e.order_id, e.reason) for e in result.errors]))
        raise typer.Exit(code=1)


@app.command("templates")
def list_templates() -> None:
    """The saved import templates."""
    with unit_of_work() as session:
        table = Table("name", "shop", "mapping", "options")
        for tpl in templates.list_templates(session):
            table.add_row(tpl.name, tpl.shop,
                          "\n".join(f"{f} ← {c}" for f, c in tpl.mapping.items()),
                          json.dumps(tpl.options, ensure_ascii=False))
    out.print(table)


@app.command("template-add")
def template_add(name: Annotated[str, typer.Option(help="Template name, e.g. 淘宝导出.")],
                 shop: Annotated[str, typer.Option(help="The shop the orders belong to.")],
                 from_file: Annotated[Path | None, typer.Option(
                     "--from", exists=True, dir_okay=False,
                     help="Suggest the mapping from this file's header row.")] = None,
                 mapping: Annotated[str, typer.Option(
                     help='Mapping as JSON {"field": "column"}; overrides the suggestion.')] = "",
                 date_format: Annotated[str, typer.Option(help="e.g. %d/%m/%Y %H:%M")] = "",
                 default_status: Annotated[str, typer.Option(help="Status of rows without one.")] = "paid") -> None:
    """Save an import template (or replace the one with this name)."""
    chosen: dict[str, str] = {}
    try:
        if from_file is not None:
            chosen = templates.suggest(data=from_file.read_bytes(), filename=from_file.name).mapping
        if mapping:
            given = json.loads(mapping)
            if not isinstance(given, dict):
                raise json.JSONDecodeError("expected an object", mapping, 0)
            chosen |= given
    except json.JSONDecodeError as exc:
        out.print(f"[bold red]error:[/] --mapping is not JSON: {exc}")
        raise typer.Exit(code=2) from None
    except DomainError as exc:
        _fail(exc)
    table = Table("field", "column", title="mapping")
    for field in FIELDS:
        required = " (required)" if field in REQUIRED else ""
        table.add_row(field + required, chosen.get(field, "—"))
    out.print(table)
    try:
        with unit_of_work() as session:
            _, created = templates.save_template(
                session, name=name, shop=shop, mapping=chosen, actor=CLI,
                options={"date_format": date_format, "default_status": default_status})
    except DomainError as exc:
        _fail(exc)
    out.print(f"{'saved' if created else 'updated'} template {name!r} for shop {shop!r}")
