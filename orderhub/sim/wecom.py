"""WeCom group robot simulator: POST /cgi-bin/webhook/send?key=KEY.

Checks as WeCom does: the key (93000 invalid webhook url), the message type and its content
(44004 empty content, 40058 content too long: text 2048 bytes, markdown 4096), 20 messages a
minute per robot (45009 api freq out of limit). Errors come back as HTTP 200 with errcode, as
WeCom answers them.
"""

from __future__ import annotations

import json

from orderhub.sim.platform import SimRequest, SimResponse
from orderhub.sim.service import ServiceSim

LIMITS = {"text": 2048, "markdown": 4096}
PER_MINUTE = 20


def _error(errcode: int, errmsg: str) -> SimResponse:
    return SimResponse(200, {"errcode": errcode, "errmsg": errmsg})


class WeComSim(ServiceSim):
    name = "wecom"

    def __init__(self, *, key: str = "sim-wecom-key", per_minute: int = PER_MINUTE, **kw) -> None:
        super().__init__(per_minute=per_minute, **kw)
        self.key = key

    def throttled(self, request: SimRequest) -> SimResponse:
        return _error(45009, "api freq out of limit, hint: [sim]")

    def handle(self, request: SimRequest) -> SimResponse:
        if request.path != "/cgi-bin/webhook/send" or request.method != "POST":
            return SimResponse(404, "<html><body>404 Not Found</body></html>")
        if request.query.get("key") != self.key:
            return self.refuse("bad_key", _error(93000, "invalid webhook url, hint: [sim]"))
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return self.refuse("bad_body", _error(40016, "invalid json format, hint: [sim]"))
        msgtype = body.get("msgtype") if isinstance(body, dict) else None
        if msgtype not in LIMITS:
            return self.refuse("bad_body", _error(40008, "invalid message type, hint: [sim]"))
        content = (body.get(msgtype) or {}).get("content") or ""
        if not content:
            return self.refuse("bad_body", _error(44004, "empty content, hint: [sim]"))
        if len(content.encode("utf-8")) > LIMITS[msgtype]:
            return self.refuse("too_long", _error(
                40058, f"{msgtype}.content exceed max length {LIMITS[msgtype]}. hint: [sim]"))
        if not self.within_rate():
            return self.refuse("throttled", self.throttled(request))
        self.accept({"msgtype": msgtype, "content": content, "body": body,
                     "content_type": request.headers.get("content-type", "")})
        return _error(0, "ok")
