"""Mounts the REST API under /api/v1, /health and /metrics, the error mapping and the
request middleware on the application (see orderhub.api.app.create_app)."""

from __future__ import annotations

from fastapi import FastAPI

from orderhub.api import errors, openapi, ops, orders, system
from orderhub.api.middleware import BodyLimit, RequestMetrics
from orderhub.core.settings import get_settings


def mount(app: FastAPI) -> None:
    errors.install(app)
    # Added last = outermost: metrics time everything, including refusals of the body limit.
    app.add_middleware(BodyLimit, max_bytes=get_settings().max_body_bytes)
    app.add_middleware(RequestMetrics)
    for router in (orders.router, ops.router, system.api_routes, system.root_router):
        app.include_router(router)
    openapi.install(app)
