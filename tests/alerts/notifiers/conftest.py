"""Simulators on real ports, and a message as the alerts send it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from orderhub.alerts.notifiers import Message, Notifier, notifier_for, settings
from orderhub.sim.aliyun_sms import AliyunSmsSim
from orderhub.sim.dingtalk import DingTalkSim
from orderhub.sim.smtp import SmtpSim
from orderhub.sim.wecom import WeComSim
from tests.api.helpers import Api, make_api
from tests.builders import TEST_ACTOR
from tests.support.app import shared_app

MESSAGE = Message(
    alert_id=42, severity="critical", title="订单 2611230001 接单超时",
    text="订单 2611230001 已超过接单时限（4 小时）。\n负责人：张三\n确认处理：https://oh.example.cn/alerts/ack/tok",
    ack_url="https://oh.example.cn/alerts/ack/tok", to_name="张三", to_user_id=None,
    to_phone="13800001111", to_email="zhangsan@example.cn", to_wecom_userid="zhangsan",
    to_dingtalk_mobile="13800001111")


def message(**changes: object) -> Message:
    return replace(MESSAGE, **changes)


@pytest.fixture
def wecom_sim() -> Iterator[WeComSim]:
    with WeComSim(key="wk-123") as sim:
        yield sim


@pytest.fixture
def dingtalk_sim() -> Iterator[DingTalkSim]:
    with DingTalkSim(access_token="dt-token", secret="SEC-dt-secret") as sim:
        yield sim


@pytest.fixture
def sms_sim() -> Iterator[AliyunSmsSim]:
    with AliyunSmsSim(access_key_id="LTAI-test", access_key_secret="ak-secret",
                      sign_names=("订单中枢",), template_codes=("SMS_900001",)) as sim:
        yield sim


@pytest.fixture
def smtp_sim() -> Iterator[SmtpSim]:
    with SmtpSim(username="alerts@shop.example.cn", password="smtp-pass",
                 rejected=("gone@example.cn",)) as sim:
        yield sim


def configured(session: Session, channel: str, *, config: dict[str, object] | None = None,
               secrets: dict[str, str] | None = None) -> Notifier:
    """Store the channel's settings as an admin would, then build it the way alerts do."""
    settings.configure(session, channel=channel, actor=TEST_ACTOR, enabled=True, config=config,
                       secrets=secrets)
    return notifier_for(session, channel)


@pytest.fixture
def client(committed: Engine) -> Iterator[TestClient]:
    """The whole app (API and console) against the test database, with real commits."""
    with TestClient(shared_app()) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> Api:
    return make_api(client)
