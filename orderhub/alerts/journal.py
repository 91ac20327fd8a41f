"""The alert log: one row per thing that happened to an alert (see models.AlertLog)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from orderhub.alerts.models import AlertLog
from orderhub.core import clock


def record(session: Session, alert_id: int, action: str, *, actor: str = "system",
           **details: Any) -> AlertLog:
    entry = AlertLog(alert_id=alert_id, at=clock.now(), action=action, actor=actor,
                     details={k: v for k, v in details.items() if v is not None})
    session.add(entry)
    return entry
