"""Mounts the REST API under /api/v1, /health and /metrics, the error mapping and the
request middleware on the application (see orderhub.api.app.create_app)."""

from __future__ import annotations

from fastapi import FastAPI

from orderhub.alerts import api as alerts_api
from orderhub.alerts.notifiers import api as notifiers_api
from orderhub.api import errors, openapi, ops, orders, system
from orderhub.api.middleware import BodyLimit, RequestMetrics
from orderhub.channels import api as channels_api
from orderhub.channels.sku_mapping import api as sku_mapping_api
from orderhub.channels.spreadsheets import api as spreadsheets_api
from orderhub.core.settings import get_settings
from orderhub.fulfilment.carriers import api as carriers_api
from orderhub.fulfilment.changes import api as changes_api
from orderhub.fulfilment.labels import api as labels_api
from orderhub.fulfilment.lists import api as lists_api
from orderhub.fulfilment.outbound import api as outbound_api
from orderhub.fulfilment.report import api as logistics_api
from orderhub.fulfilment.tracking import api as tracking_api
from orderhub.inventory import api as inventory_api
from orderhub.routing import api as routing_api
from orderhub.rules import api as rules_api
from orderhub.sla import api as sla_api


def mount(app: FastAPI) -> None:
    errors.install(app)
    # Added last = outermost: metrics time everything, including refusals of the body limit.
    app.add_middleware(BodyLimit, max_bytes=get_settings().max_body_bytes)
    app.add_middleware(RequestMetrics)
    for router in (orders.router, ops.router, *rules_api.routers, *routing_api.routers,
                   *inventory_api.routers, *sku_mapping_api.routers, *channels_api.routers, *spreadsheets_api.routers,
                   *sla_api.routers, *notifiers_api.routers, *alerts_api.routers, *tracking_api.routers,
                   *carriers_api.routers, *labels_api.routers,
                   *outbound_api.routers,
                   *lists_api.routers,
                   *changes_api.routers,
                   *logistics_api.routers,
                   system.api_routes, system.root_router):
        app.include_router(router)
    openapi.install(app)
