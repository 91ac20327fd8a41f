"""Request body of the outbound-scan API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ScanIn(BaseModel):
    """What the scanner typed. Any text up to 1,000 characters is a scan (a wrong one answers
    200 with `ok: false`); only a body without `code` is malformed."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=1000)
    station: str = Field(default="", max_length=60)
