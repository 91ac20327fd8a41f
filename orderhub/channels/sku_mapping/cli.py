"""`orderhub skus map|unmap|mappings`: the SKU mapping commands, mounted on the `skus` group by
orderhub/inventory/cli.py (mapping files go through `orderhub skus import`)."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from orderhub.channels.sku_mapping import present, service
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.errors import DomainError

out = Console()
CLI = Actor.system("cli")
PLATFORM_SKU = typer.Option(..., "--platform-sku", help="The platform's SKU id or the outer code (商家编码).")
SHOP = typer.Option(None, "--shop", help="Only for this shop (name); left out: every shop.")


def _fail(exc: DomainError) -> None:
    out.print(f"[bold red]error:[/] {exc.message}")
    if exc.details:
        out.print(json.dumps(exc.details, ensure_ascii=False, indent=2, default=str))
    raise typer.Exit(code=2)


def skus_map(platform_sku: str = PLATFORM_SKU,
             sku: str = typer.Option(..., "--sku", help="Our SKU code (must exist)."),
             shop: str | None = SHOP) -> None:
    """Map a platform SKU to one of our SKUs; waiting orders get it and are released."""
    try:
        with unit_of_work() as session:
            done = service.map_sku(session, platform_sku=platform_sku, sku=sku, shop=shop, actor=CLI)
            lines, released = done.lines, list(done.released)
    except DomainError as exc:
        _fail(exc)
    where = f"in shop {shop}" if shop else "in every shop"
    out.print(f"{platform_sku} → {sku} {where}: {lines} waiting lines filled, "
              f"{len(released)} orders released" + (f" ({', '.join(released)})" if released else ""))


def skus_unmap(platform_sku: str = PLATFORM_SKU, shop: str | None = SHOP) -> None:
    """Remove a mapping (lines that already carry the SKU keep it)."""
    try:
        with unit_of_work() as session:
            service.unmap(session, platform_sku=platform_sku, shop=shop, actor=CLI)
    except DomainError as exc:
        _fail(exc)
    out.print(f"removed the mapping of {platform_sku} {'in shop ' + shop if shop else 'for every shop'}")


def skus_mappings(q: str = typer.Option("", help="Filter on platform SKU or our code."),
                  limit: int = typer.Option(200, min=1, max=5000)) -> None:
    """The mappings, then the platform SKUs open orders wait on (待匹配商品)."""
    with unit_of_work() as session:
        rows = service.mappings(session, q=q, limit=limit)
        waiting = service.waiting(session, limit=limit)
    # Codes never wrap (people copy them); names and titles fold instead.
    table = Table(title="SKU mappings")
    for name in ("platform SKU", "shop", "SKU"):
        table.add_column(name, no_wrap=True)
    for name in ("name", "updated", "by"):
        table.add_column(name, overflow="fold")
    for m in rows:
        table.add_row(m.platform_sku, m.shop or "*", m.sku, m.sku_name or "(not in catalog)",
                      present.when(m.updated_at), m.updated_by)
    out.print(table)
    table = Table(title="待匹配商品 unmapped")
    for name in ("platform SKU", "shop"):
        table.add_column(name, no_wrap=True)
    table.add_column("title", overflow="fold")
    for name in ("orders", "lines"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("oldest", no_wrap=True)
    for w in waiting:
        table.add_row(w.platform_sku, w.shop, w.title, str(w.orders), str(w.lines), present.when(w.oldest))
    out.print(table)
