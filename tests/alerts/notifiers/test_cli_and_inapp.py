"""`orderhub notifiers set|list|test`, the in-app notifier's refusals, the simulators' controls."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from orderhub.alerts.notifiers import (
    NotifierDisabled,
    NotifierError,
    inapp,
    notifier_for,
    settings,
)
from orderhub.cli import app
from orderhub.core import auth
from orderhub.core.db import unit_of_work
from orderhub.sim.aliyun_sms import AliyunSmsSim
from orderhub.sim.wecom import WeComSim
from tests.alerts.notifiers.conftest import MESSAGE, message
from tests.builders import TEST_ACTOR

runner = CliRunner()


def test_cli_sets_lists_and_tests_a_channel(committed: Engine) -> None:
    with AliyunSmsSim() as sim:
        result = runner.invoke(app, [
            "notifiers", "set", "sms", "--enable", "-c", f"base_url={sim.url}",
            "-c", "sign_name=订单中枢", "-c", "template_code=SMS_900001",
            "-s", "access_key_id=sim-access-key-id", "-s", "access_key_secret="],
            input="sim-access-key-secret\n")
        assert result.exit_code == 0, result.output
        assert "sim-access-key-secret" not in result.output.replace("sms access_key_secret:", "")
        listing = runner.invoke(app, ["notifiers", "list"])
        assert listing.exit_code == 0 and "access_key_secret: set" in listing.output
        assert "sim-access-key" not in listing.output
        sent = runner.invoke(app, ["notifiers", "test", "sms", "--phone", "13800001111"])
        assert sent.exit_code == 0, sent.output
    [got] = sim.received
    assert got["phones"] == ["13800001111"] and got["variables"]["title"] == "短信通知测试"


def test_cli_refuses_unknown_settings_and_reports_service_errors(committed: Engine) -> None:
    bad = runner.invoke(app, ["notifiers", "set", "wecom", "-c", "colour=red"])
    assert bad.exit_code == 2 and "wecom has no setting 'colour'" in bad.output
    with WeComSim(key="right") as sim:
        runner.invoke(app, ["notifiers", "set", "wecom", "-c", f"base_url={sim.url}",
                            "-s", "key=wrong"])
        failed = runner.invoke(app, ["notifiers", "test", "wecom"])
    assert failed.exit_code == 2 and "93000" in failed.output


def test_cli_inapp_test_goes_to_the_named_user(committed: Engine) -> None:
    with unit_of_work() as session:
        user = auth.create_user(session, username="zhangsan", role="cs", password="password-1",
                                actor=TEST_ACTOR)
    assert runner.invoke(app, ["notifiers", "test", "inapp", "--user", "zhangsan"]).exit_code == 0
    with unit_of_work() as session:
        [row] = inapp.messages(session, user_id=user.id)
    assert row.title == "站内信通知测试" and row.alert_id is None


def test_inapp_refuses_a_person_without_a_console_user(session: Session) -> None:
    notifier = notifier_for(session, "inapp")
    with pytest.raises(NotifierError) as caught:
        notifier.send(session, message(to_user_id=None))
    assert caught.value.retryable is False and caught.value.code == "no_recipient"
    with pytest.raises(NotifierError) as caught:
        notifier.send(session, message(to_user_id=987654))
    assert caught.value.retryable is False


def test_a_disabled_or_unconfigured_channel_is_not_retried(session: Session) -> None:
    with pytest.raises(NotifierDisabled) as caught:
        notifier_for(session, "wecom")
    assert caught.value.retryable is False
    settings.configure(session, channel="wecom", actor=TEST_ACTOR, enabled=True)
    with pytest.raises(NotifierError) as caught:
        notifier_for(session, "wecom")
    assert caught.value.retryable is False and caught.value.code == "not_configured"
    settings.configure(session, channel="inapp", actor=TEST_ACTOR, enabled=False)
    with pytest.raises(NotifierDisabled):
        notifier_for(session, "inapp").send(session, MESSAGE)


def test_simulator_controls_show_what_arrived_and_set_faults() -> None:
    with WeComSim(key="k") as sim:
        assert httpx.post(f"{sim.url}/_sim/faults", json={"errors": 1}).json()["errors"] == 1
        assert httpx.post(f"{sim.url}/cgi-bin/webhook/send?key=k",
                          json={"msgtype": "text", "text": {"content": "你好"}}).status_code == 502
        assert httpx.post(f"{sim.url}/cgi-bin/webhook/send?key=k",
                          json={"msgtype": "text", "text": {"content": "你好"}}).json() == \
            {"errcode": 0, "errmsg": "ok"}
        seen = httpx.get(f"{sim.url}/_sim/received").json()
        assert [r["content"] for r in seen["received"]] == ["你好"] and seen["refused"] == {"error": 1}
        assert httpx.post(f"{sim.url}/_sim/faults", json={"nonsense": 1}).status_code == 400
        httpx.post(f"{sim.url}/_sim/reset")
        assert sim.received == []
