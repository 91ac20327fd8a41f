"""Imports every capability's event handlers and scheduled tasks, plus ORDERHUB_PLUGINS modules.

Processes that run handlers (worker, demo) or serve the API call load_plugins() once at start.
"""

from __future__ import annotations

import importlib

from orderhub.core.settings import get_settings

# Capability task modules (handlers and scheduled jobs) register themselves on import.
BUILTIN = ("orderhub.orders.tasks", "orderhub.inventory.tasks", "orderhub.rules.tasks",
           "orderhub.routing.tasks", "orderhub.channels.tasks", "orderhub.intake_tasks",
           "orderhub.sla.tasks", "orderhub.alerts.tasks", "orderhub.fulfilment.tracking.tasks",
           "orderhub.fulfilment.carriers.tasks", "orderhub.fulfilment.changes.tasks")


def load_plugins() -> list[str]:
    names = [*BUILTIN, *get_settings().plugins]
    for name in names:
        importlib.import_module(name)
    return names
