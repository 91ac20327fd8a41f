"""The ops queue: dead-lettered events to retry, and quarantined input to look at."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.responses import JSONResponse

from orderhub.api import cursors
from orderhub.api.deps import requires
from orderhub.api.idempotency import Reply
from orderhub.api.openapi import WRITE_RESPONSES, api_router, json_body
from orderhub.api.writes import Write, writer
from orderhub.channels.reprocess import reprocess
from orderhub.channels.schemas import ReprocessIn
from orderhub.core import deadletters, quarantine
from orderhub.core.actor import Actor
from orderhub.core.db import get_engine, unit_of_work
from orderhub.core.models import OutboxEvent, QuarantinedInput
from orderhub.orders.present import event_dict

router = api_router("", tags=["ops"])

Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=200)]
PREVIEW_CHARS = 500  # a list of 64 KiB payloads would be megabytes; the full text is one GET away


@router.get("/dead-letters")
def list_dead_letters(_: Annotated[Actor, Depends(requires("outbox.manage"))],
                      limit: Limit = 50, cursor: Cursor = None) -> JSONResponse:
    """Events whose handlers failed every try, oldest first."""
    with unit_of_work() as session:
        events = deadletters.list_dead_letters(session, after_id=cursors.decode("d", cursor),
                                               limit=limit + 1)
        return JSONResponse({"items": [_dead_letter(e) for e in events[:limit]],
                             "next_cursor": cursors.next_cursor("d", [e.id for e in events],
                                                                limit=limit)})


@router.post("/dead-letters/{event_id}/retry", responses=WRITE_RESPONSES)
def retry_dead_letter(event_id: int,
                      write: Annotated[Write, Depends(writer("outbox.manage"))]) -> JSONResponse:
    """Queue a dead event again with a fresh set of tries (409 if it is not dead)."""
    with unit_of_work() as session:
        def retry() -> Reply:
            event = deadletters.retry_dead_letter(session, event_id=event_id, actor=write.actor)
            return Reply(200, _dead_letter(event))
        return write.answer(session, retry)


@router.get("/quarantine")
def list_quarantine(_: Annotated[Actor, Depends(requires("outbox.manage"))],
                    limit: Limit = 50, cursor: Cursor = None) -> JSONResponse:
    """Refused input, newest first, with the first characters of what was sent."""
    with unit_of_work() as session:
        rows = quarantine.list_quarantined(session, before_id=cursors.decode("q", cursor),
                                           limit=limit + 1)
        return JSONResponse({"items": [_quarantined(r, preview=True) for r in rows[:limit]],
                             "next_cursor": cursors.next_cursor("q", [r.id for r in rows],
                                                                limit=limit)})


@router.get("/quarantine/{quarantine_id}")
def get_quarantined(quarantine_id: int,
                    _: Annotated[Actor, Depends(requires("outbox.manage"))]) -> JSONResponse:
    """One refused input with everything that was kept of it."""
    with unit_of_work() as session:
        return JSONResponse(_quarantined(quarantine.get_quarantined(session, quarantine_id),
                                         preview=False))


@router.post("/quarantine/{quarantine_id}/reprocess", openapi_extra=json_body(ReprocessIn),
             responses=WRITE_RESPONSES)
def reprocess_quarantined(quarantine_id: int,
                          write: Annotated[Write, Depends(writer("outbox.manage"))]) -> JSONResponse:
    """Send kept input through intake again: as kept (the mapping was fixed) or with `raw`, the
    corrected payload. The row is marked resolved with the order it made."""
    body = write.parse(ReprocessIn)
    order = reprocess(get_engine(), quarantine_id=quarantine_id, actor=write.actor,
                      raw_text=body.raw)
    with unit_of_work() as session:
        return write.answer(session, lambda: Reply(200, {"quarantine_id": quarantine_id,
                                                         "order_no": order.order_no,
                                                         "status": order.status}))


def _dead_letter(event: OutboxEvent) -> dict[str, Any]:
    return event_dict(event) | {"attempts": event.attempts, "last_error": event.last_error,
                                "aggregate_type": event.aggregate_type,
                                "aggregate_id": event.aggregate_id}


def _quarantined(row: QuarantinedInput, *, preview: bool) -> dict[str, Any]:
    raw = row.raw[:PREVIEW_CHARS] if preview else row.raw
    return {"id": row.id, "received_at": row.received_at.isoformat(), "source": row.source,
            "reason_code": row.reason_code, "reason": row.reason,
            "content_type": row.content_type, "size_bytes": row.size_bytes,
            "raw_encoding": row.raw_encoding, "truncated": row.truncated,
            "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
            "raw_preview" if preview else "raw": raw}
