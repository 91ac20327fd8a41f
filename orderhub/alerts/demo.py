"""The demo's alerting: WeCom, DingTalk, Aliyun SMS and SMTP simulators in this process, the
notifiers pointed at them, a customer-service team with a supervisor, a manager and backups, an
SLA promise for the own store counted from payment, and an escalation chain squeezed into
minutes — so the few stuck orders the demo store sends escalate while a newcomer watches."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.alerts import escalation
from orderhub.alerts.notifiers import settings as notifier_settings
from orderhub.core import auth
from orderhub.core.actor import Actor
from orderhub.sim.aliyun_sms import AliyunSmsSim
from orderhub.sim.dingtalk import DingTalkSim
from orderhub.sim.smtp import SmtpSim
from orderhub.sim.wecom import WeComSim
from orderhub.sla import people, policies
from orderhub.sla.models import SlaRule, Team

DEMO = Actor.system("demo")
TEAM = "客服一组 CS team 1"
# A stuck order was paid this long before the demo sends it: the 4-hour promise runs out soon.
STUCK_PAID_MINUTES_AGO = 4 * 60 - 3
# Minutes after the breach: in-app, WeCom, SMS, supervisor (+ backup takes over), manager.
DEMO_STEPS = (0, 1, 2, 3, 5)

RUNNING: dict[str, Any] = {}  # the simulators of this process, for the console's demo page


def start_notifier_simulators() -> dict[str, Any]:
    sims: dict[str, Any] = {"wecom": WeComSim(), "dingtalk": DingTalkSim(), "sms": AliyunSmsSim(),
                            "email": SmtpSim()}
    for sim in sims.values():
        sim.start()
    RUNNING.update(sims)
    return sims


def stop_notifier_simulators(sims: dict[str, Any]) -> None:
    for sim in sims.values():
        sim.stop()
    RUNNING.clear()


def connect_notifiers(session: Session, sims: dict[str, Any]) -> None:
    host, port = sims["email"].address
    settings: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
        "wecom": ({"base_url": sims["wecom"].url}, {"key": sims["wecom"].key}),
        "dingtalk": ({"base_url": sims["dingtalk"].url},
                     {"access_token": sims["dingtalk"].access_token,
                      "secret": sims["dingtalk"].secret}),
        "sms": ({"base_url": sims["sms"].url, "sign_name": "订单中枢",
                 "template_code": "SMS_900001"},
                {"access_key_id": sims["sms"].access_key_id,
                 "access_key_secret": sims["sms"].access_key_secret}),
        "email": ({"host": host, "port": port, "username": sims["email"].username,
                   "from_address": "alerts@orderhub.demo"}, {"password": sims["email"].password}),
    }
    for channel, (config, secrets) in settings.items():
        notifier_settings.configure(session, channel=channel, actor=DEMO, enabled=True,
                                    config=config, secrets=secrets)


def seed_team(session: Session, *, console_user: str, public_url: str) -> None:
    """Once: the team, its people, the own store's 4-hour promise and the squeezed chain."""
    if session.scalar(select(Team.id).where(Team.name == TEAM)) is None:
        _people(session, console_user)
    if session.scalar(select(SlaRule.id).where(SlaRule.kind == "channel",
                                               SlaRule.match == "webhook")) is None:
        policies.save_rule(session, rule_id=None, stage="accept", kind="channel", match="webhook",
                           mode="minutes", minutes=240, actor=DEMO)
    policy = escalation.load_policy(session).model_dump()
    policy["steps"] = [dict(step, after_minutes=m)
                       for step, m in zip(policy["steps"], DEMO_STEPS, strict=True)]
    policy["quiet_hours"] = None  # the demo runs at any hour
    policy["public_url"] = public_url
    escalation.save_policy(session, actor=DEMO, data=policy)


def _people(session: Session, console_user: str) -> None:
    user = auth.find_user(session, console_user)
    manager = people.save_person(session, person_id=None, actor=DEMO, name="王经理", role="manager",
                                 phone="13900000001", email="wang@orderhub.demo",
                                 wecom_userid="wangjingli")
    supervisor = people.save_person(session, person_id=None, actor=DEMO, name="李主管",
                                    role="supervisor", phone="13900000002",
                                    email="li@orderhub.demo", wecom_userid="lizhuguan")
    team = people.save_team(session, team_id=None, name=TEAM,
                            stages=["accept", "print", "ship", "first_scan"],
                            strategy="round_robin", manager_id=manager.id, actor=DEMO)
    backup = people.save_person(session, person_id=None, actor=DEMO, name="赵六", role="agent",
                                phone="13900000004", email="zhao@orderhub.demo",
                                wecom_userid="zhaoliu", team_id=team.id,
                                supervisor_id=supervisor.id)
    people.save_person(session, person_id=None, actor=DEMO, name="张三 (demo)", role="agent",
                       user_id=user.id if user else None, phone="13900000003",
                       email="zhang@orderhub.demo", wecom_userid="zhangsan", team_id=team.id,
                       backup_id=backup.id, supervisor_id=supervisor.id)
