"""`orderhub notifiers list|set|test|sim`: channel settings from the shell, a test message, and
the messaging simulators (WeCom, DingTalk, Aliyun SMS, SMTP) for trying it all locally."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from orderhub.alerts.notifiers import service, settings
from orderhub.core import auth
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.errors import DomainError
from orderhub.sim.aliyun_sms import AliyunSmsSim
from orderhub.sim.dingtalk import DingTalkSim
from orderhub.sim.smtp import SmtpSim
from orderhub.sim.wecom import WeComSim

app = typer.Typer(help="Alert notifiers: in-app, WeCom, DingTalk, SMS, email (通知渠道).",
                  no_args_is_help=True)
out = Console()
CLI = Actor.system("cli")
CHANNEL = typer.Argument(..., help=" | ".join(settings.CHANNELS))
CONFIG = typer.Option([], "--config", "-c", help="KEY=VALUE, e.g. base_url=https://…")
SECRET = typer.Option([], "--secret", "-s",
                      help="KEY=VALUE; KEY= asks for the value without echo (kept out of shell history).")


def _fail(exc: DomainError) -> None:
    out.print(f"[bold red]error:[/] {exc.message}")
    if exc.details:
        out.print(json.dumps(exc.details, ensure_ascii=False, indent=2, default=str))
    raise typer.Exit(code=2)


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            out.print(f"[bold red]error:[/] {option} takes KEY=VALUE, got {item!r}")
            raise typer.Exit(code=2)
        pairs[key.strip()] = value
    return pairs


@app.command("list")
def list_cmd() -> None:
    """Every channel: on/off, its settings, and which secrets are set (never their values)."""
    with unit_of_work() as session:
        rows = [s.public() for s in settings.load_all(session)]
    table = Table("channel", "enabled", "settings", "secrets")
    for row in rows:
        table.add_row(row["channel"], "yes" if row["enabled"] else "no",
                      ", ".join(f"{k}={v}" for k, v in row["config"].items()),
                      ", ".join(f"{k}: {'set' if v else 'not set'}"
                                for k, v in row["secrets_set"].items()))
    out.print(table)


@app.command("set")
def set_cmd(channel: str = CHANNEL,
            enable: bool = typer.Option(None, "--enable/--disable", help="Switch the channel on or off."),
            config: list[str] = CONFIG, secret: list[str] = SECRET) -> None:
    """Change a channel's settings; what you leave out stays as it is."""
    secrets = _pairs(secret, "--secret")
    for key, value in secrets.items():
        if not value:
            secrets[key] = typer.prompt(f"{channel} {key}", hide_input=True)
    try:
        with unit_of_work() as session:
            stored = settings.configure(session, channel=channel, actor=CLI, enabled=enable,
                                        config=_pairs(config, "--config"), secrets=secrets)
            view = stored.public()
    except DomainError as exc:
        _fail(exc)
    out.print(json.dumps(view, ensure_ascii=False, indent=2))


@app.command("test")
def test_cmd(channel: str = CHANNEL,
             phone: str = typer.Option("", help="SMS: the phone number."),
             email: str = typer.Option("", help="Email: the address."),
             wecom_userid: str = typer.Option("", help="WeCom: a userid to @mention."),
             dingtalk_mobile: str = typer.Option("", help="DingTalk: a mobile to @mention."),
             user: str = typer.Option("", help="In-app: the console username to write to.")) -> None:
    """Send a test message through CHANNEL now (even while it is switched off)."""
    try:
        with unit_of_work() as session:
            user_id = None
            if user:
                found = auth.find_user(session, user)
                if found is None:
                    raise DomainError(f"no console user {user!r}")
                user_id = found.id
            provider_id = service.send_test(session, channel=channel, actor=CLI, to_user_id=user_id,
                                            to_phone=phone, to_email=email,
                                            to_wecom_userid=wecom_userid,
                                            to_dingtalk_mobile=dingtalk_mobile)
    except DomainError as exc:
        _fail(exc)
    out.print(f"sent: {provider_id}")


@app.command("sim")
def sim_cmd(channel: str = typer.Argument(..., help="wecom | dingtalk | sms | smtp"),
            port: int = typer.Option(0, help="Port (default: 9201 wecom, 9202 dingtalk, "
                                             "9203 sms, 2525 smtp)."),
            host: str = typer.Option("127.0.0.1")) -> None:
    """Run a messaging simulator with its default credentials (printed); what it receives is
    under /_sim/received (HTTP ones) and faults are set with POST /_sim/faults."""
    if channel == "smtp":
        sim = SmtpSim()
        out.print(f"SMTP simulator on {host}:{port or 2525} (login {sim.username} / {sim.password})")
        sim.serve_forever(host, port or 2525)
        return
    sims = {"wecom": (WeComSim, 9201, "key sim-wecom-key"),
            "dingtalk": (DingTalkSim, 9202, "access_token sim-dingtalk-token, secret SECsim-dingtalk-secret"),
            "sms": (AliyunSmsSim, 9203, ("AccessKey sim-access-key-id / sim-access-key-secret, "
                                         "sign name 订单中枢, template SMS_900001"))}
    if channel not in sims:
        out.print(f"[bold red]error:[/] unknown simulator {channel!r}; one of wecom, dingtalk, sms, smtp")
        raise typer.Exit(code=2)
    cls, default_port, credentials = sims[channel]
    out.print(f"{channel} simulator on http://{host}:{port or default_port} ({credentials}); "
              "controls under /_sim/")
    cls().serve_forever(host, port or default_port)
