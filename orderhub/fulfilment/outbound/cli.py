"""`orderhub scan CODE`: the outbound scan from a terminal (a scanner on a PC without a browser)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from orderhub.core.actor import Actor
from orderhub.core.db import get_engine, unit_of_work
from orderhub.core.ids import order_numbers
from orderhub.core.settings import get_settings
from orderhub.fulfilment.outbound import service
from orderhub.fulfilment.outbound.present import message

out = Console()


def scan_cmd(code: str = typer.Argument(..., help="Tracking number, order number or platform order id."),
             station: str = typer.Option("", help="Where the scan happens (e.g. door-1)."),
             operator: str = typer.Option("cli", help="Who scans, for the scan log."),
             lang: str = typer.Option("zh-CN", help="zh-CN or en.")) -> None:
    """Ship the parcel with this code; exit code 1 when the scan is refused (and why)."""
    order_numbers(get_engine(), get_settings().timezone).prime()
    with unit_of_work() as session:
        result = service.scan(session, code=code, actor=Actor.system(operator), station=station)
    text = escape(message(result, lang if lang in ("zh-CN", "en") else "zh-CN"))
    if result.ok:
        out.print(f"[bold green]OK[/] {text}")
        out.print(f"   {escape(result.receiver)} · {escape(result.items)}")
        return
    out.print(f"[bold red]{result.kind}[/] {text}")
    for candidate in result.candidates:
        out.print(f"   {candidate['order_no']} {escape(candidate['shop'])} {candidate['status']}")
    raise typer.Exit(code=1)
