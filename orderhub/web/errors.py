"""Errors as a person sees them in the console: a login redirect, a friendly page, or a message.

`render_error` is also installed as `app.state.html_error_renderer`, which the application's
exception handler calls for every path outside /api, so errors look the same wherever they start.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from orderhub.core.errors import DomainError, IllegalTransition, PermissionDenied
from orderhub.web.access import clear_session_cookie, login_url
from orderhub.web.i18n import MESSAGES, Translator, pick_locale
from orderhub.web.render import render

log = logging.getLogger("orderhub.web")
KNOWN_STATUSES = (400, 401, 403, 404, 405, 409, 413, 422, 500)


def status_of(exc: BaseException) -> int:
    if isinstance(exc, DomainError):
        return exc.http_status
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code
    if isinstance(exc, RequestValidationError):
        return 422
    return 500


def describe(exc: BaseException, t: Translator) -> str:
    """One sentence for the user, in their language where we know the error."""
    if isinstance(exc, PermissionDenied):
        if "header" in exc.details:  # raised by deps.identify for a missing/stale CSRF token
            return t("error.csrf")
        return t("error.forbidden", role=t.of("role", exc.details.get("role")))
    if isinstance(exc, IllegalTransition):
        return t("error.illegal_transition", from_status=t.of("status", exc.details.get("from")),
                 to_status=t.of("status", exc.details.get("to")))
    if isinstance(exc, DomainError):
        key = f"error.{exc.code}"
        if key in MESSAGES:
            return t(key, **{k: str(v) for k, v in exc.details.items()})
        return exc.message  # InvalidInput and friends already say what is wrong with the input
    status = status_of(exc)
    if status >= 500:
        return t("error.server")
    return t("error.not_found") if status == 404 else ""  # the title says it all


def render_error(request: Request, exc: BaseException) -> Response:
    status = status_of(exc)
    if status == 401:
        return _to_login(request)
    if status >= 500:
        log.error("console error on %s %s", request.method, request.url.path, exc_info=exc)
    t = Translator(pick_locale(request))
    title = t(f"error.status.{status}") if status in KNOWN_STATUSES else t("error.title")
    # HTMX swaps error responses into the element it targeted (see htmx-config in base.html).
    template = "_error_box.html" if request.headers.get("HX-Request") == "true" else "error.html"
    return render(request, template, viewer=None, status=status, status_code=status, title=title,
                  message=describe(exc, t))


def _to_login(request: Request) -> Response:
    if request.method == "GET":
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:  # after login, return to the page the form was on rather than re-posting it
        back = urlsplit(request.headers.get("referer", "")).path or None
    target = login_url(back)
    if request.headers.get("HX-Request") == "true":
        # A redirect would be followed inside the XHR and paint the login form into the table.
        response: Response = Response(status_code=204, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    clear_session_cookie(response)
    return response


class ConsoleRoute(APIRoute):
    """Console routes render their own errors, whatever exception handlers the app has."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except (DomainError, StarletteHTTPException, RequestValidationError) as exc:
                # FastAPI wraps errors raised while reading a form (our body limit) in a bare 400.
                cause = exc.__cause__
                return render_error(request, cause if isinstance(cause, DomainError) else exc)

        return guarded
