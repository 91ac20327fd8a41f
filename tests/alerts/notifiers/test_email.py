"""Email over real SMTP to the aiosmtpd simulator."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from orderhub.alerts.notifiers import NotifierError
from orderhub.sim.smtp import SmtpSim
from tests.alerts.notifiers.conftest import MESSAGE, configured, message


def mailer(session: Session, sim: SmtpSim, *, password: str = "smtp-pass", **config: object):
    host, port = sim.address
    return configured(session, "email", config={
        "host": host, "port": port, "username": "alerts@shop.example.cn",
        "from_address": "alerts@shop.example.cn", "from_name": "订单中枢", **config},
        secrets={"password": password})


def test_utf8_chinese_subject_and_body_after_login(session: Session, smtp_sim: SmtpSim) -> None:
    message_id = mailer(session, smtp_sim).send(session, MESSAGE)
    [got] = smtp_sim.received
    assert got["authenticated"] is True
    assert got["mail_from"] == "alerts@shop.example.cn" and got["rcpt_tos"] == ["zhangsan@example.cn"]
    assert got["subject"] == "【紧急】订单 2611230001 接单超时"
    assert got["from"] == "订单中枢 <alerts@shop.example.cn>" and got["to"] == "张三 <zhangsan@example.cn>"
    assert got["headers"]["Message-ID"] == message_id and got["headers"]["X-OrderHub-Alert"] == "42"
    assert got["headers"]["Content-Type"] == 'text/plain; charset="utf-8"'
    assert got["text"].replace("\r\n", "\n") == MESSAGE.text + "\n"
    # On the wire the subject is RFC 2047 encoded UTF-8, the body UTF-8.
    assert b"Subject: =?utf-8?b?" in got["raw"]
    assert "已超过接单时限".encode() in got["raw"]


def test_ack_link_is_added_when_the_text_lacks_it(session: Session, smtp_sim: SmtpSim) -> None:
    mailer(session, smtp_sim).send(session, message(text="请尽快处理。"))
    assert smtp_sim.received[0]["text"].replace("\r\n", "\n") == \
        "请尽快处理。\n\n确认处理：https://oh.example.cn/alerts/ack/tok\n"


@pytest.mark.parametrize("kind, code", [("password", "535"), ("recipient", "550")])
def test_wrong_password_or_unknown_recipient_is_not_retried(
        session: Session, smtp_sim: SmtpSim, kind: str, code: str) -> None:
    notifier = mailer(session, smtp_sim, password="wrong" if kind == "password" else "smtp-pass")
    to = "gone@example.cn" if kind == "recipient" else "zhangsan@example.cn"
    with pytest.raises(NotifierError) as caught:
        notifier.send(session, message(to_email=to))
    assert caught.value.retryable is False and caught.value.code == code
    assert smtp_sim.received == []


@pytest.mark.parametrize("fault, code", [({"errors": 1}, "451"), ({"throttle": 1}, "421")])
def test_temporary_smtp_replies_are_retryable(session: Session, smtp_sim: SmtpSim,
                                              fault: dict[str, int], code: str) -> None:
    smtp_sim.faults.update(fault)
    notifier = mailer(session, smtp_sim)
    with pytest.raises(NotifierError) as caught:
        notifier.send(session, MESSAGE)
    assert caught.value.retryable is True and caught.value.code == code
    notifier.send(session, MESSAGE)
    assert len(smtp_sim.received) == 1


def test_a_hanging_server_times_out_retryably(session: Session, smtp_sim: SmtpSim) -> None:
    smtp_sim.faults.update({"timeouts": 1, "hang_seconds": 3})
    with pytest.raises(NotifierError) as caught:
        mailer(session, smtp_sim, timeout_seconds=1).send(session, MESSAGE)
    assert caught.value.retryable is True


def test_server_down_is_retryable(session: Session) -> None:
    sim = SmtpSim()
    sim.start()
    notifier = mailer(session, sim)
    sim.stop()
    with pytest.raises(NotifierError) as caught:
        notifier.send(session, MESSAGE)
    assert caught.value.retryable is True and caught.value.code == "unreachable"


def test_starttls_required_but_not_offered_is_a_configuration_error(session: Session,
                                                                    smtp_sim: SmtpSim) -> None:
    with pytest.raises(NotifierError) as caught:
        mailer(session, smtp_sim, security="starttls").send(session, MESSAGE)
    assert caught.value.retryable is False and caught.value.code == "not_supported"


def test_without_login_the_relay_refuses_mail(session: Session, smtp_sim: SmtpSim) -> None:
    with pytest.raises(NotifierError) as caught:
        mailer(session, smtp_sim, username="").send(session, MESSAGE)
    assert caught.value.retryable is False and caught.value.code == "530"
