"""Quarantine: input we refused, kept verbatim (up to a limit) so a person can see what was sent.

The row is written in a transaction of its own by whoever refused the input, after the refused
use case has rolled back: quarantining must never keep a half-applied change alive.
"""

from __future__ import annotations

import base64
import codecs

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.core.errors import NotFound
from orderhub.core.models import QuarantinedInput

# Enough to see what went wrong with any real payload; a 2 MB upload must not cost 2 MB a row.
MAX_STORED_BYTES = 64 * 1024


def quarantine(session: Session, *, source: str, reason_code: str, reason: str, raw: bytes,
               content_type: str | None, size_bytes: int | None = None) -> QuarantinedInput:
    """Keep `raw` for a person to look at. `size_bytes` is the size of the whole input when
    `raw` is only its beginning (a body refused as too large is not read to the end)."""
    size = len(raw) if size_bytes is None else max(size_bytes, len(raw))
    kept = raw[:MAX_STORED_BYTES]
    truncated = size > len(kept)
    text, encoding = _storable(kept, cut=truncated)
    row = QuarantinedInput(received_at=clock.now(), source=_plain(source)[:120],
                           reason_code=_plain(reason_code)[:60], reason=_plain(reason),
                           content_type=_plain(content_type)[:200] if content_type else None,
                           size_bytes=size, raw=text, raw_encoding=encoding, truncated=truncated)
    session.add(row)
    session.flush()
    return row


def list_quarantined(session: Session, *, before_id: int | None = None,
                     limit: int = 50) -> list[QuarantinedInput]:
    """Newest first; pass the last id seen as before_id for the next page."""
    stmt = select(QuarantinedInput).order_by(QuarantinedInput.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(QuarantinedInput.id < before_id)
    return list(session.scalars(stmt))


def get_quarantined(session: Session, quarantine_id: int) -> QuarantinedInput:
    row = session.get(QuarantinedInput, quarantine_id)
    if row is None:
        raise NotFound(f"no quarantined input {quarantine_id}",
                       details={"quarantine_id": quarantine_id})
    return row


def _storable(kept: bytes, *, cut: bool) -> tuple[str, str]:
    """UTF-8 text when the bytes are text a database can hold, else base64.

    A NUL byte is valid UTF-8 but PostgreSQL text cannot store it, so it goes base64 too. When we
    cut the input ourselves, a character split by the cut is dropped rather than called invalid.
    """
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(kept, final=not cut)
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        return base64.b64encode(kept).decode("ascii"), "base64"
    return text, "utf-8"


def _plain(value: str) -> str:
    # Reasons quote the refused input; keep them storable on PostgreSQL whatever it contained.
    return value.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
