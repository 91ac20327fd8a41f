"""Idempotency keys on writes: a POST re-sent with the same `Idempotency-Key` gets the first
answer again instead of acting twice (a shop system retrying after a timeout, a double tap).

The key is claimed in the same transaction as the use case, before it runs: the answer is stored
only if the use case commits, and a concurrent duplicate waits on the unique index, then fails.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orderhub.api.errors import IdempotencyConflict, IdempotencyKeyReused
from orderhub.core import clock
from orderhub.core.actor import Actor
from orderhub.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_IN_PROGRESS = 102  # the claimed row's status until the use case answers (never committed)


@dataclass(frozen=True)
class Reply:
    """What a write answers: the status and the JSON body (stored as is for replays)."""

    status: int
    body: dict[str, Any]


def principal(actor: Actor) -> str:
    """Keys are per caller: two shops' systems may both send key "1"."""
    return f"{actor.kind}:{actor.id}"


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def answer_once(session: Session, *, actor: Actor, key: str | None, request_hash: str,
                run: Callable[[], Reply]) -> JSONResponse:
    """Run the use case once per (caller, key); replay its stored answer on a repeat."""
    if key is None:
        return _render(run())
    who = principal(actor)
    stored = _stored(session, who, key)
    if stored is not None:
        return _replay(stored, key, request_hash)
    record = _claim(session, who, key, request_hash)
    reply = run()
    record.status_code, record.response = reply.status, reply.body
    return _render(reply)


def _stored(session: Session, who: str, key: str) -> IdempotencyRecord | None:
    stmt = select(IdempotencyRecord).where(IdempotencyRecord.principal == who,
                                           IdempotencyRecord.key == key)
    return session.scalar(stmt)


def _replay(stored: IdempotencyRecord, key: str, request_hash: str) -> JSONResponse:
    if stored.request_hash != request_hash:
        raise IdempotencyKeyReused(
            f"the Idempotency-Key {key!r} was used for a different request",
            details={"idempotency_key": key, "first_used_at": stored.created_at.isoformat()})
    return JSONResponse(stored.response, status_code=stored.status_code,
                        headers={REPLAYED_HEADER: "true"})


def _claim(session: Session, who: str, key: str, request_hash: str) -> IdempotencyRecord:
    record = IdempotencyRecord(principal=who, key=key, request_hash=request_hash,
                               status_code=_IN_PROGRESS, response={}, created_at=clock.now())
    try:
        with session.begin_nested():  # only our insert is undone if the key is taken
            session.add(record)
    except IntegrityError:
        raise IdempotencyConflict(
            f"a request with the Idempotency-Key {key!r} is being processed; retry shortly",
            details={"idempotency_key": key}) from None
    return record


def _render(reply: Reply) -> JSONResponse:
    return JSONResponse(reply.body, status_code=reply.status)
