"""Request bodies of the alerts API (the escalation policy's own model is escalation.Policy)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=500)
