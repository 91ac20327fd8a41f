"""Logging in and out, and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from orderhub.api.deps import SESSION_COOKIE, identify
from orderhub.core import auth
from orderhub.core.db import unit_of_work
from orderhub.core.errors import AuthenticationFailed
from orderhub.core.settings import get_settings
from orderhub.web.access import HOME, clear_session_cookie, safe_next, set_session_cookie
from orderhub.web.errors import ConsoleRoute
from orderhub.web.i18n import LANG_COOKIE, LOCALES
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
FormText = Annotated[str, Form()]
# "next" is the usual name in login URLs; the Python name avoids shadowing the builtin.
NextQuery = Annotated[str, Query(alias="next")]
NextForm = Annotated[str, Form(alias="next")]


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse(HOME, status_code=303)


@router.get("/login")
def login_page(request: Request, next_path: NextQuery = "") -> HTMLResponse:
    return render(request, "login.html", viewer=None, next=safe_next(next_path), username="",
                  failed=False)


@router.post("/login")
def login(request: Request, username: FormText = "", password: FormText = "",
          next_path: NextForm = "") -> Response:
    hours = get_settings().session_hours
    try:
        with unit_of_work() as session:
            user = auth.check_password(session, username=username, password=password)
            _, token = auth.start_session(session, user=user, hours=hours)
    except AuthenticationFailed:
        # One message for a wrong name and a wrong password: no account enumeration.
        return render(request, "login.html", viewer=None, status=401, next=safe_next(next_path),
                      username=username[:80], failed=True)
    response = RedirectResponse(safe_next(next_path), status_code=303)
    set_session_cookie(response, request, token, hours)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: FormText = "") -> RedirectResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with unit_of_work() as session:
            identify(session, request, form_csrf=csrf_token)  # a forged logout is refused
            auth.end_session(session, token)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/lang/{locale}")
def switch_language(locale: str, next_path: NextQuery = "") -> RedirectResponse:
    response = RedirectResponse(safe_next(next_path), status_code=303)
    if locale in LOCALES:
        response.set_cookie(LANG_COOKIE, locale, max_age=365 * 24 * 3600, path="/",
                            httponly=True, samesite="lax")
    return response
