"""Turning a template and its data into an HTML response: filters, wording, security headers."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from orderhub import __version__
from orderhub.core.money import to_major
from orderhub.core.settings import get_settings
from orderhub.web import flash
from orderhub.web.access import Viewer
from orderhub.web.i18n import LANGUAGE_NAMES, LOCALES, Translator, pick_locale

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
CURRENCY_SYMBOLS = {"CNY": "¥"}

# Console pages carry personal data (receiver phone, address): never cached, never framed, and
# scripts and styles only from our own static folder (HTMX is vendored, see static/VENDORED.md).
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; "
                                "base-uri 'self'"),
    # Full pages and table fragments share URLs: caches must keep them apart.
    "Vary": "HX-Request, HX-Target, Cookie",
}


def local_time(value: datetime | None) -> str:
    """UTC from the database -> '2026-11-23 10:02' in the seller's zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M")


def money(minor: int | None, currency: str) -> str:
    if minor is None:
        return ""
    amount = to_major(minor, currency)
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def compact(value: Any) -> str:
    """A before/after value from the audit log, short enough for a table cell."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "…"


def _static_url(name: str) -> str:
    # The version busts browser caches after an upgrade.
    return f"/static/{name}?v={__version__}"


_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.filters.update(local_time=local_time, money=money, compact=compact)
_env.globals.update(static=_static_url, LOCALES=LOCALES, LANGUAGE_NAMES=LANGUAGE_NAMES)


def is_fragment_request(request: Request, target: str) -> bool:
    """An HTMX request that only wants the element `target` re-rendered."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-Target") == target
            and request.headers.get("HX-History-Restore-Request") != "true")


def render(request: Request, template: str, *, viewer: Viewer | None, status: int = 200,
           **context: Any) -> HTMLResponse:
    """Render now (callers do it inside their unit of work, while lazy rows can still load)."""
    # A flash belongs to the next full page; an HTMX fragment would swallow it unseen.
    shown = None if request.headers.get("HX-Request") == "true" else flash.read(request)
    locale = pick_locale(request)
    html = _env.get_template(template).render(
        request=request, viewer=viewer, t=Translator(locale), locale=locale, flash=shown,
        here=_here(request), **context)
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    if shown is not None:
        flash.clear(response)
    return response


def _here(request: Request) -> str:
    """This page's path and query, for 'come back here' links (language switch, login)."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")
