"""The OpenAPI document at /api/v1/openapi.json.

Write routes read their bodies themselves (see body.py), so FastAPI cannot see the body models:
routes declare them with `json_body(Model)` and their schemas are added to the document here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from orderhub.api.errors import ErrorOut

API_PREFIX = "/api/v1"
_REF = "#/components/schemas/{model}"
_body_models: dict[str, type[BaseModel]] = {}

# Every API route may answer these; documented once on the router.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text} for status, text in (
        (401, "Not logged in, or an unknown or revoked API key"),
        (403, "The caller's role lacks the permission, or the CSRF token is missing"),
        (422, "Invalid input"),
    )
}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text} for status, text in (
        (400, "Malformed JSON or a body that is not UTF-8"),
        (409, "Conflict: illegal transition, or the Idempotency-Key is in use right now"),
        (413, "Body larger than the accepted maximum"),
    )
}


def api_router(path: str, *, tags: list[str]) -> APIRouter:
    """A router for API_PREFIX + path. Routers carry the whole prefix themselves, rather than being
    nested, so each route knows its full template (metrics label requests by it)."""
    return APIRouter(prefix=API_PREFIX + path, tags=tags, responses=ERROR_RESPONSES)


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` for a route whose handler reads `model` from the body itself."""
    _body_models[model.__name__] = model
    schema = {"$ref": _REF.format(model=model.__name__)}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def install(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            components = document.setdefault("components", {})
            components.setdefault("schemas", {}).update(_body_schemas())
            components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
            document["security"] = [{"apiKey": []}, {"consoleSession": []}]
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


SECURITY_SCHEMES = {
    "apiKey": {"type": "http", "scheme": "bearer",
               "description": "An API key: `Authorization: Bearer ohk_...`"},
    "consoleSession": {"type": "apiKey", "in": "cookie", "name": "orderhub_session",
                       "description": "A console login; POSTs also need the X-CSRF-Token header."},
}


def _body_schemas() -> dict[str, Any]:
    if not _body_models:
        return {}
    keyed = [(model, "validation") for model in _body_models.values()]
    top, defs = models_json_schema(keyed, ref_template=_REF)
    schemas = dict(defs.get("$defs", {}))
    for (model, _mode), schema in top.items():
        if "$ref" not in schema:
            schemas[model.__name__] = schema
    return schemas
