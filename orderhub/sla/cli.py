"""`orderhub sla backfill`: deadlines for orders that were open before SLAs were switched on."""

from __future__ import annotations

import typer
from rich.console import Console

from orderhub.core.db import unit_of_work
from orderhub.sla import service

app = typer.Typer(help="Stage deadlines (时效).", no_args_is_help=True)
out = Console()


@app.command("backfill")
def backfill() -> None:
    """Give every open order without a deadline its current stage's deadline."""
    total = 0
    while True:
        with unit_of_work() as session:
            done = service.backfill(session)
        total += done
        if done == 0:
            break
    out.print(f"{total} open orders got a deadline")
