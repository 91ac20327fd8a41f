"""Every capability's tables on one metadata, and migrating a database to the newest schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import orderhub.alerts.models
import orderhub.alerts.notifiers.models
import orderhub.channels.models
import orderhub.channels.sku_mapping.models
import orderhub.channels.spreadsheets.models
import orderhub.core.models
import orderhub.fulfilment.carriers.models
import orderhub.fulfilment.changes.models
import orderhub.fulfilment.labels.models
import orderhub.fulfilment.lists.models
import orderhub.fulfilment.outbound.models
import orderhub.fulfilment.tracking.models
import orderhub.inventory.models
import orderhub.orders.models
import orderhub.routing.models
import orderhub.rules.models
import orderhub.sla.models  # noqa: F401
from orderhub.core.db import Base

metadata = Base.metadata
MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "heads") -> None:
    """Each capability's migrations branch from the core's; "heads" applies all of them."""
    command.upgrade(alembic_config(url), revision)
