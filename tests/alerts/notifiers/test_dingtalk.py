"""DingTalk robot (signed) against its simulator over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from datetime import timedelta
from urllib.parse import quote_plus

import pytest
from sqlalchemy.orm import Session

from orderhub.alerts.notifiers import NotifierError
from orderhub.core import clock
from orderhub.sim.dingtalk import DingTalkSim
from tests.alerts.notifiers.conftest import MESSAGE, configured, message
from tests.support.fixtures import START, FakeClock


def robot(session: Session, sim: DingTalkSim, *, secret: str = "SEC-dt-secret",
          token: str = "dt-token", **config: object):
    return configured(session, "dingtalk", config={"base_url": sim.url, **config},
                      secrets={"access_token": token, "secret": secret})


def test_url_carries_timestamp_and_the_exact_signature(
        session: Session, dingtalk_sim: DingTalkSim, fake_clock: FakeClock) -> None:
    notifier = robot(session, dingtalk_sim)
    timestamp = str(int(START.timestamp() * 1000))
    mac = hmac.new(b"SEC-dt-secret", f"{timestamp}\nSEC-dt-secret".encode(), hashlib.sha256)
    expected = quote_plus(base64.b64encode(mac.digest()).decode())
    assert notifier.signed_url().endswith(
        f"/robot/send?access_token=dt-token&timestamp={timestamp}&sign={expected}")


def test_markdown_message_is_signed_and_mentions_by_mobile(session: Session,
                                                           dingtalk_sim: DingTalkSim) -> None:
    assert robot(session, dingtalk_sim).send(session, MESSAGE) == "ok"
    [got] = dingtalk_sim.received
    mac = hmac.new(b"SEC-dt-secret", f"{got['timestamp']}\nSEC-dt-secret".encode(), hashlib.sha256)
    assert got["sign"] == base64.b64encode(mac.digest()).decode()
    assert abs(int(got["timestamp"]) - clock.now().timestamp() * 1000) < 60_000
    body = got["body"]
    assert body["msgtype"] == "markdown" and body["at"] == {"atMobiles": ["13800001111"],
                                                            "isAtAll": False}
    assert body["markdown"]["title"] == "【紧急】订单 2611230001 接单超时"
    assert body["markdown"]["text"].splitlines() == [
        "### 【紧急】订单 2611230001 接单超时", "",
        "> 订单 2611230001 已超过接单时限（4 小时）。", "> 负责人：张三",
        "> 确认处理：https://oh.example.cn/alerts/ack/tok", "",
        "[点击确认处理](https://oh.example.cn/alerts/ack/tok)", "", "@13800001111"]


def test_text_message(session: Session, dingtalk_sim: DingTalkSim) -> None:
    robot(session, dingtalk_sim, msgtype="text").send(session, message(to_dingtalk_mobile=None))
    [got] = dingtalk_sim.received
    assert got["body"]["text"]["content"].startswith("【紧急】订单 2611230001 接单超时\n")
    assert got["body"]["at"] == {"atMobiles": [], "isAtAll": False}


@pytest.mark.parametrize("change, code, text", [
    ({"secret": "SEC-wrong"}, "310000", "sign not match"),
    ({"token": "no-such-token"}, "300001", "token is not exist"),
])
def test_wrong_secret_or_token_is_refused_and_not_retried(
        session: Session, dingtalk_sim: DingTalkSim, change: dict[str, str], code: str,
        text: str) -> None:
    with pytest.raises(NotifierError) as caught:
        robot(session, dingtalk_sim, **change).send(session, MESSAGE)
    assert caught.value.retryable is False and caught.value.code == code
    assert text in caught.value.message and dingtalk_sim.received == []


def test_a_clock_off_by_more_than_an_hour_is_an_invalid_timestamp(session: Session) -> None:
    sim = DingTalkSim(access_token="dt-token", secret="SEC-dt-secret",
                      now=lambda: clock.now() + timedelta(minutes=61))
    with sim, pytest.raises(NotifierError) as caught:
        robot(session, sim).send(session, MESSAGE)
    assert caught.value.retryable is False and "invalid timestamp" in caught.value.message


def test_keyword_security_setting(session: Session) -> None:
    with DingTalkSim(access_token="dt-token", secret="SEC-dt-secret", keywords=("OrderHub",)) as sim:
        with pytest.raises(NotifierError) as caught:
            robot(session, sim).send(session, MESSAGE)
        assert "keywords not in content" in caught.value.message and not caught.value.retryable
        robot(session, sim, keyword="OrderHub").send(session, MESSAGE)
    assert sim.received[0]["body"]["markdown"]["title"].startswith("OrderHub 【紧急】")


@pytest.mark.parametrize("fault, code", [({"throttle": 1}, "130101"), ({"errors": 1}, "502")])
def test_throttle_and_5xx_are_retryable(session: Session, dingtalk_sim: DingTalkSim,
                                        fault: dict[str, int], code: str) -> None:
    dingtalk_sim.faults.update(fault)
    with pytest.raises(NotifierError) as caught:
        robot(session, dingtalk_sim).send(session, MESSAGE)
    assert caught.value.retryable is True and caught.value.code == code


def test_token_and_sign_never_reach_the_log(session: Session, dingtalk_sim: DingTalkSim,
                                            caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="httpx"):
        robot(session, dingtalk_sim).send(session, MESSAGE)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "access_token=***" in logged and "sign=***" in logged and "dt-token" not in logged
