"""`orderhub shops add|list|update|rotate-secret`, `orderhub sync --shop NAME`, `orderhub sim PLATFORM`."""

from __future__ import annotations

import json
import secrets as _random

import typer
from rich.console import Console
from rich.table import Table

from orderhub.channels import health, service, sync
from orderhub.channels.present import pull_report_dict
from orderhub.channels.registry import PLATFORMS, simulator_class
from orderhub.core.actor import Actor
from orderhub.core.db import get_engine, unit_of_work
from orderhub.core.errors import DomainError
from orderhub.core.ids import order_numbers
from orderhub.core.settings import get_settings
from orderhub.orders.service import find_shop

shops = typer.Typer(help="Shops and their channel accounts (店铺).", no_args_is_help=True)
out = Console()
CLI = Actor.system("cli")
EXTRA = typer.Option([], help="KEY=VALUE a platform needs (sign_secret, api_version, sign_method,"
                                 " carrier_codes).")
OVERRIDE = typer.Option([], help="FIELD=JMESPATH: read FIELD from elsewhere in the platform's "
                                 "payload, e.g. lines.platform_sku=outer_iid.")


def _fail(exc: DomainError) -> None:
    out.print(f"[bold red]error:[/] {exc.message}")
    if exc.details:
        out.print(json.dumps(exc.details, ensure_ascii=False, indent=2, default=str))
    raise typer.Exit(code=2)


def _extras(values: list[str]) -> dict[str, str]:
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            out.print(f"[bold red]error:[/] expected KEY=VALUE, got {item!r}")
            raise typer.Exit(code=2)
        pairs[key.strip()] = value.strip()
    return pairs


@shops.command("add")
def shops_add(channel: str = typer.Option(..., help="taobao|jd|douyin|pdd|kuaishou|shopify|webhook"),
              name: str = typer.Option(..., help="Shop name in OrderHub, e.g. tmall-flagship."),
              display_name: str = typer.Option("", help="Name people see, e.g. 天猫旗舰店."),
              app_key: str = typer.Option("", help="The platform app key / client id."),
              app_secret: str = typer.Option("", help="The app secret (stored encrypted)."),
              access_token: str = typer.Option("", help="The shop's access token / session."),
              base_url: str = typer.Option("", help="Gateway; default: the platform's real one."),
              extra: list[str] = EXTRA,
              override: list[str] = OVERRIDE,
              interval: int = typer.Option(600, help="Seconds between pulls (at least 60).")) -> None:
    """Add a shop: a platform shop is pulled every --interval seconds; a `webhook` shop (the own
    store) gets a push secret, printed once."""
    try:
        with unit_of_work() as session:
            new = service.add_shop(session, name=name, channel=channel, actor=CLI,
                                   display_name=display_name, app_key=app_key,
                                   app_secret=app_secret, access_token=access_token,
                                   base_url=base_url, extra=_extras(extra),
                                   pull_interval_seconds=interval,
                                   field_overrides=_extras(override))
            base = new.account.base_url
    except DomainError as exc:
        _fail(exc)
    out.print(f"shop [bold]{name}[/] ({channel}) added" + (f", pulls {base} every {interval} s"
                                                          if channel in PLATFORMS else ""))
    if new.webhook_secret:
        out.print(f"push to /api/v1/channels/webhooks/{name} signed with X-OrderHub-Signature: "
                  f"sha256=HMAC-SHA256(secret, body); secret (shown once): {new.webhook_secret}")


@shops.command("update")
def shops_update(name: str = typer.Option(..., help="Shop name."),
                 app_key: str = typer.Option(None), app_secret: str = typer.Option(None),
                 access_token: str = typer.Option(None), base_url: str = typer.Option(None),
                 extra: list[str] = EXTRA,
                 override: list[str] = OVERRIDE,
                 interval: int = typer.Option(None, help="Seconds between pulls.")) -> None:
    """Change credentials (the shop is healthy again until a pull says otherwise) or schedule."""
    try:
        with unit_of_work() as session:
            service.update_shop(session, name=name, actor=CLI, app_key=app_key,
                                app_secret=app_secret, access_token=access_token,
                                base_url=base_url, extra=_extras(extra) or None,
                                pull_interval_seconds=interval,
                                field_overrides=_extras(override) or None)
    except DomainError as exc:
        _fail(exc)
    out.print(f"shop [bold]{name}[/] updated")


@shops.command("rotate-secret")
def shops_rotate_secret(name: str = typer.Option(..., help="A webhook (own store) shop.")) -> None:
    """A new push secret for the own store; the old one stops working now."""
    secret = "whsec_" + _random.token_urlsafe(32)
    try:
        with unit_of_work() as session:
            service.update_shop(session, name=name, actor=CLI, app_secret=secret)
    except DomainError as exc:
        _fail(exc)
    out.print(f"new push secret for {name} (shown once): {secret}")


@shops.command("list")
def shops_list() -> None:
    """Shops with their channel health."""
    with unit_of_work() as session:
        rows = health.channel_health(session)
    table = Table("shop", "channel", "state", "last good pull", "lag s", "orders/h",
                  "errors 24h", "throttled 24h", "last error")
    for h in rows:
        table.add_row(h.shop, h.channel, h.state,
                      h.last_success_at.isoformat(timespec="seconds") if h.last_success_at else "-",
                      str(h.lag_seconds if h.lag_seconds is not None else "-"),
                      str(h.orders_last_hour), str(h.errors_24h), str(h.throttled_24h),
                      (h.unhealthy_reason or h.last_error or "")[:60])
    out.print(table)


def sync_cmd(shop: str = typer.Option(..., help="Shop name.")) -> None:
    """Pull one shop now and print what it did."""
    order_numbers(get_engine(), get_settings().timezone).prime()
    try:
        with unit_of_work() as session:
            shop_id = find_shop(session, shop).id
    except DomainError as exc:
        _fail(exc)
    report = pull_report_dict(sync.pull_shop(get_engine(), shop_id=shop_id, trigger="manual"))
    table = Table("", "")
    for key, value in report.items():
        table.add_row(key, "" if value is None else str(value))
    out.print(table)
    if report["outcome"] not in ("ok",):
        raise typer.Exit(code=1)


def sim_cmd(platform: str = typer.Argument(..., help=" | ".join(PLATFORMS)),
            port: int = typer.Option(9100, help="Port to listen on."),
            host: str = typer.Option("127.0.0.1"),
            orders: int = typer.Option(200, help="Orders to start with (the last 24 hours)."),
            every: float = typer.Option(5.0, help="Seconds between new orders (0 = none)."),
            app_key: str = typer.Option("sim-app-key"), app_secret: str = typer.Option("sim-app-secret"),
            access_token: str = typer.Option("sim-access-token"),
            seed: int = typer.Option(None, help="Same seed, same orders.")) -> None:
    """Run a platform simulator: the platform's API with its signing, paging and errors, plus
    /_sim/ controls (truth, orders, modify, faults)."""
    try:
        sim = simulator_class(platform)(app_key=app_key, app_secret=app_secret,
                                        access_token=access_token, seed=seed)
    except LookupError as exc:
        out.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    sim.generate(orders)
    if every > 0:
        sim.start_feed(every_seconds=every)
    out.print(f"{platform} simulator on http://{host}:{port} (app key {app_key}, secret "
              f"{app_secret}, token {access_token}); controls under /_sim/")
    sim.serve_forever(host, port)
