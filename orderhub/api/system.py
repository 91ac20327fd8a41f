"""Who am I (/api/v1/me), is it up (/health, public) and how is it doing (/metrics)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response

from orderhub.api import metrics
from orderhub.api.deps import authenticated, requires
from orderhub.api.openapi import api_router
from orderhub.core.actor import Actor
from orderhub.core.auth import PERMISSIONS, can
from orderhub.core.db import unit_of_work

logger = logging.getLogger("orderhub.api")

api_routes = api_router("", tags=["system"])
root_router = APIRouter(tags=["system"])


@api_routes.get("/me")
def me(actor: Annotated[Actor, Depends(authenticated)]) -> JSONResponse:
    """The caller (a console user or an API key), its role and what that role may do."""
    role = actor.role or ""
    return JSONResponse({"username": actor.name, "kind": actor.kind, "id": actor.id,
                         "role": role, "permissions": [p for p in PERMISSIONS if can(role, p)]})


@root_router.get("/health", openapi_extra={"security": []})
def health() -> JSONResponse:
    """For load balancers: no login, no detail beyond whether the database answers."""
    try:
        with unit_of_work() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        logger.exception("health check: the database did not answer")
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@root_router.get("/metrics", response_class=Response)
def prometheus_metrics(_: Annotated[Actor, Depends(requires("metrics.read"))]) -> Response:
    """Prometheus text format; scrape with `authorization: Bearer <API key>`."""
    return metrics.scrape()
