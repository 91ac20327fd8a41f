"""One-shot messages carried across a POST-redirect-GET in a short-lived cookie.

The cookie holds already-translated text. It is not signed: it is only ever shown escaped in a
message box on the user's own next page, so a forged one can do no more than show odd text.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

FLASH_COOKIE = "orderhub_flash"
MAX_TEXT = 400  # cookies are small; a domain error message fits easily


@dataclass(frozen=True)
class Flash:
    level: str  # "ok" | "error"
    text: str


def redirect(url: str, level: str, text: str) -> RedirectResponse:
    """303 so the browser follows with a GET and a reload does not repeat the action."""
    response = RedirectResponse(url, status_code=303)
    raw = json.dumps({"level": level, "text": text[:MAX_TEXT]}, ensure_ascii=False)
    response.set_cookie(FLASH_COOKIE, base64.urlsafe_b64encode(raw.encode()).decode(),
                        max_age=60, path="/", httponly=True, samesite="lax")
    return response


def read(request: Request) -> Flash | None:
    value = request.cookies.get(FLASH_COOKIE)
    if not value:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(value.encode()))
        level, text = data["level"], data["text"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    return Flash(level="ok" if level == "ok" else "error", text=str(text)[:MAX_TEXT])


def clear(response: Response) -> None:
    response.delete_cookie(FLASH_COOKIE, path="/", httponly=True, samesite="lax")
