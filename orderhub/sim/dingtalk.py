"""DingTalk custom robot simulator with the "加签" (sign) security setting:
POST /robot/send?access_token=T&timestamp=MS&sign=S.

Checks as DingTalk does: the token (300001 token is not exist), the timestamp within an hour
of its clock (310000 invalid timestamp), the signature base64(HMAC-SHA256(secret, timestamp
+ "\\n" + secret)) after URL-decoding (310000 sign not match), optional keywords (310000
keywords not in content), 20 messages a minute (130101 send too fast). HTTP 200 throughout.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from orderhub.sim.platform import SimRequest, SimResponse
from orderhub.sim.service import ServiceSim

PER_MINUTE = 20


def _error(errcode: int, errmsg: str) -> SimResponse:
    return SimResponse(200, {"errcode": errcode, "errmsg": errmsg})


class DingTalkSim(ServiceSim):
    name = "dingtalk"

    def __init__(self, *, access_token: str = "sim-dingtalk-token",
                 secret: str = "SECsim-dingtalk-secret", keywords: tuple[str, ...] = (),
                 per_minute: int = PER_MINUTE, **kw) -> None:
        super().__init__(per_minute=per_minute, **kw)
        self.access_token, self.secret = access_token, secret
        self.keywords = tuple(keywords)

    def throttled(self, request: SimRequest) -> SimResponse:
        return _error(130101, "send too fast, exceed 20 times per minute")

    def expected_sign(self, timestamp: str) -> str:
        digest = hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(),
                          hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def handle(self, request: SimRequest) -> SimResponse:
        if request.path != "/robot/send" or request.method != "POST":
            return SimResponse(404, {"errcode": 404, "errmsg": "not found"})
        q = request.query  # already URL-decoded once, as DingTalk decodes it
        if q.get("access_token") != self.access_token:
            return self.refuse("bad_token", _error(300001, "token is not exist"))
        timestamp = q.get("timestamp", "")
        now_ms = int(self.now().timestamp() * 1000)
        if not timestamp.isdigit() or abs(now_ms - int(timestamp)) > 3_600_000:
            return self.refuse("bad_timestamp", _error(
                310000, "invalid timestamp, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"))
        if not hmac.compare_digest(q.get("sign", ""), self.expected_sign(timestamp)):
            return self.refuse("bad_sign", _error(
                310000, "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"))
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return self.refuse("bad_body", _error(43004, "无效的HTTP HEADER Content-Type"))
        msgtype = body.get("msgtype") if isinstance(body, dict) else None
        if msgtype == "markdown":
            md = body.get("markdown") or {}
            content = f"{md.get('title', '')}\n{md.get('text', '')}"
            if not md.get("title") or not md.get("text"):
                return self.refuse("bad_body", _error(400002, "缺少参数 markdown.title/text"))
        elif msgtype == "text":
            content = (body.get("text") or {}).get("content") or ""
            if not content:
                return self.refuse("bad_body", _error(400002, "缺少参数 text.content"))
        else:
            return self.refuse("bad_body", _error(400101, "msgtype不合法"))
        if self.keywords and not any(k in content for k in self.keywords):
            return self.refuse("no_keyword", _error(
                310000, "keywords not in content, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"))
        if not self.within_rate():
            return self.refuse("throttled", self.throttled(request))
        self.accept({"msgtype": msgtype, "body": body, "timestamp": timestamp,
                     "sign": q.get("sign")})
        return _error(0, "ok")
