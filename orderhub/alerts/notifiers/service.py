"""Use cases around the notifiers that are not delivery itself: sending a test message."""

from __future__ import annotations

from sqlalchemy.orm import Session

from orderhub.alerts.notifiers.base import Message, NotifierError, notifier_for
from orderhub.alerts.notifiers.settings import spec
from orderhub.core import audit
from orderhub.core.actor import Actor
from orderhub.core.errors import DomainError

CHANNEL_NAMES = {"inapp": "站内信", "wecom": "企业微信", "dingtalk": "钉钉", "sms": "短信",
                 "email": "邮件"}


class NotifierTestFailed(DomainError):
    """The service refused or could not be reached; the message says what it answered."""

    code = "notifier_failed"
    http_status = 502


def send_test(session: Session, *, channel: str, actor: Actor, to_user_id: int | None = None,
              to_phone: str | None = None, to_email: str | None = None,
              to_wecom_userid: str | None = None, to_dingtalk_mobile: str | None = None) -> str:
    """Send a harmless message through `channel` now, even while it is switched off, so the
    settings can be checked before alerts depend on them. Returns the provider's id."""
    spec(channel)
    name = CHANNEL_NAMES[channel]
    message = Message(
        alert_id=0, severity="info", title=f"{name}通知测试",
        text=f"这是一条来自订单中枢的测试消息。收到即表示{name}通知配置正确。\n发送人：{actor.name}",
        ack_url=None, to_name=actor.name, to_user_id=to_user_id, to_phone=to_phone or None,
        to_email=to_email or None, to_wecom_userid=to_wecom_userid or None,
        to_dingtalk_mobile=to_dingtalk_mobile or None)
    try:
        provider_id = notifier_for(session, channel, even_if_disabled=True).send(session, message)
    except NotifierError as exc:
        raise NotifierTestFailed(exc.message, details={"channel": channel, "retryable": exc.retryable,
                                                       "provider_code": exc.code}) from exc
    audit.record(session, actor=actor, entity_type="notifier", entity_id=channel,
                 action="notifier.tested", after={"provider_id": provider_id})
    return provider_id
