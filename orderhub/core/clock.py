"""The one source of 'now', in UTC, replaceable in tests (SLA timers, TTLs and backoff depend on it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

_now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)  # noqa: E731


def now() -> datetime:
    return _now()


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Tests freeze or move time with this; None restores the wall clock."""
    global _now
    _now = fn or (lambda: datetime.now(timezone.utc))


def to_utc(value: datetime, default_zone: str = "Asia/Shanghai") -> datetime:
    """Platforms often send local times without a zone; those are in the seller's zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(default_zone))
    return value.astimezone(timezone.utc)


def local(value: datetime | None, zone: str) -> datetime | None:
    return None if value is None else value.astimezone(ZoneInfo(zone))
