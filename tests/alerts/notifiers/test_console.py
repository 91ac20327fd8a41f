"""The console: inbox page and the unread count in the header; the notifier settings page
shows whether secrets are set, never the secrets; a test message from the page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from orderhub.alerts.notifiers import Message, inapp, notifier_for, settings
from orderhub.alerts.notifiers.service import CHANNEL_NAMES
from orderhub.alerts.notifiers.settings import SPECS
from orderhub.core.db import unit_of_work
from orderhub.core.models import User
from orderhub.sim.dingtalk import DingTalkSim
from orderhub.web.i18n import MESSAGES
from orderhub.web.pages.notifiers import TEST_FIELDS
from tests.builders import TEST_ACTOR
from tests.web.conftest import csrf_from, log_in

UNREAD_BADGE = re.compile(r'<span class="badge badge-danger" id="inbox-unread"[^>]*>([^<]+)</span>')


def user_id(username: str) -> int:
    with unit_of_work() as session:
        return session.scalar(select(User.id).where(User.username == username))


def alert_message(user: int, n: int) -> Message:
    return Message(alert_id=100 + n, severity="critical", title=f"订单 {n} 接单超时",
                   text=f"订单 {n} 已超时。\n确认处理：https://oh.example.cn/alerts/ack/t{n}",
                   ack_url=f"https://oh.example.cn/alerts/ack/t{n}", to_name="张三",
                   to_user_id=user, to_phone=None, to_email=None, to_wecom_userid=None,
                   to_dingtalk_mobile=None)


def test_inapp_notifier_fills_the_inbox_and_the_header_counts_it(client: TestClient) -> None:
    log_in(client, "zhangsan", "cs")
    me = user_id("zhangsan")
    assert UNREAD_BADGE.search(client.get("/orders").text) is None
    with unit_of_work() as session:
        notifier = notifier_for(session, "inapp")  # on by default, nothing to configure
        ids = [notifier.send(session, alert_message(me, n)) for n in (1, 2, 3)]
    assert all(i.startswith("inbox:") for i in ids)
    page = client.get("/orders").text
    assert UNREAD_BADGE.search(page).group(1) == "3"
    inbox = client.get("/inbox")
    assert inbox.status_code == 200
    html = inbox.text
    assert html.index("订单 3 接单超时") < html.index("订单 1 接单超时")  # newest first
    assert 'href="/alerts/101"' in html and "确认处理：https://oh.example.cn/alerts/ack/t1" in html
    first = int(ids[0].removeprefix("inbox:"))
    marked = client.post(f"/inbox/{first}/read", data={"csrf_token": csrf_from(client, "/inbox")},
                         follow_redirects=False)
    assert marked.status_code == 303
    assert UNREAD_BADGE.search(client.get("/inbox").text).group(1) == "2"
    assert f'data-message="{first}" data-read="yes"' in client.get("/inbox").text
    unread_only = client.get("/inbox?unread=1").text
    assert "订单 1 接单超时" not in unread_only and "订单 2 接单超时" in unread_only
    client.post("/inbox/read-all", data={"csrf_token": csrf_from(client, "/inbox")})
    assert UNREAD_BADGE.search(client.get("/orders").text) is None


def test_badge_caps_at_99_plus_and_counts_only_your_own(client: TestClient) -> None:
    log_in(client, "lisi", "ops")
    me = user_id("lisi")
    with unit_of_work() as session:
        for n in range(120):
            inapp.deliver(session, user_id=me, title=f"消息 {n}", text="")
        other = User(username="wangwu", role="cs", password_hash="x", display_name="王五")
        session.add(other)
        session.flush()
        inapp.deliver(session, user_id=other.id, title="王五的消息", text="")
    assert UNREAD_BADGE.search(client.get("/orders").text).group(1) == "99+"
    assert "王五的消息" not in client.get("/inbox").text


def test_a_message_of_someone_else_cannot_be_marked(client: TestClient) -> None:
    log_in(client, "zhaoliu", "cs")
    with unit_of_work() as session:
        other = User(username="sunqi", role="cs", password_hash="x", display_name="")
        session.add(other)
        session.flush()
        foreign = inapp.deliver(session, user_id=other.id, title="别人的", text="").id
    client.post(f"/inbox/{foreign}/read", data={"csrf_token": csrf_from(client, "/inbox")})
    with unit_of_work() as session:
        assert inapp.unread_count(session, user_id=other.id) == 1


def test_settings_page_shows_whether_secrets_are_set_never_them(client: TestClient) -> None:
    with unit_of_work() as session:
        settings.configure(session, channel="dingtalk", actor=TEST_ACTOR, enabled=True,
                           config={"keyword": "OrderHub"},
                           secrets={"access_token": "dt-token-secret-1", "secret": "SEC-very-secret-2"})
    log_in(client, "ops1", "ops")
    page = client.get("/notifiers")
    assert page.status_code == 200
    html = page.text
    assert "dt-token-secret-1" not in html and "SEC-very-secret-2" not in html
    section = html[html.index('id="dingtalk"'):html.index('id="sms"')]
    assert 'data-enabled="yes"' in section and 'value="OrderHub"' in section
    assert section.count('data-secret-set="yes"') == 2
    assert 'href="/notifiers"' in html and 'href="/inbox"' in html


def test_saving_from_the_page_keeps_blank_secrets_and_sends_a_test(client: TestClient) -> None:
    with DingTalkSim(access_token="dt-token", secret="SEC-dt") as sim:
        log_in(client, "admin1", "admin")
        csrf = csrf_from(client, "/notifiers")
        saved = client.post("/notifiers/dingtalk", data={
            "csrf_token": csrf, "enabled": "on", "config.base_url": sim.url,
            "config.msgtype": "text", "config.keyword": "", "config.timeout_seconds": "5",
            "secret.access_token": "dt-token", "secret.secret": "SEC-dt"}, follow_redirects=False)
        assert saved.status_code == 303
        # Saving again with blank secret fields keeps both secrets.
        client.post("/notifiers/dingtalk", data={
            "csrf_token": csrf, "enabled": "on", "config.base_url": sim.url,
            "config.msgtype": "markdown", "config.timeout_seconds": "5",
            "secret.access_token": "", "secret.secret": ""})
        sent = client.post("/notifiers/dingtalk/test", data={
            "csrf_token": csrf, "to_dingtalk_mobile": "13900002222"})
    assert sent.status_code == 200 and "测试消息已发送" in sent.text
    [got] = sim.received
    assert got["body"]["msgtype"] == "markdown" and got["body"]["at"]["atMobiles"] == ["13900002222"]
    with unit_of_work() as session:
        stored = settings.load(session, "dingtalk")
    assert stored.secrets == {"access_token": "dt-token", "secret": "SEC-dt"}
    assert stored.config["timeout_seconds"] == 5


def test_a_failed_test_shows_the_service_error(client: TestClient) -> None:
    log_in(client, "ops2", "ops")
    csrf = csrf_from(client, "/notifiers")
    page = client.post("/notifiers/sms/test", data={"csrf_token": csrf, "to_phone": "13800001111"})
    assert "sms is not configured" in page.text


def test_cs_cannot_open_the_settings_page(client: TestClient) -> None:
    log_in(client, "cs1", "cs")
    assert client.get("/notifiers").status_code == 403
    assert 'href="/notifiers"' not in client.get("/orders").text


def test_every_setting_label_is_translated() -> None:
    keys = {f"notifier.{c}" for c in SPECS} | {f"notifiers.field.{k}" for s in SPECS.values()
                                               for k in s.config}
    keys |= {f"notifiers.secret.{k}" for s in SPECS.values() for k in s.secrets}
    keys |= {f"notifiers.test.{f}" for fields in TEST_FIELDS.values() for f in fields}
    assert sorted(keys - MESSAGES.keys()) == []
    assert set(CHANNEL_NAMES) == set(SPECS) == set(TEST_FIELDS)
