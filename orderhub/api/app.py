"""The ASGI application: REST API under /api/v1, the console, /health and /metrics."""

from __future__ import annotations

from fastapi import FastAPI

from orderhub import __version__
from orderhub.api import routes
from orderhub.plugins import load_plugins
from orderhub.web import console


def create_app() -> FastAPI:
    load_plugins()
    app = FastAPI(title="OrderHub", version=__version__, openapi_url="/api/v1/openapi.json",
                  docs_url="/api/v1/docs", redoc_url=None)
    routes.mount(app)
    console.mount(app)
    return app
