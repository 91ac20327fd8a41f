"""Aliyun SMS simulator: the `SendSms` RPC API (version 2017-05-25) at /, GET or POST.

Checks as Aliyun does: the AccessKeyId (404 InvalidAccessKeyId.NotFound), the Timestamp within
15 minutes (400 InvalidTimeStamp.Expired), a nonce never seen before (400 SignatureNonceUsed),
the v1 signature recomputed from the parameters it received (400 SignatureDoesNotMatch, with
the string it signed, as Aliyun shows it), then the business checks answered with HTTP 200 and
an `isv.*` Code: phone number, sign name, template, TemplateParam JSON, and sending limits
(isv.BUSINESS_LIMIT_CONTROL).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from orderhub.sim.platform import SimRequest, SimResponse
from orderhub.sim.service import ServiceSim

MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
CLOCK_SKEW = timedelta(minutes=15)


def string_to_sign(method: str, params: dict[str, str]) -> str:
    """Aliyun's side of signature v1, written apart from the client's so one bug cannot hide
    in both: RFC 3986 encoding (only A-Z a-z 0-9 - _ . ~ stay as they are)."""
    def enc(text: str) -> str:
        return quote(text.encode("utf-8"), safe="~")
    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    canonical = "&".join(enc(k) + "=" + enc(v) for k, v in pairs)
    return "&".join((method, enc("/"), enc(canonical)))


def signature(method: str, params: dict[str, str], secret: str) -> str:
    mac = hmac.new((secret + "&").encode("utf-8"), string_to_sign(method, params).encode("utf-8"),
                   hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


class AliyunSmsSim(ServiceSim):
    name = "aliyun_sms"

    def __init__(self, *, access_key_id: str = "sim-access-key-id",
                 access_key_secret: str = "sim-access-key-secret",
                 sign_names: tuple[str, ...] = ("订单中枢",),
                 template_codes: tuple[str, ...] = ("SMS_900001",), per_minute: int = 0,
                 **kw) -> None:
        super().__init__(per_minute=per_minute, **kw)
        self.access_key_id, self.access_key_secret = access_key_id, access_key_secret
        self.sign_names, self.template_codes = set(sign_names), set(template_codes)
        self._nonces: set[str] = set()

    def _answer(self, status: int, code: str, message: str, **extra: str) -> SimResponse:
        body = {"RequestId": str(uuid.uuid4()).upper(), "Code": code, "Message": message, **extra}
        if status != 200:
            body |= {"HostId": "dysmsapi.aliyuncs.com",
                     "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&product=Dysmsapi"}
        return SimResponse(status, body)

    def throttled(self, request: SimRequest) -> SimResponse:
        return self._answer(200, "isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1")

    def handle(self, request: SimRequest) -> SimResponse:
        if request.path != "/" or request.method not in ("GET", "POST"):
            return self._answer(404, "InvalidAction.NotFound",
                                "Specified api is not found, please check your url and method.")
        p = request.params
        if p.get("AccessKeyId") != self.access_key_id:
            return self.refuse("bad_key", self._answer(
                404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."))
        refused = self._check_signing(request.method, p)
        if refused is not None:
            return refused
        if p.get("Action") != "SendSms" or p.get("Version") != "2017-05-25":
            return self._answer(404, "InvalidAction.NotFound",
                                "Specified api is not found, please check your url and method.")
        return self._send(p)

    def _check_signing(self, method: str, p: dict[str, str]) -> SimResponse | None:
        try:
            sent_at = datetime.strptime(p.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return self.refuse("bad_timestamp", self._answer(
                400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."))
        if abs(self.now() - sent_at) > CLOCK_SKEW:
            return self.refuse("bad_timestamp", self._answer(
                400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."))
        if p.get("SignatureMethod") != "HMAC-SHA1" or p.get("SignatureVersion") != "1.0":
            return self.refuse("bad_sign", self._answer(
                400, "InvalidSignatureMethod", "Specified signature method is not supported."))
        expected = signature(method, p, self.access_key_secret)
        if p.get("Signature") != expected:
            return self.refuse("bad_sign", self._answer(
                400, "SignatureDoesNotMatch", "Specified signature is not matched with our "
                f"calculation. server string to sign is:{string_to_sign(method, p)}"))
        nonce = p.get("SignatureNonce", "")
        with self._lock:
            used = not nonce or nonce in self._nonces
            self._nonces.add(nonce)
        if used:
            return self.refuse("nonce_used", self._answer(
                400, "SignatureNonceUsed", "Specified signature nonce was used already."))
        return None

    def _send(self, p: dict[str, str]) -> SimResponse:
        phones = [n for n in p.get("PhoneNumbers", "").split(",") if n]
        if not phones or not all(MOBILE.match(n) for n in phones):
            return self.refuse("bad_phone", self._answer(200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"))
        if p.get("SignName") not in self.sign_names:
            return self.refuse("bad_sign_name", self._answer(
                200, "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名"))
        if p.get("TemplateCode") not in self.template_codes:
            return self.refuse("bad_template", self._answer(
                200, "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板"))
        try:
            variables = json.loads(p.get("TemplateParam") or "{}")
            if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
                raise ValueError
        except ValueError:
            return self.refuse("bad_param", self._answer(
                200, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值"))
        if not self.within_rate():
            return self.refuse("throttled", self.throttled(SimRequest("POST", "/", {}, {}, b"")))
        biz_id = f"{len(self.received) + 1:06d}{self.now():%H%M%S}^0"
        self.accept({"phones": phones, "sign_name": p["SignName"],
                     "template_code": p["TemplateCode"], "variables": variables,
                     "out_id": p.get("OutId"), "params": dict(p), "biz_id": biz_id})
        return self._answer(200, "OK", "OK", BizId=biz_id)
