"""`orderhub skus import|map|unmap|mappings`, `orderhub warehouses add|list`, `orderhub stock receive|set|verify|ttl`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from orderhub.channels.sku_mapping import cli as mapping_cli
from orderhub.channels.sku_mapping.service import map_sku
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.errors import DomainError
from orderhub.inventory import importer, ledger, service
from orderhub.inventory.provinces import PROVINCES

skus = typer.Typer(help="SKUs and bundles (商品).", no_args_is_help=True)
warehouses = typer.Typer(help="Warehouses (仓库).", no_args_is_help=True)
stock = typer.Typer(help="Stock levels and the movement ledger (库存).", no_args_is_help=True)
out = Console()
CLI = Actor.system("cli")
# SKU mapping lives in channels/sku_mapping; its commands sit in this group, where people look.
skus.command("map")(mapping_cli.skus_map)
skus.command("unmap")(mapping_cli.skus_unmap)
skus.command("mappings")(mapping_cli.skus_mappings)


def _fail(exc: DomainError) -> None:
    out.print(f"[bold red]error:[/] {exc.message}")
    if exc.details:
        out.print(json.dumps(exc.details, ensure_ascii=False, indent=2, default=str))
    raise typer.Exit(code=2)


@skus.command("import")
def skus_import(path: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                                     help="CSV (UTF-8 or GB18030) or XLSX file.")]) -> None:
    """Create or update SKUs from a spreadsheet: code, name, category, barcode, weight_g,
    purchase_limited, presale, components (SKU-A:1;SKU-B:2 for a bundle); rows with a
    platform_sku (平台SKU / 商家编码, optional shop) map that platform SKU to the row's code."""
    try:
        with unit_of_work() as session:
            result = importer.import_skus(session, data=path.read_bytes(), filename=path.name, actor=CLI,
                                          map_platform_sku=map_sku)
    except DomainError as exc:
        _fail(exc)
    out.print(f"imported {path.name}: {result.created} created, {result.updated} updated, "
              f"{result.bundles} bundles set, {result.mappings} platform SKUs mapped")


@warehouses.command("add")
def warehouses_add(code: str = typer.Option(..., help="Short code, e.g. HZ."),
                   name: str = typer.Option(..., help="Name, e.g. 杭州仓."),
                   province: str = typer.Option("", help="Province it is in, e.g. 浙江省."),
                   city: str = typer.Option("", help="City, e.g. 杭州市."),
                   capacity: int = typer.Option(0, help="Orders it can ship a day."),
                   serves: str = typer.Option("", help="Provinces it serves, comma-separated (empty: all)."),
                   days: str = typer.Option("", help='Delivery days as JSON, e.g. {"浙江省": 1}.'),
                   error_rate: float = typer.Option(0.0, help="Recent error rate, 0 to 1.")) -> None:
    """Add a warehouse (or update the one with this code)."""
    try:
        delivery = json.loads(days) if days else {}
    except json.JSONDecodeError as exc:
        out.print(f"[bold red]error:[/] --days is not JSON: {exc}")
        raise typer.Exit(code=2) from None
    serves_list = [p.strip() for p in serves.replace("，", ",").split(",") if p.strip()]
    try:
        with unit_of_work() as session:
            wh, created = service.upsert_warehouse(
                session, code=code, actor=CLI, name=name, province=province, city=city,
                daily_capacity=capacity, serves_provinces=serves_list, delivery_days=delivery,
                error_rate=error_rate)
            wh_id = wh.id
    except DomainError as exc:
        _fail(exc)
    out.print(f"{'added' if created else 'updated'} warehouse {code} (id {wh_id})")


@warehouses.command("list")
def warehouses_list() -> None:
    """The active warehouses."""
    with unit_of_work() as session:
        table = Table("id", "code", "name", "province", "capacity", "serves")
        for wh in service.warehouses(session):
            table.add_row(str(wh.id), wh.code, wh.name, wh.province, str(wh.daily_capacity),
                          "、".join(wh.serves_provinces) or f"all {len(PROVINCES)}")
    out.print(table)


@stock.command("receive")
def stock_receive(sku: str = typer.Option(...), warehouse: str = typer.Option(..., help="Code or id."),
                  quantity: int = typer.Option(...), reason: str = typer.Option("receipt"),
                  from_transit: bool = typer.Option(False, help="The units were in transit.")) -> None:
    """Goods received: on hand grows, waiting backorders are re-run."""
    try:
        with unit_of_work() as session:
            wh = service.find_warehouse(session, warehouse)
            level = service.receive(session, sku=sku, warehouse_id=wh.id, quantity=quantity, actor=CLI,
                                    reason=reason, from_transit=from_transit)
            on_hand, reserved = level.on_hand, level.reserved
    except DomainError as exc:
        _fail(exc)
    out.print(f"{sku} @ {warehouse}: on hand {on_hand}, reserved {reserved}")


@stock.command("set")
def stock_set(sku: str = typer.Option(...), warehouse: str = typer.Option(..., help="Code or id."),
              on_hand: int = typer.Option(None), safety: int = typer.Option(None),
              in_transit: int = typer.Option(None), reason: str = typer.Option("set")) -> None:
    """Set absolute figures (opening stock, safety stock, in transit)."""
    try:
        with unit_of_work() as session:
            wh = service.find_warehouse(session, warehouse)
            level = service.set_level(session, sku=sku, warehouse_id=wh.id, on_hand=on_hand,
                                      safety_stock=safety, in_transit=in_transit, actor=CLI,
                                      reason=reason)
            figures = (level.on_hand, level.reserved, level.safety_stock, level.in_transit)
    except DomainError as exc:
        _fail(exc)
    out.print("{} @ {}: on hand {}, reserved {}, safety {}, in transit {}".format(sku, warehouse, *figures))


@stock.command("verify")
def stock_verify() -> None:
    """Rebuild every level from the movement ledger and report any difference (exit 1 if any)."""
    with unit_of_work() as session:
        diffs = ledger.verify(session)
        levels = len(ledger.rebuild(session))
    if not diffs:
        out.print(f"ledger and stock levels agree ({levels} SKU x warehouse rows)")
        return
    table = Table("sku", "warehouse", "field", "stored", "ledger")
    for d in diffs:
        table.add_row(d.sku, d.warehouse, d.field, str(d.stored), str(d.ledger))
    out.print(table)
    out.print(f"[bold red]{len(diffs)} differences[/]")
    raise typer.Exit(code=1)


@stock.command("ttl")
def stock_ttl(minutes: int = typer.Option(None, help="New TTL for unpaid orders' reservations, 1-30.")) -> None:
    """Show or set how long an unpaid order holds its reservation (default 15 minutes)."""
    try:
        with unit_of_work() as session:
            if minutes is not None:
                service.set_ttl_minutes(session, minutes=minutes, actor=CLI)
            current = service.ttl_minutes(session)
    except DomainError as exc:
        _fail(exc)
    out.print(f"unpaid reservations expire after {current} minutes")
