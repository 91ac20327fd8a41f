"""Every error leaves as `{"error": {"code", "message", "details"}}`, mapped here and only here.

Domain errors carry their own code and HTTP status. Pages outside the API (the console) are
answered by the console's HTML renderer when it registered one on `app.state`.
"""

from __future__ import annotations

import inspect
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.responses import Response

from orderhub.core.errors import Conflict, DomainError, InvalidInput

logger = logging.getLogger("orderhub.api")

# Paths that always answer JSON, whatever the console registered.
JSON_PATHS = ("/api", "/health", "/metrics")
PLACES = ("body", "query", "path", "header", "cookie")


class MalformedJson(InvalidInput):
    code = "malformed_json"
    http_status = 400


class InvalidEncoding(InvalidInput):
    code = "invalid_encoding"
    http_status = 400


class ValidationFailed(InvalidInput):
    code = "validation_failed"
    http_status = 422


class BodyTooLarge(InvalidInput):
    """Raised while the body is read; keeps its beginning so the input can be quarantined."""

    code = "body_too_large"
    http_status = 413

    def __init__(self, *, max_bytes: int, size: int, sample: bytes) -> None:
        super().__init__(f"the body is larger than the {max_bytes} bytes accepted",
                         details={"max_bytes": max_bytes, "received_bytes": size})
        self.size = size
        self.sample = sample


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    http_status = 422


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, Any]


class ErrorOut(BaseModel):
    """The body of every error answer (documented in the OpenAPI document)."""

    error: ErrorDetail


def error_response(status: int, code: str, message: str, details: Mapping[str, Any] | None = None,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": dict(details or {})}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def field_path(loc: Iterable[Any]) -> str:
    """('lines', 0, 'quantity') -> 'lines[0].quantity', the form the services use too."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def describe_errors(errors: Sequence[Mapping[str, Any]], *, place: str | None = None) -> list[dict]:
    """Pydantic errors as field path + message, without echoing the (possibly huge) input."""
    described = []
    for err in errors:
        loc = list(err.get("loc", ()))
        where = loc.pop(0) if loc and loc[0] in PLACES else place
        described.append({"in": where, "field": field_path(loc) or "(whole body)",
                          "message": err.get("msg", ""), "type": err.get("type", "")})
    return described


def validation_failed(errors: list[dict]) -> ValidationFailed:
    first = errors[0] if errors else {"field": "?", "message": "invalid"}
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return ValidationFailed(f"{first['field']}: {first['message']}{more}", details={"errors": errors})


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(HTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unexpected)


async def _on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return await _answer(request, exc, lambda: error_response(exc.http_status, exc.code, exc.message,
                                                              exc.details))


async def _on_request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        # FastAPI parsed a body itself (console forms); same answer as our own parser gives.
        return await _answer(request, exc, lambda: error_response(
            400, MalformedJson.code, "the body is not valid JSON", {}))
    refusal = validation_failed(describe_errors(errors))
    return await _answer(request, exc, lambda: error_response(
        refusal.http_status, refusal.code, refusal.message, refusal.details))


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if isinstance(exc.__cause__, DomainError):
        # FastAPI turns anything raised while it reads a body (our size limit) into a bare 400.
        return await _on_domain_error(request, exc.__cause__)
    code, message = _http_code(request, exc)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request)) or headers.get("Allow", "")
    return await _answer(request, exc, lambda: error_response(exc.status_code, code, message, {},
                                                              headers=headers))


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    # The reference lets ops find the traceback in the log; the caller learns nothing internal.
    reference = uuid.uuid4().hex[:12]
    logger.error("unexpected error %s on %s %s", reference, request.method, request.url.path,
                 exc_info=exc)
    return await _answer(request, exc, lambda: error_response(
        500, "internal_error", "something went wrong on our side; it has been logged",
        {"reference": reference}))


def _http_code(request: Request, exc: HTTPException) -> tuple[str, str]:
    if exc.status_code == 404:
        return "not_found", f"nothing at {request.method} {request.url.path}"
    if exc.status_code == 405:
        return "method_not_allowed", f"{request.method} is not allowed on {request.url.path}"
    return f"http_{exc.status_code}", str(exc.detail)


def is_json_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in JSON_PATHS)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path (Starlette names only the first route's)."""
    scope = {**request.scope, "method": "\x00"}  # no route takes it: each path match is PARTIAL
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.methods and route.matches(scope)[0] != Match.NONE:
            methods |= set(route.methods)
    return sorted(methods)


async def _answer(request: Request, exc: Exception, as_json: Callable[[], Response]) -> Response:
    """JSON for the API; the console's own page for everything else, when it has one."""
    renderer = getattr(request.app.state, "html_error_renderer", None)
    if renderer is None or is_json_path(request.url.path):
        return as_json()
    rendered = renderer(request, exc)
    return await rendered if inspect.isawaitable(rendered) else rendered
