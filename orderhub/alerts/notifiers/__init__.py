"""Notifiers: in-app inbox, WeCom robot, DingTalk robot, Aliyun SMS and email behind one
interface (base.py). Importing the package registers every channel, so
`notifier_for(session, channel)` can build any of them."""

from orderhub.alerts.notifiers import aliyun_sms, dingtalk, email, inapp, wecom  # noqa: F401
from orderhub.alerts.notifiers.base import (
    Message,
    Notifier,
    NotifierDisabled,
    NotifierError,
    notifier_for,
)
from orderhub.alerts.notifiers.settings import CHANNELS

__all__ = ["CHANNELS", "Message", "Notifier", "NotifierDisabled", "NotifierError",
           "notifier_for"]
