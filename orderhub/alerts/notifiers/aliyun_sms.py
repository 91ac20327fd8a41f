"""Aliyun SMS (阿里云短信) `SendSms`, an RPC-style API signed with signature v1 (HMAC-SHA1).

Signing: sort the parameters (without Signature), percent-encode keys and values per RFC 3986
(space -> %20, * -> %2A, ~ kept), join as k=v&..., StringToSign = METHOD&%2F&pe(joined),
Signature = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)). The test suite reproduces
Aliyun's documented example (zJDF+Lrzhj/ThnlvIToysFRq6t4=).

The message goes into an approved template; its variables are ${title}, ${level} and
${content} (each at most 35 characters, Aliyun's limit for notification variables).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from urllib.parse import quote

from sqlalchemy.orm import Session

from orderhub.alerts.notifiers import _http
from orderhub.alerts.notifiers.base import (
    Message,
    NotifierError,
    recipient,
    register,
    require,
)
from orderhub.alerts.notifiers.settings import ChannelSettings
from orderhub.core import clock

VARIABLE_LIMIT = 35
# Over the sending limits (per number per minute/hour/day, per account) or Aliyun busy.
RETRYABLE = {"isv.BUSINESS_LIMIT_CONTROL", "Throttling", "Throttling.User", "Throttling.Api",
             "ServiceUnavailable", "InternalError", "isp.SYSTEM_ERROR"}


def percent_encode(value: str) -> str:
    return quote(value, safe="-_.~")


def string_to_sign(method: str, params: dict[str, str]) -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}"
                         for k, v in sorted(params.items()) if k != "Signature")
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical)}"


def signature(method: str, params: dict[str, str], access_key_secret: str) -> str:
    digest = hmac.new(f"{access_key_secret}&".encode(),
                      string_to_sign(method, params).encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


class AliyunSms:
    channel = "sms"

    def __init__(self, stored: ChannelSettings) -> None:
        require(stored, "access_key_id", "access_key_secret", "sign_name", "template_code")
        self.key_id = stored.secrets["access_key_id"]
        self.key_secret = stored.secrets["access_key_secret"]
        self.url = stored.config["base_url"] + "/"
        self.region = stored.config["region_id"]
        self.sign_name = stored.config["sign_name"]
        self.template_code = stored.config["template_code"]
        self.timeout = float(stored.config["timeout_seconds"])

    def params(self, message: Message, *, nonce: str, timestamp: str) -> dict[str, str]:
        variables = {"title": message.title, "level": message.severity_word,
                     "content": message.text.replace("\n", " ")}
        params = {
            "Action": "SendSms", "Version": "2017-05-25", "RegionId": self.region,
            "Format": "JSON", "AccessKeyId": self.key_id, "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0", "SignatureNonce": nonce, "Timestamp": timestamp,
            "PhoneNumbers": recipient(message.to_phone, channel=self.channel, what="phone"),
            "SignName": self.sign_name, "TemplateCode": self.template_code,
            "TemplateParam": json.dumps({k: v[:VARIABLE_LIMIT] for k, v in variables.items()},
                                        ensure_ascii=False, separators=(",", ":")),
            "OutId": str(message.alert_id),
        }
        params["Signature"] = signature("POST", params, self.key_secret)
        return params

    def send(self, session: Session, message: Message) -> str:
        params = self.params(message, nonce=uuid.uuid4().hex,
                             timestamp=clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"))
        body = _http.call(self.channel, "POST", self.url, data=params,
                                  timeout=self.timeout)
        code = body.get("Code") if isinstance(body, dict) else None
        if code == "OK":
            return str(body.get("BizId") or "ok")
        text = body.get("Message", "") if isinstance(body, dict) else str(body)
        # Aliyun echoes the string it signed, AccessKeyId included: not for error logs or pages.
        text = text.split(" server string to sign is")[0]
        raise NotifierError(f"aliyun sms {code}: {text}", retryable=code in RETRYABLE,
                            channel=self.channel, code=code)


register("sms")(AliyunSms)
