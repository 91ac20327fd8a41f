"""A shop's channel account (credentials, pull schedule, checkpoint, health) and its pull log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orderhub.core.db import Base, JSONType
from orderhub.core.models import BigId

DEFAULT_PULL_SECONDS = 600
MIN_PULL_SECONDS = 60


class ChannelAccount(Base):
    """How OrderHub talks to one shop's platform. Secrets are sealed (channels/secrets.py)."""

    __tablename__ = "channel_accounts"
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    base_url: Mapped[str] = mapped_column(String(300), default="")
    app_key: Mapped[str] = mapped_column(String(200), default="")
    sealed_secrets: Mapped[str] = mapped_column(Text, default="")  # app secret, token, extras
    pull_interval_seconds: Mapped[int] = mapped_column(Integer, default=DEFAULT_PULL_SECONDS)
    # Everything modified before this instant has been stored; pulls start a little earlier.
    checkpoint: Mapped[datetime | None] = mapped_column()
    healthy: Mapped[bool] = mapped_column(default=True)
    unhealthy_reason: Mapped[str | None] = mapped_column(Text)
    unhealthy_since: Mapped[datetime | None] = mapped_column()
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive retryable failures
    retry_at: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column()
    # Per-shop JMESPath overrides of where a field is read from (channels/overrides.py).
    field_overrides: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    webhooks_received: Mapped[int] = mapped_column(Integer, default=0)
    webhooks_rejected: Mapped[int] = mapped_column(Integer, default=0)


class PullRun(Base):
    """One pull of one shop: what it asked for, what it got, how it ended."""

    __tablename__ = "channel_pull_runs"
    __table_args__ = (Index("ix_channel_pull_runs_shop_started", "shop_id", "started_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    trigger: Mapped[str] = mapped_column(String(20))  # schedule | manual | webhook
    started_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    window_start: Mapped[datetime | None] = mapped_column()
    window_end: Mapped[datetime | None] = mapped_column()
    pages: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    seen: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(20), default="running")  # ok | throttled | …
    error: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
