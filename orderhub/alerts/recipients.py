"""Who an alert goes to: the assignee's chain (backup, supervisor, manager) from the SLA
capability, or, for alerts about no one in particular (a shop, a SKU, an event), a person with
the role the policy names for that kind of alert."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core.errors import NotFound
from orderhub.core.models import User
from orderhub.sla import service as sla
from orderhub.sla.models import Person


def person(session: Session, person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    try:
        return sla.people.get(session, person_id)
    except NotFound:
        return None


def chain(session: Session, person_id: int | None) -> sla.Chain:
    if person_id is None or person(session, person_id) is None:
        return sla.Chain(person=None, backup=None, supervisor=None, manager=None)
    return sla.responsible_chain(session, person_id)


def with_role(session: Session, role: str, *, at: datetime) -> list[Person]:
    """Active people whose own role or whose console user's role is `role`; those on duty
    first, then those whose own role it is, then by id, so the pick is stable."""
    if not role:
        return []
    user_roles = dict(session.execute(select(User.id, User.role)).all())
    found = [p for p in sla.people.all_people(session)
             if p.active and (p.role == role or user_roles.get(p.user_id) == role)]
    return sorted(found, key=lambda p: (not sla.on_duty(p, at), p.role != role, p.id))


def for_role(session: Session, role: str, *, at: datetime) -> Person | None:
    people = with_role(session, role, at=at)
    return people[0] if people else None


def for_stage(session: Session, *, order_id: int, at: datetime) -> tuple[int | None, int | None]:
    """(person, team) answering for the order's current stage: its assignee, or the manager of
    the team that owns the stage."""
    row = sla.sla_of(session, order_id)
    if row is None or row.closed_at is not None:
        return None, None
    if row.person_id is not None:
        return row.person_id, row.team_id
    team = sla.people.team_for_stage(session, row.stage)
    if team is None:
        return None, None
    return team.manager_id, team.id


def address(person: Person | None, channel: str) -> str | None:
    """Where `channel` reaches the person; None when it cannot (no phone for SMS…). The group
    robots (WeCom, DingTalk) post to a group, so they reach everyone; the user id only @-mentions."""
    if person is None:
        return None
    if channel == "inapp":
        return f"user:{person.user_id}" if person.user_id else None
    if channel == "sms":
        return person.phone or None
    if channel == "email":
        return person.email or None
    if channel == "wecom":
        return f"wecom:{person.wecom_userid or person.name}"
    if channel == "dingtalk":
        return f"dingtalk:{person.dingtalk_mobile or person.name}"
    return None
