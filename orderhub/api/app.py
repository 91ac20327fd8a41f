"""The ASGI application: REST API under /api/v1, the console, /health and /metrics."""

from __future__ import annotations

from fastapi import FastAPI

from orderhub import __version__
from orderhub.api import routes
from orderhub.core.heap import freeze_startup_objects
from orderhub.plugins import load_plugins
from orderhub.web import console


def create_app() -> FastAPI:
    load_plugins()
    app = FastAPI(title="OrderHub", version=__version__, openapi_url="/api/v1/openapi.json",
                  docs_url="/api/v1/docs", redoc_url=None)
    routes.mount(app)
    console.mount(app)
    return app


def serve_app() -> FastAPI:
    """The app as `orderhub serve` runs it: created, then its start-up objects frozen (a test
    builds many apps in one process and must not freeze them)."""
    app = create_app()
    freeze_startup_objects()
    return app
