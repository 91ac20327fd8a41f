"""Kuaidi100 (快递100) on the wire: subscribe (`poll`), query (`poll/query.do`) and the push we
receive. Formats per the official java-demo (REFERENCE.md §7):

- query:     form customer, sign = UPPER(MD5(param + key + customer)), param (JSON)
- subscribe: form schema=json, param (JSON holding the key, callbackurl and salt); no sign
- push:      form param (JSON), sign = UPPER(MD5(param + salt))

Times in Kuaidi100's data are Beijing wall-clock ("2024-05-18 10:00:00").
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orderhub.core.http import shared_client

BEIJING = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
PUSH_REPLY = {"result": True, "returnCode": "200", "message": "成功"}
ALREADY_SUBSCRIBED = "501"

STATE_NAMES = {"0": "在途", "1": "揽收", "2": "疑难", "3": "签收", "4": "退签", "5": "派件",
               "6": "退回", "7": "转投", "14": "拒签"}
SIGNED = "3"
RETURNED = frozenset({"4", "6", "14"})  # 退签, 退回, 拒签: the parcel is not reaching the buyer


class Kuaidi100Error(RuntimeError):
    """Kuaidi100 refused or could not be reached; the outbox retries the work."""


class Scan(BaseModel):
    model_config = ConfigDict(extra="ignore")
    time: str
    context: str = ""
    status: str = ""
    area_name: str = Field(default="", alias="areaName")

    @property
    def at(self) -> datetime:
        return parse_time(self.time)


class Result(BaseModel):
    """The tracking record: a query's answer, or a push's lastResult."""

    model_config = ConfigDict(extra="ignore")
    nu: str
    state: str | None = None
    ischeck: str = "0"
    com: str = ""
    data: list[Scan] = []


class Push(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: str  # polling | shutdown | abort | updateall
    message: str = ""
    last_result: Result = Field(alias="lastResult")


class BadPush(ValueError):
    """The push's param is not the JSON Kuaidi100 sends."""


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=BEIJING).astimezone(UTC)


def format_time(at: datetime) -> str:
    return at.astimezone(BEIJING).strftime(TIME_FORMAT)


def push_sign(param: str, salt: str) -> str:
    return hashlib.md5((param + salt).encode("utf-8")).hexdigest().upper()


def query_sign(param: str, key: str, customer: str) -> str:
    return hashlib.md5((param + key + customer).encode("utf-8")).hexdigest().upper()


def verify_push(param: str, sign: str, salt: str) -> bool:
    return hmac.compare_digest(push_sign(param, salt), sign.upper())


def parse_push(param: str) -> Push:
    try:
        return Push.model_validate_json(param)
    except ValidationError as exc:
        raise BadPush(f"not a Kuaidi100 push: {exc.errors(include_url=False)[:3]}") from exc


@dataclass
class Kuaidi100Client:
    base_url: str
    customer: str
    key: str
    timeout: float = 10.0

    def subscribe(self, *, company: str, number: str, callback_url: str, salt: str) -> None:
        """Ask Kuaidi100 to push this parcel's scans to callback_url; already subscribed is fine."""
        param = {"company": company, "number": number, "from": "", "to": "", "key": self.key,
                 "parameters": {"callbackurl": callback_url, "salt": salt, "resultv2": "1",
                                "autoCom": "0", "phone": ""}}
        answer = self._post("/poll", {"schema": "json", "param": _dumps(param)})
        if not answer.get("result") and str(answer.get("returnCode")) != ALREADY_SUBSCRIBED:
            raise Kuaidi100Error(f"subscribe {number} refused: {answer.get('returnCode')} "
                                 f"{answer.get('message')}")

    def query(self, *, company: str, number: str) -> Result:
        param = _dumps({"com": company, "num": number, "phone": "", "from": "", "to": "",
                        "resultv2": "1", "show": "0", "order": "desc"})
        answer = self._post("/poll/query.do", {"customer": self.customer, "param": param,
                                               "sign": query_sign(param, self.key, self.customer)})
        if answer.get("result") is False or str(answer.get("status", "200")) != "200":
            raise Kuaidi100Error(f"query {number} refused: {answer.get('returnCode')} "
                                 f"{answer.get('message')}")
        try:
            return Result.model_validate(answer)
        except ValidationError as exc:
            raise Kuaidi100Error(f"query {number}: unexpected answer {str(answer)[:300]}") from exc

    def _post(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        try:
            response = shared_client(self.timeout).post(self.base_url.rstrip("/") + path, data=form)
        except httpx.HTTPError as exc:
            raise Kuaidi100Error(f"Kuaidi100 unreachable: {exc!r}") from exc
        if response.status_code != 200:
            raise Kuaidi100Error(f"Kuaidi100 answered HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as exc:
            raise Kuaidi100Error(f"Kuaidi100 answered non-JSON: {response.text[:200]!r}") from exc
        if not isinstance(answer, dict):
            raise Kuaidi100Error(f"Kuaidi100 answered {str(answer)[:200]}")
        return answer


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
