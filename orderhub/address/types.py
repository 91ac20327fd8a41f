"""Result types of address parsing and phone classification."""
from __future__ import annotations

from dataclasses import dataclass

FLAGS = frozenset({
    "landmark_relative", "no_house_number", "rural", "missing_province", "missing_city",
    "missing_district", "unparseable", "inconsistent", "abbreviated",
    "masked",  # the platform hid part of the detail (花*路***号): not judged vague for it
})
PHONE_KINDS = ("mobile", "landline", "masked", "virtual", "invalid")


@dataclass(frozen=True)
class ParsedAddress:
    province: str
    city: str
    district: str  # "" for cities without districts (东莞市, 中山市) and 仙桃市-like cities under a province
    street: str  # 街道/镇/乡 when present
    detail: str  # the rest after the division names
    adcode: str | None  # district (or deepest) administrative code when known
    confidence: float  # 0..1; < 0.7 counts as vague/unparseable for rules
    vague: bool
    flags: frozenset[str]


@dataclass(frozen=True)
class PhoneInfo:
    raw: str
    normalized: str  # digits, e.g. "13800138000", "057188888888"; "" if none; masked keep "*": "138****5678"
    kind: str  # "mobile" | "landline" | "masked" | "virtual" | "invalid"
    valid: bool  # True for mobile and landline
    extension: str | None  # e.g. "1234" for 13800138000-1234
