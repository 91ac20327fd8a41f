"""Bodies of the API's own write routes (the order itself is orderhub.orders.schemas.OrderIn).

Unknown fields are refused: a misspelt "reson" must not silently cancel an order with no reason.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                  max_length=60)]
    reason: Annotated[str, StringConstraints(max_length=2000)] = ""


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution: Reason
