"""WeCom (企业微信) group robot: POST {base}/cgi-bin/webhook/send?key=KEY with a markdown or text
message. The answer is always JSON with `errcode` (0 = sent); HTTP is 200 even for errors."""

from __future__ import annotations

from typing import Any

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

MARKDOWN_LIMIT = 4096  # bytes of markdown.content
TEXT_LIMIT = 2048  # bytes of text.content
# 45009 over the 20-per-minute limit; -1 "system busy" — both pass with time.
RETRYABLE = {45009, -1}
COLOURS = {"critical": "warning", "warning": "warning", "info": "info"}


class WeComRobot:
    channel = "wecom"

    def __init__(self, stored: ChannelSettings) -> None:
        require(stored, "key")
        self.key = stored.secrets["key"]
        self.url = stored.config["base_url"] + "/cgi-bin/webhook/send"
        self.msgtype = stored.config["msgtype"]
        self.timeout = float(stored.config["timeout_seconds"])

    def send(self, session: Session, message: Message) -> str:
        body = _http.call(self.channel, "POST", self.url, params={"key": self.key},
                                  json=self.body(message), timeout=self.timeout)
        errcode = body.get("errcode") if isinstance(body, dict) else None
        if errcode == 0:
            return "ok"
        raise NotifierError(f"wecom errcode {errcode}: {body.get('errmsg', '') if isinstance(body, dict) else body}",
                            retryable=errcode in RETRYABLE, channel=self.channel,
                            code=str(errcode))

    def body(self, message: Message) -> dict[str, Any]:
        if self.msgtype == "text":
            text = f"【{message.severity_word}】{message.title}\n{message.text}"
            content: dict[str, Any] = {"content": clip_bytes(text, TEXT_LIMIT)}
            if message.to_wecom_userid:
                content["mentioned_list"] = [message.to_wecom_userid]
            return {"msgtype": "text", "text": content}
        return {"msgtype": "markdown", "markdown": {"content": markdown(message)}}


def markdown(message: Message) -> str:
    """Title in the severity's colour, the text quoted, a link to acknowledge, an @mention
    (WeCom markdown mentions with <@userid>). The text is shortened, never the link."""
    head = (f'**<font color="{COLOURS.get(message.severity, "comment")}">'
            f"【{message.severity_word}】{message.title}</font>**\n")
    tail = ""
    if message.ack_url:
        tail += f"\n[点击确认处理]({message.ack_url})"
    if message.to_wecom_userid:
        tail += f"\n<@{message.to_wecom_userid}>"
    room = MARKDOWN_LIMIT - len((head + tail).encode("utf-8"))
    quoted = "\n".join("> " + line for line in message.text.splitlines() if line.strip())
    return head + clip_bytes(quoted, max(room, 0)) + tail


register("wecom")(WeComRobot)
