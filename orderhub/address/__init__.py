"""Chinese address parsing and scoring, phone validation (offline).

Public API used by other capabilities (rules, routing, customers):

- :func:`parse_address` -> :class:`ParsedAddress` (province/city/district, street, detail,
  adcode, confidence in [0, 1], vague, flags); confidence below 0.7 counts as vague.
- :func:`classify_phone` -> :class:`PhoneInfo` (mobile / landline / masked / virtual / invalid).
"""
from __future__ import annotations

from orderhub.address.parser import VAGUE_BELOW, parse_address
from orderhub.address.phone import classify_phone
from orderhub.address.types import FLAGS, PHONE_KINDS, ParsedAddress, PhoneInfo

__all__ = [
    "FLAGS", "PHONE_KINDS", "VAGUE_BELOW", "ParsedAddress", "PhoneInfo", "classify_phone", "parse_address",
]
