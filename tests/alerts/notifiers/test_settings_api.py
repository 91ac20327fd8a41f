"""Notifier settings through the API: secrets go in, never come out (answers, audit, database
in clear); a test message goes through the stored settings to the simulator."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from orderhub.alerts.notifiers import inapp
from orderhub.alerts.notifiers.models import NotifierSetting
from orderhub.core import auth
from orderhub.core.db import unit_of_work
from orderhub.core.models import AuditEntry, UserSession
from orderhub.sim.wecom import WeComSim
from tests.api.helpers import Api, error_of
from tests.builders import TEST_ACTOR

WECOM_KEY = "wk-very-secret-0001"


def _patch(api: Api, channel: str, body: dict, role: str = "admin"):
    return api.client.patch(f"/api/v1/notifiers/{channel}", json=body, headers=api.headers(role))


def test_secrets_are_write_only(api: Api) -> None:
    url = "https://qyapi.example.cn"
    response = _patch(api, "wecom", {"enabled": True, "config": {"base_url": url + "/"},
                                     "secrets": {"key": WECOM_KEY}})
    assert response.status_code == 200, response.text
    assert response.json() == {"channel": "wecom", "enabled": True, "secrets_set": {"key": True},
                               "config": {"base_url": url, "msgtype": "markdown",
                                          "timeout_seconds": 10}}
    listing = api.get("/api/v1/notifiers")
    one = api.get("/api/v1/notifiers/wecom")
    for answer in (response, listing, one):
        assert WECOM_KEY not in answer.text
    assert [i["channel"] for i in listing.json()["items"]] == ["inapp", "wecom", "dingtalk", "sms", "email"]
    assert listing.json()["items"][0]["enabled"] is True  # the inbox is on by default
    with unit_of_work() as session:
        row = session.get(NotifierSetting, "wecom")
        audit = session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "notifier")).all()
        assert WECOM_KEY not in row.sealed_secrets and WECOM_KEY not in json.dumps(row.config)
        assert [a.after for a in audit] == [{"enabled": True, "base_url": url,
                                             "secrets_changed": ["key"]}]
        assert WECOM_KEY not in json.dumps([a.before for a in audit] + [a.after for a in audit])


def test_leaving_a_secret_out_keeps_it_and_an_empty_one_removes_it(api: Api) -> None:
    _patch(api, "sms", {"secrets": {"access_key_id": "LTAI-1", "access_key_secret": "s-1"}})
    kept = _patch(api, "sms", {"config": {"sign_name": "订单中枢"}}).json()
    assert kept["secrets_set"] == {"access_key_id": True, "access_key_secret": True}
    assert kept["config"]["sign_name"] == "订单中枢" and kept["enabled"] is False
    removed = _patch(api, "sms", {"secrets": {"access_key_secret": ""}}).json()
    assert removed["secrets_set"] == {"access_key_id": True, "access_key_secret": False}


def test_bad_settings_are_refused_clearly(api: Api) -> None:
    cases = [("wecom", {"config": {"colour": "red"}}, "wecom has no setting 'colour'"),
             ("wecom", {"config": {"base_url": "ftp://x"}}, "wecom.base_url must be an http(s) URL"),
             ("email", {"config": {"port": "smtp"}}, "email.port must be a int"),
             ("email", {"config": {"security": "tls1"}}, "email.security is one of none, starttls, ssl"),
             ("dingtalk", {"secrets": {"password": "x"}}, "dingtalk has no secret 'password'"),
             ("fax", {"enabled": True}, "unknown notifier channel 'fax'")]
    for channel, body, message in cases:
        response = _patch(api, channel, body)
        assert response.status_code == 422, response.text
        assert error_of(response)["message"] == message


def test_only_admin_and_ops_manage_notifiers(api: Api) -> None:
    assert _patch(api, "wecom", {"enabled": False}, role="ops").status_code == 200
    for role in ("cs", "supervisor", "warehouse", "finance", "viewer"):
        assert _patch(api, "wecom", {"enabled": True}, role=role).status_code == 403


def test_send_a_test_message_through_the_stored_settings(api: Api) -> None:
    with WeComSim(key=WECOM_KEY) as sim:
        _patch(api, "wecom", {"config": {"base_url": sim.url}, "secrets": {"key": WECOM_KEY}})
        sent = api.post("/api/v1/notifiers/wecom/test", {"to_wecom_userid": "lisi"})
        assert sent.status_code == 200, sent.text
        assert sent.json() == {"channel": "wecom", "sent": True, "provider_id": "ok"}
        [got] = sim.received
        assert "企业微信通知测试" in got["content"] and "<@lisi>" in got["content"]
        _patch(api, "wecom", {"secrets": {"key": "wrong-key"}})
        refused = api.post("/api/v1/notifiers/wecom/test", {})
    assert refused.status_code == 502
    error = error_of(refused)
    assert error["code"] == "notifier_failed" and "93000" in error["message"]
    assert error["details"] == {"channel": "wecom", "retryable": False, "provider_code": "93000"}
    assert WECOM_KEY not in refused.text and "wrong-key" not in refused.text


def test_inbox_api_for_a_console_user(client: TestClient, api: Api) -> None:
    with unit_of_work() as session:
        user = auth.create_user(session, username="zhangsan", role="cs", password="password-1",
                                actor=TEST_ACTOR)
        other = auth.create_user(session, username="lisi", role="cs", password="password-1",
                                 actor=TEST_ACTOR)
        _, token = auth.start_session(session, user=user, hours=1)
        csrf = session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one().csrf_token
        first = inapp.deliver(session, user_id=user.id, title="订单超时", text="请处理", alert_id=7).id
        inapp.deliver(session, user_id=user.id, title="第二条", text="")
        foreign = inapp.deliver(session, user_id=other.id, title="别人的", text="").id
    client.cookies.set("orderhub_session", token)
    listing = client.get("/api/v1/inbox").json()
    assert [m["title"] for m in listing["items"]] == ["第二条", "订单超时"] and listing["unread"] == 2
    assert listing["items"][1]["alert_url"] == "/alerts/7"
    assert client.get("/api/v1/inbox/unread-count").json() == {"unread": 2, "cap": 100}
    headers = {"X-CSRF-Token": csrf}
    assert client.post(f"/api/v1/inbox/{foreign}/read", json={}, headers=headers).status_code == 404
    read = client.post(f"/api/v1/inbox/{first}/read", json={}, headers=headers)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert client.get("/api/v1/inbox?unread=true").json()["unread"] == 1
    assert client.post("/api/v1/inbox/read-all", json={}, headers=headers).json() == {"marked": 1}
    assert client.get("/api/v1/inbox/unread-count").json()["unread"] == 0
    # API keys have no inbox.
    assert error_of(api.get("/api/v1/inbox"))["code"] == "invalid_input"
