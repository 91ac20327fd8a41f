"""Opaque keyset cursors for lists ordered by id (dead letters, quarantine).

Orders have their own in orderhub.orders.queries. The kind prefix stops a cursor from one list
being replayed against another.
"""

from __future__ import annotations

import base64
import binascii

from orderhub.core.errors import InvalidInput


def encode(kind: str, last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{last_id}".encode()).decode().rstrip("=")


def decode(kind: str, cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found, value = raw.split(":", 1)
        if found != kind:
            raise ValueError(found)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("the cursor is not one this list gave out",
                           details={"cursor": cursor}) from None


def next_cursor(kind: str, ids: list[int], *, limit: int) -> str | None:
    """Lists fetch limit + 1 rows: the extra one only says that another page exists."""
    return encode(kind, ids[limit - 1]) if len(ids) > limit else None
