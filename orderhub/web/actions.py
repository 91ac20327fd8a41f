"""Running one console form action: its use case in one transaction, then back to the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from orderhub.core.db import unit_of_work
from orderhub.core.errors import AuthenticationFailed, DomainError, PermissionDenied
from orderhub.web import flash
from orderhub.web.errors import describe
from orderhub.web.i18n import Translator, pick_locale


def run_action(request: Request, *, back: str, done: str, use_case: Callable[[Session], Any],
               **done_params: object) -> RedirectResponse:
    """POST-redirect-GET: success and refusals (an illegal transition…) both come back as a
    message on `back`; who-are-you and may-you errors still go to the login or error page."""
    t = Translator(pick_locale(request))
    try:
        with unit_of_work() as session:
            use_case(session)
    except (AuthenticationFailed, PermissionDenied):
        raise
    except DomainError as exc:
        return flash.redirect(back, "error", describe(exc, t))
    return flash.redirect(back, "ok", t(done, **done_params))
