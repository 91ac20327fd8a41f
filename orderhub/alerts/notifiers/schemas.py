"""Request bodies of the notifier and inbox API."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Secret = Annotated[str, StringConstraints(max_length=2000)]


class NotifierPatch(BaseModel):
    """Keys left out keep their value; an empty secret removes it. Secrets are write-only."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool | None = None
    config: dict[str, Short | int | bool] | None = None
    secrets: dict[str, Secret] | None = None


class TestMessageIn(BaseModel):
    """Where the test goes; the in-app inbox test goes to the caller (a console user)."""

    model_config = ConfigDict(extra="forbid")
    to_phone: Short = ""
    to_email: Short = ""
    to_wecom_userid: Short = ""
    to_dingtalk_mobile: Short = ""


class Empty(BaseModel):
    model_config = ConfigDict(extra="forbid")
