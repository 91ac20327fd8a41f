"""Warehouse routing (SPEC §5): region rules, weighted scoring, split / transfer / backorder."""
