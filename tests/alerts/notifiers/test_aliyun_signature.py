"""Signature v1 against Aliyun's documented SendSms example (AccessKeyId testId, secret
testSecret), in both our client and the simulator's separately written check."""

from __future__ import annotations

from orderhub.alerts.notifiers import aliyun_sms
from orderhub.sim import aliyun_sms as sim

# The example request of Aliyun's SMS signature documentation, exactly.
DOCUMENTED = {
    "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
    "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}', "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
DOCUMENTED_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26"
    "PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587"
    "%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8"
    "%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D45e25e9b-0a6f-4070-"
    "8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007%26TemplateParam%3D"
    "%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z"
    "%26Version%3D2017-05-25")
DOCUMENTED_SIGNATURE = "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_client_reproduces_the_documented_string_to_sign_and_signature() -> None:
    assert aliyun_sms.string_to_sign("GET", DOCUMENTED) == DOCUMENTED_STRING_TO_SIGN
    assert aliyun_sms.signature("GET", DOCUMENTED, "testSecret") == DOCUMENTED_SIGNATURE


def test_simulator_reproduces_the_documented_signature() -> None:
    assert sim.string_to_sign("GET", DOCUMENTED) == DOCUMENTED_STRING_TO_SIGN
    assert sim.signature("GET", DOCUMENTED, "testSecret") == DOCUMENTED_SIGNATURE


def test_signature_ignores_a_signature_parameter_and_depends_on_method_and_secret() -> None:
    signed = dict(DOCUMENTED, Signature=DOCUMENTED_SIGNATURE)
    assert aliyun_sms.signature("GET", signed, "testSecret") == DOCUMENTED_SIGNATURE
    assert aliyun_sms.signature("POST", DOCUMENTED, "testSecret") != DOCUMENTED_SIGNATURE
    assert aliyun_sms.signature("GET", DOCUMENTED, "testsecret") != DOCUMENTED_SIGNATURE


def test_percent_encoding_follows_rfc_3986() -> None:
    assert aliyun_sms.percent_encode("a b*~") == "a%20b%2A~"
    assert aliyun_sms.percent_encode("派/=+&") == "%E6%B4%BE%2F%3D%2B%26"
