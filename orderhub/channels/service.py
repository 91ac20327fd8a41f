"""Shops as channel accounts: adding one, its credentials, its pull schedule, its health state."""

from __future__ import annotations

import secrets as _random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.channels import overrides, secrets
from orderhub.channels.base import Connector, Credentials
from orderhub.channels.models import (
    DEFAULT_PULL_SECONDS,
    MIN_PULL_SECONDS,
    ChannelAccount,
)
from orderhub.channels.registry import PLATFORMS, connector_class
from orderhub.core import audit, clock, outbox, scheduler
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput, NotFound
from orderhub.orders.models import Shop
from orderhub.orders.service import create_shop, find_shop

PULL_TASK = "channels.pull"
SHOP_CHANNELS = (*PLATFORMS, "webhook")


@dataclass
class NewShop:
    shop: Shop
    account: ChannelAccount
    webhook_secret: str | None  # shown once, for the seller's own store to sign its pushes


def pull_job_name(shop_name: str) -> str:
    return f"channel-pull:{shop_name}"


def add_shop(session: Session, *, name: str, channel: str, actor: Actor, display_name: str = "",
             app_key: str = "", app_secret: str = "", access_token: str = "", base_url: str = "",
             extra: dict[str, str] | None = None,
             pull_interval_seconds: int = DEFAULT_PULL_SECONDS,
             field_overrides: dict[str, str] | None = None) -> NewShop:
    """A shop on a platform (pulled on a schedule) or the seller's own store (`webhook`:
    pushes signed with a secret generated here)."""
    if channel not in SHOP_CHANNELS:
        raise InvalidInput(f"unknown channel {channel!r}", details={"allowed": list(SHOP_CHANNELS)})
    _check_interval(pull_interval_seconds)
    shop = create_shop(session, name=name, channel=channel, actor=actor, display_name=display_name)
    webhook_secret = None
    values: dict[str, Any] = {"app_secret": app_secret, "access_token": access_token,
                              "extra": dict(extra or {})}
    if channel == "webhook":
        webhook_secret = app_secret or "whsec_" + _random.token_urlsafe(32)
        values["app_secret"] = webhook_secret
    elif not base_url:
        base_url = connector_class(channel).default_base_url
    account = ChannelAccount(shop_id=shop.id, base_url=base_url, app_key=app_key,
                             sealed_secrets=secrets.seal(values),
                             pull_interval_seconds=pull_interval_seconds, healthy=True, failures=0,
                             field_overrides=overrides.check(field_overrides or {}),
                             webhooks_received=0, webhooks_rejected=0)
    session.add(account)
    session.flush()
    if channel in PLATFORMS:
        scheduler.schedule(session, name=pull_job_name(name), task=PULL_TASK,
                           interval_seconds=pull_interval_seconds, args={"shop_id": shop.id})
    audit.record(session, actor=actor, entity_type="shop", entity_id=shop.id,
                 action="shop.channel_configured",
                 after={"channel": channel, "base_url": base_url, "app_key": app_key,
                        "pull_interval_seconds": pull_interval_seconds})
    return NewShop(shop=shop, account=account, webhook_secret=webhook_secret)


def update_shop(session: Session, *, name: str, actor: Actor, app_key: str | None = None,
                app_secret: str | None = None, access_token: str | None = None,
                base_url: str | None = None, extra: dict[str, str] | None = None,
                pull_interval_seconds: int | None = None,
                field_overrides: dict[str, str] | None = None) -> ChannelAccount:
    """Change credentials or schedule. New credentials make the shop healthy again: the next
    pull tells whether they work."""
    shop, account = shop_account(session, name)
    before = _public(account)
    values = secrets.unseal(account.sealed_secrets)
    for key, value in (("app_secret", app_secret), ("access_token", access_token)):
        if value is not None:
            values[key] = value
    if extra is not None:
        values["extra"] = {**values.get("extra", {}), **extra}
    if app_key is not None:
        account.app_key = app_key
    if base_url is not None:
        account.base_url = base_url
    if field_overrides is not None:
        account.field_overrides = overrides.check(field_overrides)
    account.sealed_secrets = secrets.seal(values)
    if any(v is not None for v in (app_key, app_secret, access_token, extra)):
        _mark_healthy(account)
    if pull_interval_seconds is not None:
        _check_interval(pull_interval_seconds)
        account.pull_interval_seconds = pull_interval_seconds
        if shop.channel in PLATFORMS:
            scheduler.schedule(session, name=pull_job_name(name), task=PULL_TASK,
                               interval_seconds=pull_interval_seconds, args={"shop_id": shop.id})
    session.flush()
    audit.record(session, actor=actor, entity_type="shop", entity_id=shop.id,
                 action="shop.channel_updated", before=before, after=_public(account))
    return account


def shop_account(session: Session, name: str) -> tuple[Shop, ChannelAccount]:
    shop = find_shop(session, name)
    account = session.get(ChannelAccount, shop.id)
    if account is None:
        raise NotFound(f"shop {name!r} has no channel account", details={"shop": name})
    return shop, account


def credentials(account: ChannelAccount) -> Credentials:
    values = secrets.unseal(account.sealed_secrets)
    return Credentials(app_key=account.app_key, app_secret=values.get("app_secret", ""),
                       access_token=values.get("access_token", ""), base_url=account.base_url,
                       extra=values.get("extra", {}))


def connector_for(shop: Shop, account: ChannelAccount, **kwargs: Any) -> Connector:
    return connector_class(shop.channel)(credentials(account), **kwargs)


def mark_unhealthy(session: Session, *, shop: Shop, account: ChannelAccount, reason: str,
                   actor: Actor) -> None:
    """Credentials the platform refuses: no more pulls until someone fixes them; alerts hear
    of it through the event."""
    now = clock.now()
    was_healthy = account.healthy
    account.healthy, account.unhealthy_reason = False, reason
    account.unhealthy_since = account.unhealthy_since if not was_healthy else now
    account.last_error, account.last_error_at = reason, now
    if was_healthy:
        outbox.emit(session, "channel.shop_unhealthy", aggregate_type="shop", aggregate_id=shop.id,
                    actor=actor, payload={"shop": shop.name, "channel": shop.channel,
                                          "reason": reason})
    session.flush()


def _mark_healthy(account: ChannelAccount) -> None:
    account.healthy, account.unhealthy_reason, account.unhealthy_since = True, None, None
    account.failures, account.retry_at = 0, None


def _check_interval(seconds: int) -> None:
    if seconds < MIN_PULL_SECONDS:
        raise InvalidInput(f"pull interval must be at least {MIN_PULL_SECONDS} s",
                           details={"pull_interval_seconds": seconds, "minimum": MIN_PULL_SECONDS})


def _public(account: ChannelAccount) -> dict[str, Any]:
    """What the audit log may show: never the secrets."""
    return {"base_url": account.base_url, "app_key": account.app_key,
            "field_overrides": dict(account.field_overrides or {}),
            "pull_interval_seconds": account.pull_interval_seconds, "healthy": account.healthy}


def list_accounts(session: Session) -> list[tuple[Shop, ChannelAccount | None]]:
    rows = session.execute(select(Shop, ChannelAccount)
                           .outerjoin(ChannelAccount, ChannelAccount.shop_id == Shop.id)
                           .order_by(Shop.name)).all()
    return [(shop, account) for shop, account in rows]


def backoff_until(failures: int, *, now: datetime, retry_after: float | None,
                  base_seconds: float = 30.0) -> datetime:
    """30 s, 90 s, 270 s, … (capped at 2 h), or longer if the platform said how long to wait."""
    from datetime import timedelta
    delay = min(base_seconds * 3 ** max(failures - 1, 0), 7200.0)
    return now + timedelta(seconds=max(delay, retry_after or 0.0))
