"""Aliyun SendSms against its simulator over real HTTP: the simulator recomputes signature v1
from what arrived, as Aliyun does."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy.orm import Session

from orderhub.alerts.notifiers import NotifierError
from orderhub.sim.aliyun_sms import AliyunSmsSim
from tests.alerts.notifiers.conftest import MESSAGE, configured, message


def sms(session: Session, sim: AliyunSmsSim, *, key_id: str = "LTAI-test",
        secret: str = "ak-secret", **config: object):
    return configured(session, "sms", config={"base_url": sim.url, "sign_name": "订单中枢",
                                              "template_code": "SMS_900001", **config},
                      secrets={"access_key_id": key_id, "access_key_secret": secret})


def test_send_sms_is_signed_and_fills_the_template(session: Session, sms_sim: AliyunSmsSim) -> None:
    biz_id = sms(session, sms_sim).send(session, MESSAGE)
    [got] = sms_sim.received
    assert biz_id == got["biz_id"]
    assert got["phones"] == ["13800001111"] and got["out_id"] == "42"
    assert got["sign_name"] == "订单中枢" and got["template_code"] == "SMS_900001"
    assert got["variables"] == {"title": "订单 2611230001 接单超时", "level": "紧急",
                                "content": MESSAGE.text.replace("\n", " ")[:35]}
    assert len(got["variables"]["content"]) == 35  # Aliyun's limit per variable
    params = got["params"]
    assert {k: params[k] for k in ("Action", "Version", "RegionId", "Format", "SignatureMethod",
                                   "SignatureVersion")} == {
        "Action": "SendSms", "Version": "2017-05-25", "RegionId": "cn-hangzhou", "Format": "JSON",
        "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0"}
    assert json.loads(params["TemplateParam"]) == got["variables"]


def test_wrong_secret_gets_signature_does_not_match_and_is_not_retried(
        session: Session, sms_sim: AliyunSmsSim) -> None:
    with pytest.raises(NotifierError) as caught:
        sms(session, sms_sim, secret="not-the-secret").send(session, MESSAGE)
    assert caught.value.retryable is False and caught.value.code == "SignatureDoesNotMatch"
    assert "Specified signature is not matched with our calculation" in caught.value.message
    assert "LTAI-test" not in caught.value.message  # Aliyun's echo of the signed string is cut
    assert sms_sim.received == [] and sms_sim.refused["bad_sign"] == 1


def test_unknown_access_key_is_not_retried(session: Session, sms_sim: AliyunSmsSim) -> None:
    with pytest.raises(NotifierError) as caught:
        sms(session, sms_sim, key_id="LTAI-other").send(session, MESSAGE)
    assert caught.value.retryable is False and caught.value.code == "InvalidAccessKeyId.NotFound"


def test_unknown_template_and_missing_phone_are_not_retried(session: Session,
                                                            sms_sim: AliyunSmsSim) -> None:
    with pytest.raises(NotifierError) as caught:
        sms(session, sms_sim, template_code="SMS_000000").send(session, MESSAGE)
    assert caught.value.code == "isv.SMS_TEMPLATE_ILLEGAL" and not caught.value.retryable
    with pytest.raises(NotifierError) as caught:
        sms(session, sms_sim).send(session, message(to_phone=None))
    assert caught.value.code == "no_recipient" and not caught.value.retryable
    assert sms_sim.received == []


@pytest.mark.parametrize("fault, code", [({"throttle": 1}, "isv.BUSINESS_LIMIT_CONTROL"),
                                         ({"errors": 1}, "502")])
def test_limit_control_and_5xx_are_retryable(session: Session, sms_sim: AliyunSmsSim,
                                             fault: dict[str, int], code: str) -> None:
    sms_sim.faults.update(fault)
    notifier = sms(session, sms_sim)
    with pytest.raises(NotifierError) as caught:
        notifier.send(session, MESSAGE)
    assert caught.value.retryable is True and caught.value.code == code
    notifier.send(session, MESSAGE)
    assert len(sms_sim.received) == 1


def test_a_replayed_request_is_refused_for_its_used_nonce(session: Session,
                                                          sms_sim: AliyunSmsSim) -> None:
    sms(session, sms_sim).send(session, MESSAGE)
    replay = httpx.post(sms_sim.url + "/", data=sms_sim.received[0]["params"])
    assert replay.status_code == 400 and replay.json()["Code"] == "SignatureNonceUsed"
    assert len(sms_sim.received) == 1
