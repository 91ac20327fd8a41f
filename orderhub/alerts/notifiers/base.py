"""The notifier interface the alerts use, and the registry that builds a notifier per channel.

Every channel module registers a builder (`@register("wecom")`); `notifier_for` reads the
channel's stored settings and builds a ready notifier. A notifier either returns the provider's
message id or raises `NotifierError`, whose `retryable` tells the caller whether trying again
later can help (throttled, 5xx, timeout) or not (wrong key, wrong signature, no recipient).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from orderhub.alerts.notifiers import settings as notifier_settings
from orderhub.alerts.notifiers.settings import ChannelSettings

SEVERITY_WORDS = {"critical": "紧急", "warning": "警告", "info": "提示"}


@dataclass(frozen=True)
class Message:
    alert_id: int
    severity: str  # info | warning | critical
    title: str
    text: str  # plain text, Chinese, includes the ack link
    ack_url: str | None
    to_name: str
    to_user_id: int | None  # console user (in-app inbox)
    to_phone: str | None
    to_email: str | None
    to_wecom_userid: str | None
    to_dingtalk_mobile: str | None

    @property
    def severity_word(self) -> str:
        return SEVERITY_WORDS.get(self.severity, self.severity)


class NotifierError(Exception):
    """Sending failed. `retryable`: a later try may succeed; `code`: the provider's error code."""

    def __init__(self, message: str, *, retryable: bool, channel: str = "",
                 code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.channel = channel
        self.code = code


class NotifierDisabled(NotifierError):
    """The channel is switched off in the settings: skip it, do not retry."""

    def __init__(self, channel: str) -> None:
        super().__init__(f"notifier {channel} is disabled", retryable=False, channel=channel,
                         code="disabled")


class Notifier(Protocol):
    channel: str

    def send(self, session: Session, message: Message) -> str:
        """Deliver one message; returns the provider's id (or "ok"); raises NotifierError."""
        ...


Builder = Callable[[ChannelSettings], Notifier]
_BUILDERS: dict[str, Builder] = {}


def register(channel: str) -> Callable[[Builder], Builder]:
    def add(builder: Builder) -> Builder:
        _BUILDERS[channel] = builder
        return builder
    return add


def notifier_for(session: Session, channel: str, *, even_if_disabled: bool = False) -> Notifier:
    """The channel's notifier built from its stored settings. Raises NotifierDisabled when the
    channel is off (a test message may ask for it anyway)."""
    stored = notifier_settings.load(session, channel)
    if not stored.enabled and not even_if_disabled:
        raise NotifierDisabled(channel)
    return _BUILDERS[channel](stored)


def require(stored: ChannelSettings, *names: str) -> None:
    """Missing settings are a configuration problem: retrying will not help."""
    missing = [n for n in names if not (stored.config.get(n) or stored.secrets.get(n))]
    if missing:
        raise NotifierError(f"{stored.channel} is not configured: {', '.join(missing)} missing",
                            retryable=False, channel=stored.channel, code="not_configured")


def recipient(value: str | None, *, channel: str, what: str) -> str:
    if not value:
        raise NotifierError(f"the recipient has no {what} for {channel}", retryable=False,
                            channel=channel, code="no_recipient")
    return value


def clip_bytes(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes, cut on a character boundary (Chinese is 3 bytes each)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit - 3].decode("utf-8", errors="ignore") + "…"
