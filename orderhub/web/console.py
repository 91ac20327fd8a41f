"""The web console: server-rendered pages (Jinja2 + HTMX) for the seller's ops team.

Pages live in web/pages/, templates in web/templates/, CSS, the small console.js and the
vendored HTMX in web/static/ (no CDN: sellers run OrderHub on closed networks too).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from orderhub.web.errors import render_error
from orderhub.web.pages import (
    alerts,
    approvals,
    auth,
    carriers,
    channels,
    dead_letters,
    imports,
    inbox,
    inventory,
    inventory_stock,
    logistics,
    masterdata,
    notifiers,
    orders,
    quarantine,
    routing,
    rules,
    scan,
    simulators,
    sku_mapping,
    sla,
    tasks,
    warehouse,
    warehouse_lists,
)
from orderhub.web.render import STATIC


def mount(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for pages in (auth, orders, dead_letters, rules, approvals, routing, inventory,
                  masterdata, inventory_stock, tasks, sku_mapping, channels, quarantine, imports, sla,
                  inbox, notifiers, alerts, simulators, carriers, logistics, warehouse_lists, warehouse, scan):
        app.include_router(pages.router)
    # The application's exception handler renders errors outside /api with this.
    app.state.html_error_renderer = render_error
