"""Shared steps of the alert tests: a team with its people, notifiers pointed at the simulators,
the jobs declared, and reading back what happened."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from orderhub.alerts import tasks as alert_tasks
from orderhub.alerts.models import Alert, AlertDelivery, AlertLog
from orderhub.alerts.notifiers import settings as notifier_settings
from orderhub.core import worker
from orderhub.core.auth import create_user
from orderhub.core.db import unit_of_work
from orderhub.sim.aliyun_sms import AliyunSmsSim
from orderhub.sim.wecom import WeComSim
from orderhub.sla import people
from orderhub.sla import tasks as sla_tasks
from tests.builders import TEST_ACTOR


@dataclass(frozen=True)
class Crew:
    agent: int  # works the accept stage (the assignee)
    backup: int
    supervisor: int
    manager: int
    agent_user: int
    backup_user: int
    supervisor_user: int


def make_crew(*, stages: tuple[str, ...] = ("accept",)) -> Crew:
    """张三 (in the team owning `stages`) with backup 李四 and supervisor 王五; 赵六 manages the
    team. Each has a console user (in-app inbox), a mobile number and a WeCom id."""
    with unit_of_work() as s:
        users = {name: create_user(s, username=name, role=role, password="password-123",
                                   actor=TEST_ACTOR).id
                 for name, role in (("zhangsan", "ops"), ("lisi", "ops"),
                                    ("wangwu", "supervisor"), ("zhaoliu", "supervisor"))}

        def person(name: str, user: str, phone: str, **more: Any) -> int:
            return people.save_person(s, person_id=None, actor=TEST_ACTOR, name=name,
                                      user_id=users[user], phone=phone, wecom_userid=user,
                                      email=f"{user}@example.com", **more).id

        manager = person("赵六", "zhaoliu", "13800000004", role="manager")
        supervisor = person("王五", "wangwu", "13800000003", role="supervisor")
        backup = person("李四", "lisi", "13800000002", supervisor_id=supervisor)
        team = people.save_team(s, team_id=None, name="接单组", stages=list(stages),
                                strategy="round_robin", manager_id=manager, actor=TEST_ACTOR)
        agent = person("张三", "zhangsan", "13800000001", team_id=team.id, backup_id=backup,
                       supervisor_id=supervisor)
        return Crew(agent=agent, backup=backup, supervisor=supervisor, manager=manager,
                    agent_user=users["zhangsan"], backup_user=users["lisi"],
                    supervisor_user=users["wangwu"])


@dataclass
class Sims:
    wecom: WeComSim
    sms: AliyunSmsSim


@contextmanager
def simulators() -> Iterator[Sims]:
    """WeCom and Aliyun SMS simulators on real ports, and the notifiers configured for them."""
    with ExitStack() as stack:
        sims = Sims(wecom=stack.enter_context(WeComSim()), sms=stack.enter_context(AliyunSmsSim()))
        configure(sims)
        yield sims


def configure(sims: Sims) -> None:
    with unit_of_work() as s:
        notifier_settings.configure(s, channel="inapp", actor=TEST_ACTOR, enabled=True)
        notifier_settings.configure(s, channel="wecom", actor=TEST_ACTOR, enabled=True,
                                    config={"base_url": sims.wecom.url},
                                    secrets={"key": sims.wecom.key})
        notifier_settings.configure(
            s, channel="sms", actor=TEST_ACTOR, enabled=True,
            config={"base_url": sims.sms.url, "sign_name": "订单中枢",
                    "template_code": "SMS_900001"},
            secrets={"access_key_id": sims.sms.access_key_id,
                     "access_key_secret": sims.sms.access_key_secret})


def declare_jobs() -> None:
    with unit_of_work() as s:
        sla_tasks.ensure_jobs(s)
        alert_tasks.ensure_jobs(s)


def drain(engine: Engine) -> None:
    worker.run(burst=True, engine=engine)


def alerts() -> list[Alert]:
    with unit_of_work() as s:
        rows = list(s.scalars(select(Alert).order_by(Alert.id)))
        s.expunge_all()
        return rows


def deliveries(alert_id: int | None = None) -> list[AlertDelivery]:
    with unit_of_work() as s:
        stmt = select(AlertDelivery).order_by(AlertDelivery.id)
        if alert_id is not None:
            stmt = stmt.where(AlertDelivery.alert_id == alert_id)
        rows = list(s.scalars(stmt))
        s.expunge_all()
        return rows


def sent(alert_id: int) -> list[tuple[int, str, int | None]]:
    """(step, channel, person) of the messages sent for an alert, in the order they went."""
    done = [d for d in deliveries(alert_id) if d.status == "sent"]
    return [(d.step, d.channel, d.person_id) for d in sorted(done, key=lambda d: (d.sent_at, d.id))]


def log(alert_id: int) -> list[AlertLog]:
    with unit_of_work() as s:
        rows = list(s.scalars(select(AlertLog).where(AlertLog.alert_id == alert_id)
                              .order_by(AlertLog.id)))
        s.expunge_all()
        return rows


def actions(alert_id: int) -> list[str]:
    return [entry.action for entry in log(alert_id)]
