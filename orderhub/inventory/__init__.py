"""The central stock pool: SKUs, bundles, warehouses, stock levels, the movement ledger,
reservations with TTL, stocktake, replenishment and sellable stock per channel."""
