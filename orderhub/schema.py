"""Every capability's tables on one metadata, and migrating a database to the newest schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import orderhub.core.models  # noqa: F401  (registers tables)
import orderhub.orders.models  # noqa: F401
import orderhub.inventory.models  # noqa: F401
import orderhub.routing.models  # noqa: F401
import orderhub.rules.models  # noqa: F401
import orderhub.channels.models  # noqa: F401
import orderhub.channels.sku_mapping.models  # noqa: F401
import orderhub.channels.spreadsheets.models  # noqa: F401
import orderhub.sla.models  # noqa: F401
import orderhub.alerts.models  # noqa: F401
import orderhub.alerts.notifiers.models  # noqa: F401
import orderhub.fulfilment.carriers.models  # noqa: F401
import orderhub.fulfilment.tracking.models  # noqa: F401
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
