"""Request plumbing shared by the REST API and the console: who is calling, and may they."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from sqlalchemy.orm import Session

from orderhub.core import auth
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.errors import AuthenticationFailed, PermissionDenied

SESSION_COOKIE = "orderhub_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def identify(session: Session, request: Request, *, form_csrf: str | None = None) -> Actor:
    """Bearer API key, or console session cookie (then unsafe methods need the CSRF token)."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthenticationFailed("use 'Authorization: Bearer <api key>'")
        return auth.actor_for_api_key(session, secret.strip())
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise AuthenticationFailed("log in or send an API key")
    user_session, user = auth.resume_session(session, token)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or form_csrf
        if sent != user_session.csrf_token:
            raise PermissionDenied("missing or wrong CSRF token", details={"header": CSRF_HEADER})
    return auth.actor_for_user(user)


def authorize(request: Request, permission: str, *, form_csrf: str | None = None) -> Actor:
    """Authenticate and check one permission in a short transaction of its own."""
    with unit_of_work() as session:
        actor = identify(session, request, form_csrf=form_csrf)
    auth.require(actor, permission)
    return actor


def requires(permission: str) -> Callable[[Request], Actor]:
    """FastAPI dependency: `actor: Actor = Depends(requires("orders.read"))`."""

    def dependency(request: Request) -> Actor:
        return authorize(request, permission)

    dependency.__name__ = f"requires_{permission.replace('.', '_')}"
    return dependency


def authenticated(request: Request) -> Actor:
    """FastAPI dependency for what any logged-in role may do (e.g. look at who they are)."""
    with unit_of_work() as session:
        return identify(session, request)
