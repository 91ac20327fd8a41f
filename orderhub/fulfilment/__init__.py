"""Fulfilment and logistics: carriers and their accounts, carrier rules, e-waybills, labels,
pick and shipping lists, the outbound scan, tracking (issue 6; SPEC §8)."""
