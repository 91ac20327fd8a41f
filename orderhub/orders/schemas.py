"""The canonical order input (SPEC §1, the own-store / generic channel JSON) and API output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Limits match the columns in orders/models.py, so nothing too long ever reaches the database.
Text = Annotated[str, StringConstraints(max_length=2000)]
Str40 = Annotated[str, StringConstraints(max_length=40)]
Str60 = Annotated[str, StringConstraints(max_length=60)]
Str80 = Annotated[str, StringConstraints(max_length=80)]
Str120 = Annotated[str, StringConstraints(max_length=120)]

Money = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=24)]

# What a platform may tell us about an order's state; mapped onto our lifecycle by the service.
InputStatus = Literal["pending_payment", "unpaid", "paid", "cancelled", "closed",
                      "shipped", "delivered", "completed"]


class BuyerIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: Str120 | None = None
    nick: Str120 | None = None


class ReceiverIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: Str120 = ""
    phone: Str40 = ""
    province: Str40 = ""
    city: Str60 = ""
    district: Str60 = ""
    street: Str120 = ""
    address: Annotated[str, StringConstraints(max_length=500)] = ""
    zip: Annotated[str, StringConstraints(max_length=20)] = ""
    country: Annotated[str, StringConstraints(min_length=2, max_length=2)] = "CN"


class LineIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    platform_sku: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    sku: Annotated[str, StringConstraints(max_length=120)] | None = None
    platform_line_id: Str80 | None = None
    title: Annotated[str, StringConstraints(max_length=500)] = ""
    quantity: Annotated[int, Field(gt=0, le=100_000, strict=True)]
    unit_price: Money
    discount: Money = "0"
    refund_status: Literal["none", "requested", "refunding", "refunded", "rejected"] = "none"


class OrderIn(BaseModel):
    """Field names are part of the API contract; unknown extra fields are kept in the raw payload."""

    model_config = ConfigDict(extra="allow")
    shop: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    platform_order_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                        max_length=80)]
    status: InputStatus = "paid"
    created_at: datetime
    paid_at: datetime | None = None
    modified_at: datetime | None = None
    buyer: BuyerIn = Field(default_factory=BuyerIn)
    receiver: ReceiverIn
    buyer_remark: Text = ""
    seller_memo: Text = ""
    currency: Annotated[str, StringConstraints(min_length=3, max_length=3)] = "CNY"
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=500)]
    shipping_fee: Money = "0"
    total: Money | None = None
    presale: bool = False
    promised_ship_at: datetime | None = None
    tags: Annotated[list[Str40], Field(max_length=50)] = Field(default_factory=list)
    priority: Annotated[int, Field(ge=-1000, le=1000)] = 0
