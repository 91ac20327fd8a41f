"""Who is looking at a console page, and the login cookie that says so."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from orderhub.alerts.notifiers import inapp
from orderhub.api.deps import SESSION_COOKIE
from orderhub.core import auth
from orderhub.core.actor import Actor
from orderhub.core.errors import AuthenticationFailed
from orderhub.orders.present import MASKED_ROLES

HOME = "/orders"


@dataclass(frozen=True)
class Viewer:
    """The logged-in user as the layout needs them: name, role, and the CSRF token for forms."""

    actor: Actor
    display_name: str
    csrf_token: str
    unread: int = 0  # in-app inbox messages not yet read, for the header badge (capped)

    @property
    def role(self) -> str:
        return self.actor.role or ""

    @property
    def masked(self) -> bool:
        """Roles that see receiver phone and address masked (PIPL, SPEC §14)."""
        return self.role in MASKED_ROLES

    def can(self, permission: str) -> bool:
        return auth.can(self.role, permission)


def viewer_for(session: Session, request: Request, permission: str) -> Viewer:
    """Console pages use the session cookie only; API keys are for the REST API."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise AuthenticationFailed("log in to use the console")
    user_session, user = auth.resume_session(session, token)
    actor = auth.actor_for_user(user)
    auth.require(actor, permission)
    return Viewer(actor=actor, display_name=user.display_name or user.username,
                  csrf_token=user_session.csrf_token,
                  unread=inapp.unread_count(session, user_id=user.id))


def safe_next(value: str | None) -> str:
    """Only a path on this site: '//evil.example' or 'https://…' would make an open redirect."""
    if not value:
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//") \
            or "\\" in value:
        return HOME
    return value


def login_url(next_path: str | None) -> str:
    return f"/login?next={quote(safe_next(next_path), safe='/')}"


def set_session_cookie(response: Response, request: Request, token: str, hours: int) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=hours * 3600, path="/", httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
