"""What each notifier channel can be told, and reading/writing it (`notifier_settings`).

Non-secret settings (`config`) are plain JSON and may be shown; secrets (robot keys, signing
secrets, AccessKey pairs, SMTP password) are sealed with the same key as shops' credentials
(channels/secrets.py) and never leave this module except to the notifier that uses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.alerts.notifiers.models import NotifierSetting
from orderhub.channels.secrets import seal, unseal
from orderhub.core import audit, clock
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput


@dataclass(frozen=True)
class Spec:
    """A channel's settings: config keys with their defaults (the default's type is the key's
    type) and the names of its secrets."""

    config: dict[str, Any]
    secrets: tuple[str, ...] = ()
    enabled_by_default: bool = False
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)


SPECS: dict[str, Spec] = {
    # The console inbox needs nothing configured and is on unless someone turns it off.
    "inapp": Spec(config={}, enabled_by_default=True),
    "wecom": Spec(config={"base_url": "https://qyapi.weixin.qq.com", "msgtype": "markdown",
                          "timeout_seconds": 10},
                  secrets=("key",), choices={"msgtype": ("markdown", "text")}),
    "dingtalk": Spec(config={"base_url": "https://oapi.dingtalk.com", "msgtype": "markdown",
                             "keyword": "", "timeout_seconds": 10},
                     secrets=("access_token", "secret"), choices={"msgtype": ("markdown", "text")}),
    "sms": Spec(config={"base_url": "https://dysmsapi.aliyuncs.com", "region_id": "cn-hangzhou",
                        "sign_name": "", "template_code": "", "timeout_seconds": 10},
                secrets=("access_key_id", "access_key_secret")),
    "email": Spec(config={"host": "", "port": 25, "security": "none", "username": "",
                          "from_address": "", "from_name": "订单中枢 OrderHub",
                          "timeout_seconds": 10},
                  secrets=("password",), choices={"security": ("none", "starttls", "ssl")}),
}
CHANNELS = tuple(SPECS)


@dataclass(frozen=True)
class ChannelSettings:
    channel: str
    enabled: bool
    config: dict[str, Any]
    secrets: dict[str, str]

    def public(self) -> dict[str, Any]:
        """What an API or page may show: never a secret, only whether each one is set."""
        return {"channel": self.channel, "enabled": self.enabled, "config": dict(self.config),
                "secrets_set": {name: bool(self.secrets.get(name))
                                for name in SPECS[self.channel].secrets}}


def spec(channel: str) -> Spec:
    try:
        return SPECS[channel]
    except KeyError:
        raise InvalidInput(f"unknown notifier channel {channel!r}",
                           details={"allowed": list(CHANNELS)}) from None


def load(session: Session, channel: str) -> ChannelSettings:
    """The stored settings over the defaults (a channel nobody configured has only defaults)."""
    s = spec(channel)
    row = session.get(NotifierSetting, channel)
    if row is None:
        return ChannelSettings(channel, s.enabled_by_default, dict(s.config), {})
    return ChannelSettings(channel, row.enabled, {**s.config, **row.config},
                           {k: str(v) for k, v in unseal(row.sealed_secrets).items()})


def load_all(session: Session) -> list[ChannelSettings]:
    list(session.scalars(select(NotifierSetting)))  # one query; load() then hits the identity map
    return [load(session, c) for c in CHANNELS]


def configure(session: Session, *, channel: str, actor: Actor, enabled: bool | None = None,
              config: dict[str, Any] | None = None,
              secrets: dict[str, str] | None = None) -> ChannelSettings:
    """Change some settings of a channel; keys left out keep their value. An empty secret
    removes it. The audit row names changed secrets, never their values."""
    s = spec(channel)
    current = load(session, channel)
    new_config = {**current.config, **_checked_config(channel, s, config or {})}
    new_secrets = dict(current.secrets)
    for name, value in _checked_secrets(channel, s, secrets or {}).items():
        if value:
            new_secrets[name] = value
        else:
            new_secrets.pop(name, None)
    row = session.get(NotifierSetting, channel)
    if row is None:
        row = NotifierSetting(channel=channel)
        session.add(row)
    row.enabled = current.enabled if enabled is None else bool(enabled)
    row.config = {k: v for k, v in new_config.items() if v != s.config.get(k)}
    row.sealed_secrets = seal(new_secrets) if new_secrets else ""
    row.updated_at, row.updated_by = clock.now(), actor.name
    session.flush()
    before, after = audit.changed_fields({"enabled": current.enabled, **current.config},
                                         {"enabled": row.enabled, **new_config})
    changed_secrets = sorted(k for k in set(new_secrets) | set(current.secrets)
                             if new_secrets.get(k) != current.secrets.get(k))
    if changed_secrets:
        after["secrets_changed"] = changed_secrets
    audit.record(session, actor=actor, entity_type="notifier", entity_id=channel,
                 action="notifier.configured", before=before, after=after)
    return load(session, channel)


def _checked_config(channel: str, s: Spec, values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(s.config)
    if unknown:
        raise InvalidInput(f"{channel} has no setting {min(unknown)!r}",
                           details={"channel": channel, "known": sorted(s.config)})
    return {key: _coerce(channel, s, key, value) for key, value in values.items()}


def _coerce(channel: str, s: Spec, key: str, value: Any) -> Any:
    kind = type(s.config[key])
    details = {"channel": channel, "field": key}
    try:
        if kind is bool:
            value = value if isinstance(value, bool) else \
                {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False,
                 "no": False, "off": False, "": False}[str(value).strip().lower()]
        elif kind is int:
            value = int(value)
            if value < 1 or value > 65_535:
                raise ValueError(value)
        else:
            value = str(value).strip()
    except (KeyError, ValueError, TypeError):
        raise InvalidInput(f"{channel}.{key} must be a {kind.__name__}", details=details) from None
    if key in s.choices and value not in s.choices[key]:
        raise InvalidInput(f"{channel}.{key} is one of {', '.join(s.choices[key])}",
                           details=details | {"allowed": list(s.choices[key])})
    if key == "base_url":
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidInput(f"{channel}.base_url must be an http(s) URL", details=details)
        value = value.rstrip("/")
    if len(str(value)) > 300:
        raise InvalidInput(f"{channel}.{key} is too long (300 characters at most)", details=details)
    return value


def _checked_secrets(channel: str, s: Spec, values: dict[str, str]) -> dict[str, str]:
    unknown = set(values) - set(s.secrets)
    if unknown:
        raise InvalidInput(f"{channel} has no secret {min(unknown)!r}",
                           details={"channel": channel, "known": list(s.secrets)})
    for name, value in values.items():
        if not isinstance(value, str) or len(value) > 2000:
            raise InvalidInput(f"{channel} secret {name} must be text of at most 2000 characters",
                               details={"channel": channel, "field": name})
    return {k: v.strip() for k, v in values.items()}
