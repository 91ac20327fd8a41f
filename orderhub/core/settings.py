"""Every setting OrderHub reads, from ORDERHUB_* environment variables (see docs/configuration.md)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from typing import Annotated, Literal

from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERHUB_", extra="ignore")

    data_dir: Path = Field(default=Path("orderhub-data"),
                           description="Where the embedded database and exports live.")
    database_url: str | None = Field(default=None,
                                     description="SQLAlchemy URL; default is SQLite in data_dir.")
    timezone: str = Field(default="Asia/Shanghai", description="Zone times are shown in.")
    default_locale: str = Field(default="zh-CN", description="Console language: zh-CN or en.")
    max_body_bytes: int = Field(default=1_048_576, description="Largest request body accepted.")
    session_hours: int = Field(default=12, description="How long a console login lasts.")
    password_hash_profile: Literal["rfc9106-low-memory", "cheapest"] = Field(
        default="rfc9106-low-memory",
        description="Argon2id parameters for console passwords; 'cheapest' is for test runs only.")
    sqlite_busy_timeout_ms: int = Field(default=15_000,
                                        description="How long SQLite waits for the write lock.")
    db_pool_size: int = Field(default=10, description="Connections per process (PostgreSQL).")
    outbox_max_attempts: int = Field(default=6, description="Tries before an event is dead-lettered.")
    outbox_backoff_seconds: float = Field(default=30.0,
                                          description="First retry delay; each next one is 3x longer.")
    outbox_lease_seconds: int = Field(default=300,
                                      description="How long a worker owns a claimed event or job.")
    outbox_batch_size: int = Field(default=100, description="Events a worker claims at once.")
    worker_poll_seconds: float = Field(default=1.0, description="Worker's sleep when idle.")
    plugins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Extra modules imported by serve/worker (comma-separated), e.g. custom handlers.")
    secret_key: str | None = Field(
        default=None,
        description="Fernet key that encrypts shops' credentials; default: a key file in data_dir.")
    channel_pull_overlap_seconds: int = Field(
        default=300, description="How far back each pull re-reads, so late writes are not missed.")
    channel_first_pull_hours: int = Field(
        default=24, description="How far back a new shop's first pull reaches.")
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where outside services reach this OrderHub (Kuaidi100's push callback).")
    label_font: str | None = Field(
        default=None,
        description="TrueType font (.ttf/.ttc) with Chinese glyphs embedded in labels and lists; "
                    "default: the first of the usual system fonts (WenQuanYi, Droid, AR PL).")
    demo_order_interval_seconds: float = Field(default=3.0,
                                               description="Seconds between the demo store's orders.")

    @field_validator("plugins", mode="before")
    @classmethod
    def _split_plugins(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()]
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'orderhub.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
