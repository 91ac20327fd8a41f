"""Carriers, carrier accounts, carrier rules and e-waybills (issue 6 items 1-3; docs/carriers.md)."""
