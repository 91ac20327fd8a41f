"""One HTTP call to a messaging service, with its failures sorted into retryable or not."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx

from orderhub.alerts.notifiers.base import NotifierError
from orderhub.core.http import shared_client

# WeCom's robot key and DingTalk's access token travel in the query string, and httpx logs
# every request URL at INFO (the worker logs at INFO): blank them in those records.
SECRET_QUERY = re.compile(r"\b(key|access_token|sign|AccessKeyId|Signature)=[^&\s\"']+")


def _redact(value: Any) -> Any:
    return SECRET_QUERY.sub(r"\1=***", str(value)) if isinstance(value, str | httpx.URL) else value


class _RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(a) for a in record.args)
        return True


logging.getLogger("httpx").addFilter(_RedactSecrets())


def call(channel: str, method: str, url: str, *, timeout: float, **kwargs: Any) -> Any:
    """The parsed JSON body (services answer errors in JSON too). Transport trouble, 5xx and
    429 are retryable; a 4xx that is not JSON means a wrong URL, which is not."""
    try:
        response = shared_client(timeout).request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise NotifierError(f"{channel}: no answer within {timeout:g} s ({type(exc).__name__})",
                            retryable=True, channel=channel, code="timeout") from exc
    except httpx.TransportError as exc:
        raise NotifierError(f"{channel}: cannot reach {_host(url)}: {exc}", retryable=True,
                            channel=channel, code="unreachable") from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise NotifierError(f"{channel}: HTTP {response.status_code} from {_host(url)}",
                            retryable=True, channel=channel, code=str(response.status_code))
    try:
        return response.json()
    except ValueError:
        raise NotifierError(f"{channel}: HTTP {response.status_code}, not JSON, from {_host(url)}",
                            retryable=response.status_code < 400, channel=channel,
                            code=str(response.status_code)) from None


def _host(url: str) -> str:
    # Never the query: it carries the robot key or access token.
    return httpx.URL(url).host
