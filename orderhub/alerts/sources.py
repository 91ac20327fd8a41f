"""Events that become alerts: SLA warnings and breaches, rules' notify action, an unhealthy shop,
failing pulls, a shipment confirmation the platform refused, low stock, a tracking exception,
a dead-lettered event. And the one that ends them: an order leaving its SLA stage.

Each alert names its cause (`cause_key`), so the same problem reported twice stays one alert,
and the problem going away closes it. Alerts about an order go to whoever answers for the
order's stage; the others to a person with the role the escalation policy names for the kind.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from orderhub.alerts import escalation, recipients, service
from orderhub.alerts.models import SEVERITIES
from orderhub.core import clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.models import OutboxEvent
from orderhub.core.settings import get_settings
from orderhub.core.worker import DEAD_LETTERED

ACTOR = Actor.system("alerts")
STAGE_NAMES = {"accept": "付款→接单", "print": "接单→打印面单", "ship": "打印面单→发货",
               "first_scan": "发货→首次揽收扫描"}


def sla_cause(order_id: object, stage: str) -> str:
    return f"order:{order_id}:{stage}"


def _local(iso: str | None) -> str:
    if not iso:
        return "—"
    moment = datetime.fromisoformat(iso)
    return moment.astimezone(ZoneInfo(get_settings().timezone)).strftime("%m-%d %H:%M")


def _role_person(session: Session, kind: str) -> tuple[int | None, int | None]:
    role = escalation.load_policy(session).recipients.get(kind, "ops")
    person = recipients.for_role(session, role, at=clock.now())
    return (person.id, person.team_id) if person else (None, None)


def _to_role(session: Session, *, kind: str, **alert: Any) -> None:
    """An alert about no one's order (a shop, a SKU, an event): to the person on duty in the
    role the policy names for this kind."""
    person_id, team_id = _role_person(session, kind)
    service.raise_alert(session, kind=kind, person_id=person_id, team_id=team_id, actor=ACTOR,
                        **alert)


def _assignee(session: Session, p: dict[str, Any], kind: str) -> tuple[int | None, int | None]:
    if p.get("person_id"):
        return int(p["person_id"]), p.get("team_id")
    if p.get("order_id"):
        person_id, team_id = recipients.for_stage(session, order_id=int(p["order_id"]),
                                                  at=clock.now())
        if person_id:
            return person_id, team_id
    return _role_person(session, kind)


# --- SLA ------------------------------------------------------------------------------------


@outbox.handler("sla.warning", name="alerts.from_sla_warning")
def on_sla_warning(session: Session, event: OutboxEvent) -> None:
    p = event.payload
    person_id, team_id = _assignee(session, p, "sla_warning")
    stage = STAGE_NAMES.get(p["stage"], p["stage"])
    service.raise_alert(session, kind="sla_warning", severity="warning",
                        title=f"订单 {p.get('order_no')} 即将超时（{stage}）",
                        body=f"截止时间 {_local(p.get('deadline'))}，请尽快处理。",
                        cause_key=sla_cause(p["order_id"], p["stage"]), subject_type="order",
                        subject_id=p["order_id"], person_id=person_id, team_id=team_id,
                        actor=ACTOR)


@outbox.handler("sla.breached", name="alerts.from_sla_breached")
def on_sla_breached(session: Session, event: OutboxEvent) -> None:
    p = event.payload
    cause = sla_cause(p["order_id"], p["stage"])
    # The warning's chain gives way to the breach's: one chain of messages per problem.
    service.resolve_cause(session, cause_key=cause, actor=ACTOR, reason="superseded by breach")
    person_id, team_id = _assignee(session, p, "sla_breach")
    stage = STAGE_NAMES.get(p["stage"], p["stage"])
    service.raise_alert(session, kind="sla_breach", severity="critical",
                        title=f"订单 {p.get('order_no')} 已超时（{stage}）",
                        body=f"截止时间 {_local(p.get('deadline'))} 已过，请立即处理。",
                        cause_key=cause, subject_type="order", subject_id=p["order_id"],
                        person_id=person_id, team_id=team_id, actor=ACTOR)


@outbox.handler("sla.stage_left", name="alerts.from_sla_stage_left")
def on_sla_stage_left(session: Session, event: OutboxEvent) -> None:
    p = event.payload
    service.resolve_cause(session, cause_key=sla_cause(p["order_id"], p["stage"]), actor=ACTOR,
                          reason="order left the stage" + (" late" if p.get("late") else ""))


# --- rules ----------------------------------------------------------------------------------


@outbox.handler("alert.requested", name="alerts.from_rule_notify")
def on_alert_requested(session: Session, event: OutboxEvent) -> None:
    """A rule's notify action: to people with the role it names, else whoever answers for the
    order's current stage, else the policy's role for rule alerts."""
    p = event.payload
    order_id = event.aggregate_id
    person = recipients.for_role(session, p.get("role") or "", at=clock.now())
    if person is not None:
        person_id, team_id = person.id, person.team_id
    else:
        person_id, team_id = _assignee(session, {"order_id": order_id}, "rule_notify")
    severity = p.get("severity") if p.get("severity") in SEVERITIES else "warning"
    service.raise_alert(session, kind="rule_notify", severity=severity,
                        title=f"规则「{p.get('rule')}」提醒：订单 {p.get('order_no')}",
                        body=p.get("message") or "",
                        cause_key=f"rule:{p.get('rule_id')}:order:{order_id}",
                        subject_type="order", subject_id=order_id, person_id=person_id,
                        team_id=team_id, actor=ACTOR)


# --- channels, stock, tracking --------------------------------------------------------------


@outbox.handler("channel.shop_unhealthy", name="alerts.from_shop_unhealthy")
def on_shop_unhealthy(session: Session, event: OutboxEvent) -> None:
    p = event.payload
    _to_role(session, kind="shop_unhealthy", severity="critical",
             title=f"店铺 {p.get('shop')}（{p.get('channel')}）授权失效，已停止拉单",
             body=f"原因：{p.get('reason')}", cause_key=f"shop:{p.get('shop')}:unhealthy",
             subject_type="shop", subject_id=event.aggregate_id or p.get("shop"))


@outbox.handler("channel.pull_failing", name="alerts.from_pull_failing")
def on_pull_failing(session: Session, event: OutboxEvent) -> None:
    p = event.payload
    _to_role(session, kind="pull_failing", severity="warning",
             title=f"店铺 {p.get('shop')} 拉单连续失败 {p.get('failures')} 次",
             body=f"最近错误：{p.get('error')}", cause_key=f"shop:{p.get('shop')}:pull",
             subject_type="shop", subject_id=event.aggregate_id or p.get("shop"))


@outbox.handler("channel.ship_confirm_failed", name="alerts.from_ship_confirm_failed")
def on_ship_confirm_failed(session: Session, event: OutboxEvent) -> None:
    p = event.payload
    order_ref = p.get("order_no") or p.get("platform_order_id") or event.aggregate_id
    _to_role(session, kind="ship_confirm_failed", severity="critical",
             title=f"订单 {order_ref} 发货回传失败",
             body=f"平台拒绝：{p.get('error')}（运单 {p.get('tracking_no') or '—'}）",
             cause_key=f"order:{event.aggregate_id}:ship_confirm",
             subject_type="order", subject_id=event.aggregate_id)


@outbox.handler("stock.low", name="alerts.from_stock_low")
def on_stock_low(session: Session, event: OutboxEvent) -> None:
    p = event.payload
    _to_role(session, kind="low_stock", severity="warning",
             title=f"SKU {p.get('sku')} 库存低于安全库存",
             body=f"仓库 {p.get('warehouse_id')}：可用 {p.get('available')}，"
                  f"安全库存 {p.get('safety_stock')}",
             cause_key=f"sku:{p.get('sku')}:warehouse:{p.get('warehouse_id')}:low",
             subject_type="sku", subject_id=p.get("sku"))


@outbox.handler("tracking.exception", name="alerts.from_tracking_exception")
def on_tracking_exception(session: Session, event: OutboxEvent) -> None:
    p = event.payload
    order_id = p.get("order_id") or event.aggregate_id
    _to_role(session, kind="tracking_exception", severity="warning",
             title=f"订单 {p.get('order_no') or order_id} 物流异常",
             body=f"原因：{p.get('reason')}", cause_key=f"order:{order_id}:tracking",
             subject_type="order", subject_id=order_id)


@outbox.handler(DEAD_LETTERED, name="alerts.from_dead_letter")
def on_dead_letter(session: Session, event: OutboxEvent) -> None:
    p = event.payload
    if str(p.get("topic", "")).startswith("alert."):
        return  # a failed alert delivery falls through instead (delivery.on_dead_delivery)
    _to_role(session, kind="dead_letter", severity="warning",
             title=f"事件 {p.get('topic')} 处理失败 {p.get('attempts')} 次，已进入死信",
             body=f"{p.get('handler')}：{str(p.get('error', ''))[:300]}",
             cause_key=f"event:{p.get('event_id')}", subject_type="event",
             subject_id=p.get("event_id"))
