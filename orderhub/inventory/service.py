"""Use cases of the stock pool. The code lives in modules by use case; this is the one place
other capabilities import them from (routing, rules, fulfilment, the API, the CLI)."""

from __future__ import annotations

from orderhub.inventory.board import warehouse_load
from orderhub.inventory.catalog import SkuInfo, expand, sku_info, warehouses
from orderhub.inventory.catalog import components as catalog_components
from orderhub.inventory.ledger import Difference, rebuild, verify
from orderhub.inventory.masterdata import set_bundle, upsert_sku, upsert_warehouse
from orderhub.inventory.reservations import (
                                             active_reservations,
                                             availability,
                                             confirm,
                                             consume,
                                             default_expiry,
                                             expire_due,
                                             release,
                                             reserve,
                                             set_ttl_minutes,
                                             ttl_minutes,
)
from orderhub.inventory.stock import (
                                             adjust,
                                             find_sku,
                                             find_warehouse,
                                             level_of,
                                             receive,
                                             set_level,
                                             transfer,
)

__all__ = [
                                             "Difference",
                                             "SkuInfo",
                                             "active_reservations",
                                             "adjust",
                                             "availability",
                                             "catalog_components",
                                             "confirm",
                                             "consume",
                                             "default_expiry",
                                             "expand",
                                             "expire_due",
                                             "find_sku",
                                             "find_warehouse",
                                             "level_of",
                                             "rebuild",
                                             "receive",
                                             "release",
                                             "reserve",
                                             "set_bundle",
                                             "set_level",
                                             "set_ttl_minutes",
                                             "sku_info",
                                             "transfer",
                                             "ttl_minutes",
                                             "upsert_sku",
                                             "upsert_warehouse",
                                             "verify",
                                             "warehouse_load",
                                             "warehouses",
]

# Stocktake, replenishment, sellable stock and the board are modules of their own:
# orderhub.inventory.stocktake / replenishment / sellable / board / importer.
