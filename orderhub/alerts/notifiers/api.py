"""/api/v1/notifiers (channel settings, test messages) and /api/v1/inbox (the caller's in-app
messages). Settings answers never contain a secret, only whether each one is set."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query
from fastapi.responses import JSONResponse

from orderhub.alerts.notifiers import inapp, service, settings
from orderhub.alerts.notifiers.models import InboxMessage
from orderhub.alerts.notifiers.schemas import Empty, NotifierPatch, TestMessageIn
from orderhub.api.deps import requires
from orderhub.api.idempotency import Reply
from orderhub.api.openapi import WRITE_RESPONSES, api_router, json_body
from orderhub.api.writes import Write, writer
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput

notifiers_router = api_router("/notifiers", tags=["notifiers"])
inbox_router = api_router("/inbox", tags=["inbox"])
routers = (notifiers_router, inbox_router)

Channel = Annotated[str, Path(max_length=20, description="inapp | wecom | dingtalk | sms | email")]
MANAGE = "notifiers.manage"
INBOX = "inbox.read"  # every role: each caller sees only their own messages


@notifiers_router.get("")
def list_notifiers(actor: Annotated[Actor, Depends(requires(MANAGE))]) -> JSONResponse:
    """Every channel's settings (secrets only as set / not set)."""
    with unit_of_work() as session:
        return JSONResponse({"items": [s.public() for s in settings.load_all(session)]})


@notifiers_router.get("/{channel}")
def get_notifier(channel: Channel, actor: Annotated[Actor, Depends(requires(MANAGE))]) -> JSONResponse:
    with unit_of_work() as session:
        return JSONResponse(settings.load(session, channel).public())


@notifiers_router.patch("/{channel}", openapi_extra=json_body(NotifierPatch),
                        responses=WRITE_RESPONSES)
def configure_notifier(channel: Channel,
                       write: Annotated[Write, Depends(writer(MANAGE))]) -> JSONResponse:
    """Switch a channel on or off and change its settings or secrets."""
    body = write.parse(NotifierPatch)
    with unit_of_work() as session:
        def run() -> Reply:
            stored = settings.configure(session, channel=channel, actor=write.actor,
                                        enabled=body.enabled, config=body.config,
                                        secrets=body.secrets)
            return Reply(200, stored.public())
        return write.answer(session, run)


@notifiers_router.post("/{channel}/test", openapi_extra=json_body(TestMessageIn),
                       responses=WRITE_RESPONSES | {502: {"description": "The service refused"}})
def test_notifier(channel: Channel, write: Annotated[Write, Depends(writer(MANAGE))]) -> JSONResponse:
    """Send a test message now (even while the channel is off) and say what the service
    answered: 200 with its id, or 502 with its error."""
    body = write.parse(TestMessageIn)
    with unit_of_work() as session:
        def run() -> Reply:
            provider_id = service.send_test(
                session, channel=channel, actor=write.actor,
                to_user_id=write.actor.id if write.actor.kind == "user" else None,
                **body.model_dump())
            return Reply(200, {"channel": channel, "sent": True, "provider_id": provider_id})
        return write.answer(session, run)


def inbox_dict(row: InboxMessage) -> dict[str, Any]:
    return {"id": row.id, "alert_id": row.alert_id, "severity": row.severity, "title": row.title,
            "text": row.text, "created_at": row.created_at.isoformat(),
            "read_at": row.read_at.isoformat() if row.read_at else None,
            "alert_url": f"/alerts/{row.alert_id}" if row.alert_id else None}


def _user_id(actor: Actor) -> int:
    if actor.kind != "user" or actor.id is None:
        raise InvalidInput("the inbox belongs to console users; API keys have none",
                           details={"caller": actor.kind})
    return actor.id


@inbox_router.get("")
def list_inbox(actor: Annotated[Actor, Depends(requires(INBOX))],
               unread: Annotated[bool, Query(description="Only unread messages")] = False,
               before_id: Annotated[int | None, Query(ge=1)] = None,
               limit: Annotated[int, Query(ge=1, le=200)] = 50) -> JSONResponse:
    """The caller's messages, newest first; page on with before_id = the last id seen."""
    user_id = _user_id(actor)
    with unit_of_work() as session:
        rows = inapp.messages(session, user_id=user_id, unread_only=unread, before_id=before_id,
                              limit=limit)
        return JSONResponse({"items": [inbox_dict(r) for r in rows],
                             "unread": inapp.unread_count(session, user_id=user_id)})


@inbox_router.get("/unread-count")
def unread_count(actor: Annotated[Actor, Depends(requires(INBOX))]) -> JSONResponse:
    """Unread messages, counted up to 100."""
    user_id = _user_id(actor)
    with unit_of_work() as session:
        return JSONResponse({"unread": inapp.unread_count(session, user_id=user_id),
                             "cap": inapp.UNREAD_CAP})


@inbox_router.post("/{message_id}/read", openapi_extra=json_body(Empty), responses=WRITE_RESPONSES)
def mark_read(message_id: Annotated[int, Path(ge=1)],
              write: Annotated[Write, Depends(writer(INBOX))]) -> JSONResponse:
    """Mark one of the caller's messages read (reading twice is harmless)."""
    user_id = _user_id(write.actor)
    with unit_of_work() as session:
        def run() -> Reply:
            return Reply(200, inbox_dict(inapp.mark_read(session, user_id=user_id,
                                                         message_id=message_id)))
        return write.answer(session, run)


@inbox_router.post("/read-all", openapi_extra=json_body(Empty), responses=WRITE_RESPONSES)
def mark_all_read(write: Annotated[Write, Depends(writer(INBOX))]) -> JSONResponse:
    user_id = _user_id(write.actor)
    with unit_of_work() as session:
        return write.answer(session, lambda: Reply(200, {"marked": inapp.mark_all_read(
            session, user_id=user_id)}))
