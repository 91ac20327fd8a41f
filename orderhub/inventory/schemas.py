"""Bodies of the inventory API's write routes. Unknown fields are refused."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComponentIn(Strict):
    sku: Code
    ratio: int = Field(gt=0, le=1000)


class SkuIn(Strict):
    code: Code
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    category: Annotated[str, StringConstraints(max_length=60)] = ""
    barcode: Annotated[str, StringConstraints(max_length=64)] | None = None
    weight_g: int = Field(default=0, ge=0, le=1_000_000)
    purchase_limited: bool = False
    presale: bool = False
    active: bool = True
    components: list[ComponentIn] | None = Field(default=None, max_length=50,
                                                 description="Makes the SKU a bundle.")


class WarehouseIn(Strict):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    province: Annotated[str, StringConstraints(max_length=40)] = ""
    city: Annotated[str, StringConstraints(max_length=60)] = ""
    daily_capacity: int = Field(default=0, ge=0, le=10_000_000)
    serves_provinces: list[str] = Field(default_factory=list, max_length=40)
    delivery_days: dict[str, int] = Field(default_factory=dict)
    error_rate: float = Field(default=0.0, ge=0, le=1)
    active: bool = True


class ReceiveIn(Strict):
    sku: Code
    warehouse: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    quantity: int = Field(gt=0, le=10_000_000)
    reason: Text = "receipt"
    from_transit: bool = False


class SetLevelIn(Strict):
    sku: Code
    warehouse: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    on_hand: int | None = Field(default=None, ge=0, le=100_000_000)
    safety_stock: int | None = Field(default=None, ge=0, le=100_000_000)
    in_transit: int | None = Field(default=None, ge=0, le=100_000_000)
    reason: Text = "set"


class StocktakeIn(Strict):
    warehouse: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    note: Annotated[str, StringConstraints(max_length=2000)] = ""


class CountIn(Strict):
    sku: Code
    counted: int = Field(ge=0, le=100_000_000)
    reason: Text = ""


class CountsIn(Strict):
    counts: list[CountIn] = Field(min_length=1, max_length=5000)


class DecisionIn(Strict):
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


WarehouseRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class TransferIn(Strict):
    sku: Code
    from_warehouse: WarehouseRef
    to_warehouse: WarehouseRef
    quantity: int = Field(gt=0, le=10_000_000)
    expected_at: AwareDatetime = Field(description="Expected arrival at the destination.")
    note: Text = ""


class ChannelRuleIn(Strict):
    shop: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    warehouse_codes: list[WarehouseRef] = Field(default_factory=list, max_length=100,
                                                description="Empty = every active warehouse.")
    share_pct: int = Field(default=100, ge=0, le=100)
    use_safety_stock: bool = Field(default=True, description="Hold the safety stock back.")
    active: bool = True
