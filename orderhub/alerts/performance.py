"""How people and teams handled their alerts over a period, for the performance review.

Per person (the alert's assignee) and per team: alerts received, acknowledged by a person
(console, link or API — not closed by the cause going away), the median time to acknowledge,
SLA breaches, and alerts whose task was moved to the backup for want of an answer.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.alerts.models import Alert
from orderhub.core.errors import InvalidInput
from orderhub.sla import people

PERSON_ACK = ("console", "link", "api")
COLUMNS = ("scope", "id", "name", "received", "acknowledged", "median_ack_seconds", "breaches",
           "reassignments")


@dataclass
class Row:
    scope: str  # person | team
    id: int | None
    name: str
    received: int = 0
    acknowledged: int = 0
    breaches: int = 0
    reassignments: int = 0
    ack_seconds: list[float] = field(default_factory=list)

    @property
    def median_ack_seconds(self) -> float | None:
        return round(statistics.median(self.ack_seconds), 1) if self.ack_seconds else None

    def as_dict(self) -> dict[str, object]:
        return {"scope": self.scope, "id": self.id, "name": self.name, "received": self.received,
                "acknowledged": self.acknowledged, "median_ack_seconds": self.median_ack_seconds,
                "breaches": self.breaches, "reassignments": self.reassignments}


def report(session: Session, *, start: datetime, end: datetime) -> list[Row]:
    """People first, then teams, each by name; alerts raised in [start, end)."""
    if end <= start:
        raise InvalidInput("the period ends after it starts",
                           details={"from": start.isoformat(), "to": end.isoformat()})
    names = {p.id: p.name for p in people.all_people(session)}
    teams = {t.id: t.name for t in people.all_teams(session)}
    rows: dict[tuple[str, int | None], Row] = {}

    def row(scope: str, key: int | None) -> Row:
        label = (names if scope == "person" else teams).get(key) if key is not None else None
        return rows.setdefault((scope, key), Row(scope=scope, id=key,
                                                 name=label or ("（未分配）" if key is None
                                                                else f"#{key}")))

    alerts = session.execute(select(Alert.person_id, Alert.team_id, Alert.kind, Alert.ack_via,
                                    Alert.created_at, Alert.acknowledged_at, Alert.reassigned_to)
                             .where(Alert.created_at >= start, Alert.created_at < end)).all()
    for a in alerts:
        for target in (row("person", a.person_id), row("team", a.team_id)):
            _count(target, a)
    return sorted(rows.values(), key=lambda r: (r.scope != "person", r.id is None, r.name))


def _count(target: Row, alert) -> None:
    target.received += 1
    if alert.ack_via in PERSON_ACK and alert.acknowledged_at is not None:
        target.acknowledged += 1
        target.ack_seconds.append((alert.acknowledged_at - alert.created_at).total_seconds())
    if alert.kind == "sla_breach":
        target.breaches += 1
    if alert.reassigned_to is not None:
        target.reassignments += 1


def to_csv(rows: list[Row]) -> str:
    """UTF-8 with a BOM, so Excel opens the Chinese names correctly."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for r in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in r.as_dict().items()})
    return out.getvalue()
