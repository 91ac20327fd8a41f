"""Request bodies read and checked by us, not by FastAPI, so that every refusal has our error
code, authentication comes before parsing, and refused input can be quarantined verbatim."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from orderhub.api.errors import (BodyTooLarge, InvalidEncoding, MalformedJson, describe_errors,
                                 validation_failed)
from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput
from orderhub.core.quarantine import quarantine

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class RawBody:
    """The bytes as sent (only their beginning when too large), checked on first use."""

    data: bytes
    size: int
    content_type: str | None
    too_large: BodyTooLarge | None = field(default=None, compare=False)

    @cached_property
    def document(self) -> Any:
        """The JSON document; refuses bad size, encoding and syntax, each with its own code."""
        if self.too_large is not None:
            raise self.too_large
        try:
            text = self.data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InvalidEncoding("the body is not valid UTF-8",
                                  details={"byte_offset": err.start}) from None
        if not text.strip():
            raise MalformedJson("a JSON body is required")
        try:
            document = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
        except json.JSONDecodeError as err:
            raise MalformedJson(f"the body is not valid JSON: {err.msg}",
                                details={"line": err.lineno, "column": err.colno}) from None
        except ValueError:  # an integer of thousands of digits
            raise MalformedJson("the JSON body has a number too long to read") from None
        except RecursionError:
            raise MalformedJson("the JSON body is nested too deeply") from None
        _refuse_unstorable_text(document)
        return document

    def parse(self, model: type[M]) -> M:
        self.document  # noqa: B018  (size, encoding and syntax are refused first, with their codes)
        try:
            return model.model_validate_json(self.data)
        except ValidationError as err:
            errors = err.errors(include_url=False, include_input=False, include_context=False)
            raise validation_failed(describe_errors(errors, place="body")) from None


async def read_body(request: Request) -> RawBody:
    content_type = request.headers.get("content-type")
    try:
        data = await request.body()
    except BodyTooLarge as refusal:
        return RawBody(data=refusal.sample, size=refusal.size, content_type=content_type,
                       too_large=refusal)
    return RawBody(data=data, size=len(data), content_type=content_type)


@contextmanager
def quarantined_on_refusal(body: RawBody, *, source: str) -> Iterator[None]:
    """Input refused as invalid is kept for a person to see, in a transaction of its own: the
    refused use case has rolled back by the time we get here, so nothing else survives it."""
    try:
        yield
    except InvalidInput as refusal:
        with unit_of_work() as session:
            row = quarantine(session, source=source, reason_code=refusal.code,
                             reason=_reason(refusal), raw=body.data,
                             content_type=body.content_type, size_bytes=body.size)
        refusal.details = {**refusal.details, "quarantine_id": row.id}
        raise


def _reason(refusal: InvalidInput) -> str:
    if not refusal.details:
        return refusal.message
    return f"{refusal.message} {json.dumps(refusal.details, ensure_ascii=False, default=str)}"


def _refuse_constant(name: str) -> Any:
    raise MalformedJson(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    # 1e400 reads as infinity, which PostgreSQL's jsonb cannot store with the raw payload.
    value = float(text)
    if not math.isfinite(value):
        raise MalformedJson(f"the number {text[:40]} is out of range")
    return value


def _refuse_unstorable_text(document: Any) -> None:
    """NUL and unpaired surrogates are valid JSON escapes that no database text column holds."""
    pending = [document]
    while pending:  # a loop, not recursion: the depth is whatever the sender chose
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str) and not _storable(value):
            raise InvalidEncoding("the body contains a NUL character or an unpaired surrogate")


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
