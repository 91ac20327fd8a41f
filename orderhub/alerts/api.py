"""/api/v1 routes of alerts: the list, one alert with its deliveries and log, acknowledging,
the performance review (JSON or CSV) and the escalation policy."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import Depends, Path, Query
from fastapi.responses import JSONResponse, Response

from orderhub.alerts import escalation, performance, present, queries, service
from orderhub.alerts.escalation import Policy
from orderhub.alerts.schemas import AcknowledgeIn
from orderhub.api.deps import requires
from orderhub.api.idempotency import Reply
from orderhub.api.openapi import WRITE_RESPONSES, api_router, json_body
from orderhub.api.writes import Write, writer
from orderhub.core import clock
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work

router = api_router("/alerts", tags=["alerts"])
routers = (router,)

AlertId = Annotated[int, Path(ge=1)]
Reader = Annotated[Actor, Depends(requires("alerts.read"))]


@router.get("")
def list_alerts(actor: Reader,
                status: Annotated[Literal["open", "acknowledged", "resolved"] | None, Query()] = None,
                person_id: Annotated[int | None, Query(ge=1)] = None,
                before: Annotated[int | None, Query(ge=1)] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 50) -> JSONResponse:
    """Alerts, newest first; `person_id` also finds alerts reassigned to that person."""
    with unit_of_work() as session:
        rows = queries.list_alerts(session, status=status, person_id=person_id, limit=limit,
                                   before_id=before)
        return JSONResponse({"items": [present.alert_dict(a) for a in rows]})


@router.get("/performance", responses={200: {"content": {"text/csv": {}}}})
def performance_report(actor: Reader,
                       start: Annotated[datetime | None, Query(alias="from")] = None,
                       end: Annotated[datetime | None, Query(alias="to")] = None,
                       format: Literal["json", "csv"] = "json") -> Response:
    """Per person and team over [from, to) (default the last 30 days): alerts received,
    acknowledged, median seconds to acknowledge, SLA breaches, reassignments."""
    end = end or clock.now()
    start = start or end - timedelta(days=30)
    with unit_of_work() as session:
        rows = performance.report(session, start=start, end=end)
    if format == "csv":
        return Response(performance.to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="alert-performance.csv"'})
    return JSONResponse({"from": start.isoformat(), "to": end.isoformat(),
                         "items": [r.as_dict() for r in rows]})


@router.get("/escalation-policy")
def get_policy(actor: Reader) -> JSONResponse:
    with unit_of_work() as session:
        return JSONResponse(escalation.load_policy(session).model_dump(mode="json"))


@router.put("/escalation-policy", openapi_extra=json_body(Policy), responses=WRITE_RESPONSES)
def put_policy(write: Annotated[Write, Depends(writer("alerts.manage"))]) -> JSONResponse:
    """Replace the whole policy: steps (after_minutes, to, channels, reassign_to_backup),
    top_step per severity, the fall-through order, quiet hours, recipients by kind."""
    with unit_of_work() as session:
        def run() -> Reply:
            policy = escalation.save_policy(session, actor=write.actor, data=write.body.document)
            return Reply(200, policy.model_dump(mode="json"))
        return write.answer(session, run)


@router.get("/{alert_id}")
def alert_detail(alert_id: AlertId, actor: Reader) -> JSONResponse:
    """The alert, every message sent for it, and its full log."""
    with unit_of_work() as session:
        alert = service.get_alert(session, alert_id)
        return JSONResponse(present.detail_dict(alert, queries.deliveries_of(session, alert_id),
                                                queries.log_of(session, alert_id)))


@router.post("/{alert_id}/acknowledge", openapi_extra=json_body(AcknowledgeIn),
             responses=WRITE_RESPONSES)
def acknowledge(alert_id: AlertId,
                write: Annotated[Write, Depends(writer("alerts.acknowledge"))]) -> JSONResponse:
    """Stop the escalation: 409 `alert_not_open` if it was acknowledged or resolved already."""
    body = write.parse(AcknowledgeIn)
    with unit_of_work() as session:
        def run() -> Reply:
            alert = service.acknowledge(session, alert_id=alert_id, actor=write.actor, via="api",
                                        note=body.note)
            return Reply(200, present.alert_dict(alert))
        return write.answer(session, run)
