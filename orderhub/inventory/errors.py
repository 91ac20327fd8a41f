"""Typed errors of the stock pool (mapped to HTTP by orderhub.api.errors like every DomainError)."""

from __future__ import annotations

from orderhub.core.errors import Conflict, InvalidInput, NotFound


class UnknownSku(InvalidInput):
    code = "unknown_sku"


class UnknownWarehouse(NotFound):
    code = "unknown_warehouse"


class InsufficientStock(Conflict):
    code = "insufficient_stock"


class NothingReserved(Conflict):
    code = "nothing_reserved"


class StocktakeStateError(Conflict):
    code = "stocktake_state"
