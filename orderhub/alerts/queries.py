"""Reading alerts: the list (newest first, by status or person), one alert's deliveries and log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.alerts.models import STATUSES, Alert, AlertDelivery, AlertLog
from orderhub.core.errors import InvalidInput


def list_alerts(session: Session, *, status: str | None = None, person_id: int | None = None,
                limit: int = 50, before_id: int | None = None) -> list[Alert]:
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r}", details={"allowed": list(STATUSES)})
    stmt = select(Alert).order_by(Alert.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(Alert.status == status)
    if person_id is not None:
        stmt = stmt.where((Alert.person_id == person_id) | (Alert.reassigned_to == person_id))
    if before_id is not None:
        stmt = stmt.where(Alert.id < before_id)
    return list(session.scalars(stmt))


def deliveries_of(session: Session, alert_id: int) -> list[AlertDelivery]:
    return list(session.scalars(select(AlertDelivery).where(AlertDelivery.alert_id == alert_id)
                                .order_by(AlertDelivery.id)))


def log_of(session: Session, alert_id: int) -> list[AlertLog]:
    return list(session.scalars(select(AlertLog).where(AlertLog.alert_id == alert_id)
                                .order_by(AlertLog.id)))
