"""Notifier settings (one row per channel, secrets sealed) and the in-app inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from orderhub.core.db import Base, JSONType
from orderhub.core.models import BigId


class NotifierSetting(Base):
    """How one channel (wecom, dingtalk, sms, email, inapp) reaches people. `config` holds what
    may be shown (URLs, sign name, SMTP host); `sealed_secrets` what may not (channels/secrets.py)."""

    __tablename__ = "notifier_settings"
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    sealed_secrets: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime | None] = mapped_column()
    updated_by: Mapped[str | None] = mapped_column(String(200))


class InboxMessage(Base):
    """An in-app message to one console user. `alert_id` is not a foreign key: alerts live in
    their own migration branch, and a message outlives a purged alert."""

    __tablename__ = "inbox_messages"
    __table_args__ = (
        Index("ix_inbox_messages_user", "user_id", "id"),
        # The header's unread badge counts these on every console page.
        Index("ix_inbox_messages_unread", "user_id",
              postgresql_where=text("read_at IS NULL"), sqlite_where=text("read_at IS NULL")),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    alert_id: Mapped[int | None] = mapped_column(BigInteger)
    severity: Mapped[str] = mapped_column(String(10), default="info")
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column()
    read_at: Mapped[datetime | None] = mapped_column()
