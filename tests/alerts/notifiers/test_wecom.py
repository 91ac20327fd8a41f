"""WeCom group robot against its simulator over real HTTP."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.orm import Session

from orderhub.alerts.notifiers import NotifierError
from orderhub.sim.wecom import WeComSim
from tests.alerts.notifiers.conftest import MESSAGE, configured, message


def robot(session: Session, sim: WeComSim, key: str = "wk-123", **config: object):
    return configured(session, "wecom", config={"base_url": sim.url, **config},
                      secrets={"key": key})


def test_markdown_message_with_colour_link_and_mention(session: Session, wecom_sim: WeComSim) -> None:
    assert robot(session, wecom_sim).send(session, MESSAGE) == "ok"
    [got] = wecom_sim.received
    assert got["content_type"] == "application/json"
    assert set(got["body"]) == {"msgtype", "markdown"} and got["msgtype"] == "markdown"
    assert got["content"].splitlines() == [
        '**<font color="warning">【紧急】订单 2611230001 接单超时</font>**',
        "> 订单 2611230001 已超过接单时限（4 小时）。",
        "> 负责人：张三",
        "> 确认处理：https://oh.example.cn/alerts/ack/tok",
        "[点击确认处理](https://oh.example.cn/alerts/ack/tok)",
        "<@zhangsan>",
    ]


def test_text_message_mentions_the_person(session: Session, wecom_sim: WeComSim) -> None:
    robot(session, wecom_sim, msgtype="text").send(session, message(severity="warning"))
    [got] = wecom_sim.received
    assert got["body"]["msgtype"] == "text"
    assert got["body"]["text"]["mentioned_list"] == ["zhangsan"]
    assert got["content"].startswith("【警告】订单 2611230001 接单超时\n订单 2611230001")


def test_long_text_is_shortened_to_the_limit_but_keeps_the_link(session: Session,
                                                               wecom_sim: WeComSim) -> None:
    robot(session, wecom_sim).send(session, message(text="超时订单明细。" * 400))
    [got] = wecom_sim.received
    assert len(got["content"].encode()) <= 4096
    assert got["content"].endswith("[点击确认处理](https://oh.example.cn/alerts/ack/tok)\n<@zhangsan>")


def test_wrong_key_is_refused_with_93000_and_not_retried(session: Session,
                                                         wecom_sim: WeComSim) -> None:
    with pytest.raises(NotifierError) as caught:
        robot(session, wecom_sim, key="stolen").send(session, MESSAGE)
    assert caught.value.retryable is False and caught.value.code == "93000"
    assert "invalid webhook url" in caught.value.message
    assert wecom_sim.received == [] and wecom_sim.refused["bad_key"] == 1


def test_over_twenty_a_minute_is_throttled_and_retryable(session: Session) -> None:
    with WeComSim(key="wk-123", per_minute=2) as sim:
        notifier = robot(session, sim)
        notifier.send(session, MESSAGE)
        notifier.send(session, MESSAGE)
        with pytest.raises(NotifierError) as caught:
            notifier.send(session, MESSAGE)
    assert caught.value.retryable is True and caught.value.code == "45009"
    assert len(sim.received) == 2


@pytest.mark.parametrize("fault, code", [({"throttle": 1}, "45009"), ({"errors": 1}, "502")])
def test_throttle_and_5xx_faults_are_retryable(session: Session, wecom_sim: WeComSim,
                                               fault: dict[str, int], code: str) -> None:
    wecom_sim.faults.update(fault)
    notifier = robot(session, wecom_sim)
    with pytest.raises(NotifierError) as caught:
        notifier.send(session, MESSAGE)
    assert caught.value.retryable is True and caught.value.code == code
    assert notifier.send(session, MESSAGE) == "ok"  # the next try gets through
    assert len(wecom_sim.received) == 1


def test_a_hanging_service_times_out_retryably(session: Session, wecom_sim: WeComSim) -> None:
    wecom_sim.faults.update({"timeouts": 1, "hang_seconds": 2})
    with pytest.raises(NotifierError) as caught:
        robot(session, wecom_sim, timeout_seconds=1).send(session, MESSAGE)
    assert caught.value.retryable is True and caught.value.code == "timeout"


def test_a_service_that_is_down_is_retryable(session: Session) -> None:
    sim = WeComSim(key="wk-123")
    sim.start()
    notifier = robot(session, sim)
    sim.stop()
    with pytest.raises(NotifierError) as caught:
        notifier.send(session, MESSAGE)
    assert caught.value.retryable is True and caught.value.code == "unreachable"
    assert "wk-123" not in caught.value.message  # the key never shows up in an error


def test_the_key_never_reaches_the_log(session: Session, wecom_sim: WeComSim,
                                       caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="httpx"):
        robot(session, wecom_sim).send(session, MESSAGE)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/cgi-bin/webhook/send?key=***" in logged and "wk-123" not in logged
