"""DingTalk (钉钉) custom robot with the "加签" security setting:
POST {base}/robot/send?access_token=T&timestamp=MS&sign=S where
S = urlencode(base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" + secret))).
DingTalk refuses a timestamp more than an hour away from its own clock."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from orderhub.alerts.notifiers import _http
from orderhub.alerts.notifiers.base import (
    Message,
    NotifierError,
    clip_bytes,
    register,
    require,
)
from orderhub.alerts.notifiers.settings import ChannelSettings
from orderhub.core import clock

TEXT_LIMIT = 20_000  # DingTalk's documented message size, in bytes
# 130101 "send too fast" (20 a minute); -1 system busy.
RETRYABLE = {130101, -1}


def sign(timestamp_ms: str, secret: str) -> str:
    """base64 of the HMAC, not yet URL-encoded (urlencode does that once, with quote_plus)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class DingTalkRobot:
    channel = "dingtalk"

    def __init__(self, stored: ChannelSettings) -> None:
        require(stored, "access_token", "secret")
        self.token, self.secret = stored.secrets["access_token"], stored.secrets["secret"]
        self.url = stored.config["base_url"] + "/robot/send"
        self.msgtype = stored.config["msgtype"]
        self.keyword = stored.config["keyword"]
        self.timeout = float(stored.config["timeout_seconds"])

    def signed_url(self) -> str:
        timestamp = str(int(clock.now().timestamp() * 1000))
        # Built by hand rather than by httpx's params: the "+" of base64 must arrive as %2B,
        # exactly as DingTalk's own samples encode it.
        query = urlencode({"access_token": self.token, "timestamp": timestamp,
                           "sign": sign(timestamp, self.secret)})
        return f"{self.url}?{query}"

    def send(self, session: Session, message: Message) -> str:
        body = _http.call(self.channel, "POST", self.signed_url(),
                                  json=self.body(message), timeout=self.timeout)
        errcode = body.get("errcode") if isinstance(body, dict) else None
        if errcode == 0:
            return "ok"
        errmsg = body.get("errmsg", "") if isinstance(body, dict) else str(body)
        raise NotifierError(f"dingtalk errcode {errcode}: {errmsg}",
                            retryable=errcode in RETRYABLE, channel=self.channel,
                            code=str(errcode))

    def body(self, message: Message) -> dict[str, Any]:
        title = f"【{message.severity_word}】{message.title}"
        if self.keyword and self.keyword not in title + message.text:
            title = f"{self.keyword} {title}"  # a robot with the keyword setting needs it
        mention = f"@{message.to_dingtalk_mobile}" if message.to_dingtalk_mobile else ""
        at = {"atMobiles": [message.to_dingtalk_mobile] if message.to_dingtalk_mobile else [],
              "isAtAll": False}
        if self.msgtype == "text":
            text = clip_bytes(f"{title}\n{message.text}", TEXT_LIMIT - 100)
            return {"msgtype": "text", "text": {"content": f"{text}\n{mention}".rstrip()},
                    "at": at}
        lines = [f"### {title}", "", *(f"> {line}" for line in message.text.splitlines()
                                      if line.strip())]
        if message.ack_url:
            lines += ["", f"[点击确认处理]({message.ack_url})"]
        if mention:
            lines += ["", mention]  # DingTalk only notifies a mobile that appears in the text
        return {"msgtype": "markdown",
                "markdown": {"title": title, "text": clip_bytes("\n".join(lines), TEXT_LIMIT - 200)},
                "at": at}


register("dingtalk")(DingTalkRobot)
