"""The `orderhub` command: init, serve, worker, demo, users, apikeys."""

from __future__ import annotations

import logging
import secrets
import sys

import typer
from rich.console import Console

from orderhub.alerts import tasks as alerts_tasks
from orderhub.alerts.notifiers import cli as notifiers_cli
from orderhub.channels import cli as channels_cli
from orderhub.channels.service import add_shop
from orderhub.channels.spreadsheets import cli as spreadsheets_cli
from orderhub.core import auth, worker
from orderhub.core.actor import Actor
from orderhub.core.db import get_engine, unit_of_work
from orderhub.core.errors import DomainError, UnknownShop
from orderhub.core.heap import freeze_startup_objects
from orderhub.core.ids import order_numbers
from orderhub.core.settings import get_settings
from orderhub.fulfilment.labels import cli as labels_cli
from orderhub.fulfilment.lists import cli as lists_cli
from orderhub.fulfilment.outbound import cli as outbound_cli
from orderhub.fulfilment.report import cli as logistics_cli
from orderhub.inventory import cli as inventory_cli
from orderhub.inventory import tasks as inventory_tasks
from orderhub.orders.service import find_shop
from orderhub.plugins import load_plugins
from orderhub.rules import cli as rules_cli
from orderhub.rules.pack import install_default_pack
from orderhub.schema import migrate
from orderhub.sla import cli as sla_cli
from orderhub.sla import policies as sla_policies
from orderhub.sla import tasks as sla_tasks

app = typer.Typer(help="OrderHub — the order hub for sellers on many platforms (订单中枢).",
                  no_args_is_help=True, add_completion=False)
users = typer.Typer(help="Console users.", no_args_is_help=True)
apikeys = typer.Typer(help="API keys for integrations.", no_args_is_help=True)
app.add_typer(users, name="users")
app.add_typer(apikeys, name="apikeys")
app.add_typer(rules_cli.app, name="rules")
app.add_typer(inventory_cli.skus, name="skus")
app.add_typer(inventory_cli.warehouses, name="warehouses")
app.add_typer(inventory_cli.stock, name="stock")
app.add_typer(channels_cli.shops, name="shops")
app.add_typer(sla_cli.app, name="sla")
app.command("sync")(channels_cli.sync_cmd)
app.command("sim")(channels_cli.sim_cmd)
app.command("scan")(outbound_cli.scan_cmd)
app.add_typer(spreadsheets_cli.app, name="orders")
app.add_typer(notifiers_cli.app, name="notifiers")
app.add_typer(labels_cli.app, name="labels")
app.add_typer(lists_cli.app, name="lists")
app.add_typer(logistics_cli.app, name="logistics")
out = Console()
CLI = Actor.system("cli")
DEFAULT_SHOP = "own-store"


def _fail(message: str) -> None:
    out.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code=2)


def prepare_database() -> None:
    """Create or migrate the database, then lease this process's order-number node."""
    settings = get_settings()
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.effective_database_url)
    order_numbers(get_engine(), settings.timezone).prime()


def ensure_defaults() -> None:
    """What every installation starts with: the own-store shop, the default rule pack and SLA
    policies, and the scheduled jobs (declared again at every start; harmless)."""
    with unit_of_work() as session:
        try:
            find_shop(session, DEFAULT_SHOP)
        except UnknownShop:
            add_shop(session, name=DEFAULT_SHOP, channel="webhook", actor=CLI,
                     display_name="自有商城 Own store")
        install_default_pack(session, actor=CLI)
        sla_policies.install_defaults(session, actor=CLI)
        inventory_tasks.schedule_jobs(session)
        sla_tasks.ensure_jobs(session)
        alerts_tasks.ensure_jobs(session)


@app.command()
def init(admin_username: str = typer.Option("admin", help="First admin's username."),
         admin_password: str = typer.Option(None, help="First admin's password (generated if left out).")) -> None:
    """Create or migrate the database, the own-store shop, the default rules and the first admin."""
    prepare_database()
    ensure_defaults()
    with unit_of_work() as session:
        if auth.find_user(session, admin_username) is not None:
            out.print(f"Database ready at {get_settings().effective_database_url}; "
                      f"admin {admin_username!r} exists already.")
            return
        password = admin_password or secrets.token_urlsafe(12)
        try:
            auth.create_user(session, username=admin_username, role="admin", password=password, actor=CLI)
        except DomainError as exc:
            _fail(exc.message)
    out.print(f"Database ready at {get_settings().effective_database_url}")
    out.print(f"Admin user: [bold]{admin_username}[/]  password: [bold]{password}[/]")


@app.command()
def serve(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000),
          workers: int = typer.Option(1, help="HTTP worker processes."),
          proxy_headers: bool = typer.Option(True, help="Trust X-Forwarded-* from the reverse proxy.")) -> None:
    """Serve the REST API and the web console (no background work: run `orderhub worker` too)."""
    import uvicorn  # here, not at the top: a worker starting up should not pay for the web stack

    uvicorn.run("orderhub.api.app:serve_app", factory=True, host=host, port=port, workers=workers,
                proxy_headers=proxy_headers, log_level="info")


@app.command("worker")
def worker_cmd(burst: bool = typer.Option(False, help="Process everything due, then exit."),
               name: str = typer.Option(None, help="Worker name prefix (default: the host name).")) -> None:
    """Run background work: outbox events and scheduled jobs. SIGTERM finishes the event in hand."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    load_plugins()
    order_numbers(get_engine(), get_settings().timezone).prime()
    freeze_startup_objects()
    done = worker.run(burst=burst, name=name)
    out.print(f"processed {done} events")


@app.command()
def demo(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000),
         every: float = typer.Option(None, help="Seconds between simulated orders."),
         duration: float = typer.Option(None, help="Stop after this many seconds (default: run until Ctrl-C)."),
         seed: int = typer.Option(None, help="Make the simulated store's orders reproducible.")) -> None:
    """Everything in one process on the embedded default, with simulated orders flowing in."""
    from orderhub.demo import run_demo  # the web app and the simulators: only the demo needs them

    prepare_database()
    ensure_defaults()
    run_demo(host=host, port=port, every=every or get_settings().demo_order_interval_seconds,
             duration=duration, console=out, seed=seed)


@users.command("create")
def users_create(username: str = typer.Option(..., help="Login name."),
                 role: str = typer.Option(..., help=f"One of: {', '.join(auth.ROLES)}."),
                 password: str = typer.Option(None, help="Prompted for (or generated without a terminal).")) -> None:
    """Create a console user."""
    if password is None:
        password = (typer.prompt("Password", hide_input=True, confirmation_prompt=True)
                    if sys.stdin.isatty() else secrets.token_urlsafe(12))
    with unit_of_work() as session:
        try:
            user = auth.create_user(session, username=username, role=role, password=password, actor=CLI)
        except DomainError as exc:
            _fail(exc.message)
    out.print(f"created user {user.username!r} with role {user.role}")
    if not sys.stdin.isatty():
        out.print(f"password: {password}")


@apikeys.command("create")
def apikeys_create(name: str = typer.Option(..., help="What the key is for, e.g. 'mini-program'."),
                   role: str = typer.Option(..., help=f"One of: {', '.join(auth.ROLES)}.")) -> None:
    """Create an API key. The key is printed once, as the last line."""
    with unit_of_work() as session:
        try:
            key, secret = auth.create_api_key(session, name=name, role=role, actor=CLI)
        except DomainError as exc:
            _fail(exc.message)
    out.print(f"API key {key.name!r} ({key.role}) created; it is shown only once:")
    print(secret)


if __name__ == "__main__":  # pragma: no cover
    app()
