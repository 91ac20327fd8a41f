"""People and teams who answer for SLA stages: shifts, backups, supervisors, and who gets an
order when it enters a stage (round robin or least loaded, among those on duty)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orderhub.core import audit
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput, NotFound
from orderhub.core.settings import get_settings
from orderhub.sla.models import OrderSla, Person, Team

STRATEGIES = ("round_robin", "least_loaded")


class PersonNotFound(NotFound):
    code = "person_not_found"


def get(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise PersonNotFound(f"no person {person_id}", details={"person_id": person_id})
    return person


def all_people(session: Session) -> list[Person]:
    return list(session.scalars(select(Person).order_by(Person.name, Person.id)))


def all_teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))


# --- shifts ---------------------------------------------------------------------------------


def parse_shift(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """{"days": [1..7], "start": "09:00", "end": "18:00"} (ISO weekdays, seller's zone), checked
    and normalised; None means always on duty. An end before the start is a night shift."""
    if not raw:
        return None
    try:
        days = sorted({int(d) for d in raw.get("days") or [1, 2, 3, 4, 5, 6, 7]})
        start = clock_time.fromisoformat(str(raw["start"]))
        end = clock_time.fromisoformat(str(raw["end"]))
    except (KeyError, TypeError, ValueError):
        raise InvalidInput('a shift is {"days": [1-7], "start": "HH:MM", "end": "HH:MM"}',
                           details={"shift": raw}) from None
    if not days or any(d < 1 or d > 7 for d in days):
        raise InvalidInput("shift days are 1 (Monday) to 7 (Sunday)", details={"shift": raw})
    return {"days": days, "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}


def on_duty(person: Person, at: datetime) -> bool:
    """Whether `person` works at `at` (their shift, read in the seller's zone)."""
    if not person.active:
        return False
    shift = person.shift
    if not shift:
        return True
    local = at.astimezone(ZoneInfo(get_settings().timezone))
    start = clock_time.fromisoformat(shift["start"])
    end = clock_time.fromisoformat(shift["end"])
    days = set(shift.get("days") or range(1, 8))
    now = local.time()
    if start < end:
        return local.isoweekday() in days and start <= now < end
    # A night shift belongs to the day it started on.
    if now >= start:
        return local.isoweekday() in days
    return now < end and (local - timedelta(days=1)).isoweekday() in days


# --- who answers for what -------------------------------------------------------------------


@dataclass(frozen=True)
class Chain:
    person: Person | None
    backup: Person | None
    supervisor: Person | None
    manager: Person | None


def responsible_chain(session: Session, person_id: int) -> Chain:
    person = get(session, person_id)
    team = session.get(Team, person.team_id) if person.team_id else None
    manager_id = team.manager_id if team is not None else None
    return Chain(person=person,
                 backup=session.get(Person, person.backup_id) if person.backup_id else None,
                 supervisor=session.get(Person, person.supervisor_id) if person.supervisor_id else None,
                 manager=session.get(Person, manager_id) if manager_id else None)


def team_for_stage(session: Session, stage: str) -> Team | None:
    """The team that owns `stage` (the first by id if several claim it)."""
    for team in session.scalars(select(Team).order_by(Team.id)):
        if stage in (team.stages or []):
            return team
    return None


def pick_assignee(session: Session, *, stage: str, at: datetime) -> tuple[int | None, int | None]:
    """(person_id, team_id) for an order entering `stage`: a team member on duty by the team's
    strategy; nobody on duty: the manager; no team: nobody."""
    team = team_for_stage(session, stage)
    if team is None:
        return None, None
    # Locks the team row so concurrent entries advance the round-robin cursor one at a time.
    session.refresh(team, with_for_update=True)
    members = list(session.scalars(select(Person).where(Person.team_id == team.id,
                                                        Person.active.is_(True))
                                   .order_by(Person.id)))
    duty = [p for p in members if on_duty(p, at)]
    if not duty:
        return team.manager_id, team.id
    if team.strategy == "least_loaded":
        return _least_loaded(session, duty).id, team.id
    chosen = next((p for p in duty if team.rr_cursor is None or p.id > team.rr_cursor), duty[0])
    team.rr_cursor = chosen.id
    return chosen.id, team.id


def _least_loaded(session: Session, people: list[Person]) -> Person:
    ids = [p.id for p in people]
    load = dict(session.execute(
        select(OrderSla.person_id, func.count()).where(OrderSla.person_id.in_(ids),
                                                       OrderSla.closed_at.is_(None))
        .group_by(OrderSla.person_id)).all())
    return min(people, key=lambda p: (load.get(p.id, 0), p.id))


# --- editing --------------------------------------------------------------------------------


def save_team(session: Session, *, team_id: int | None, name: str, stages: list[str],
              strategy: str, manager_id: int | None, actor: Actor) -> Team:
    from_stages = [s for s in stages if s]
    if not name.strip():
        raise InvalidInput("a team needs a name", details={"field": "name"})
    if strategy not in STRATEGIES:
        raise InvalidInput(f"strategy is one of {', '.join(STRATEGIES)}",
                           details={"strategy": strategy})
    if manager_id is not None:
        get(session, manager_id)
    team = session.get(Team, team_id) if team_id else None
    if team_id and team is None:
        raise NotFound(f"no team {team_id}", details={"team_id": team_id})
    if team is None:
        team = Team()
        session.add(team)
    team.name, team.stages, team.strategy, team.manager_id = (name.strip(), from_stages, strategy,
                                                              manager_id)
    session.flush()
    audit.record(session, actor=actor, entity_type="team", entity_id=team.id, action="sla.team_saved",
                 after={"name": team.name, "stages": from_stages, "strategy": strategy,
                        "manager_id": manager_id})
    return team


PERSON_FIELDS = ("name", "user_id", "role", "phone", "email", "wecom_userid", "dingtalk_mobile",
                 "team_id", "backup_id", "supervisor_id", "shift", "active")


def save_person(session: Session, *, person_id: int | None, actor: Actor,
                **fields: Any) -> Person:
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}",
                           details={"fields": sorted(unknown)})
    person = get(session, person_id) if person_id else Person()
    if not str(fields.get("name", person.name or "")).strip():
        raise InvalidInput("a person needs a name", details={"field": "name"})
    if "shift" in fields:
        fields["shift"] = parse_shift(fields["shift"])
    for ref in ("backup_id", "supervisor_id"):
        if fields.get(ref) is not None:
            if person_id is not None and fields[ref] == person_id:
                raise InvalidInput(f"{ref}: a person cannot back up or supervise themself",
                                   details={"field": ref})
            get(session, fields[ref])
    if fields.get("team_id") is not None and session.get(Team, fields["team_id"]) is None:
        raise InvalidInput(f"no team {fields['team_id']}", details={"field": "team_id"})
    for key, value in fields.items():
        setattr(person, key, value.strip() if isinstance(value, str) else value)
    if person_id is None:
        session.add(person)
    session.flush()
    audit.record(session, actor=actor, entity_type="person", entity_id=person.id,
                 action="sla.person_saved", after={k: fields[k] for k in fields})
    return person
