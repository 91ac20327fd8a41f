"""Pydantic bodies of the address change API. Lengths only: the use case validates the
address itself (required fields, phone, province) so the console gets the same errors."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=120)
    phone: str = Field(max_length=40)
    province: str = Field(max_length=40)
    city: str = Field(max_length=60)
    district: str = Field(default="", max_length=60)
    street: str = Field(default="", max_length=120)
    detail: str = Field(max_length=500, description="Street, building, room")
    zip: str = Field(default="", max_length=20)


class CompensationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: int = Field(description="Minor units of the order's currency (fen): 500 = ¥5.00")
    note: str = Field(default="", max_length=200, examples=["运费补偿"])


class AddressChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: AddressIn
    reason: str = Field(max_length=500)
    compensation: CompensationIn | None = None
