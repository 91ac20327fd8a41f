"""Pick list, shipping list and the WMS spreadsheet round trip (SPEC §8)."""
