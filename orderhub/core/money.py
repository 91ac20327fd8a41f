"""Exact money: integer minor units (fen, cents) plus an ISO 4217 code. Never floats."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from orderhub.core.errors import InvalidInput

# Currencies our sellers meet, with their number of minor-unit digits (ISO 4217).
MINOR_DIGITS = {
    "CNY": 2, "HKD": 2, "TWD": 2, "USD": 2, "EUR": 2, "GBP": 2, "AUD": 2, "CAD": 2, "SGD": 2,
    "MYR": 2, "THB": 2, "PHP": 2, "MOP": 2, "NZD": 2, "CHF": 2, "AED": 2, "SAR": 2, "BRL": 2,
    "MXN": 2, "PLN": 2, "SEK": 2, "RUB": 2, "INR": 2,
    "JPY": 0, "KRW": 0, "VND": 0, "IDR": 0, "CLP": 0,
    "KWD": 3, "BHD": 3,
}


def check_currency(currency: str) -> str:
    code = (currency or "").strip().upper()
    if code not in MINOR_DIGITS:
        raise InvalidInput(f"unknown currency {currency!r}", details={"currency": currency})
    return code


def to_minor(amount: str | int | Decimal, currency: str, *, field: str = "amount",
             allow_negative: bool = False) -> int:
    """'399.00' CNY -> 39900. Refuses floats, NaN, and more decimals than the currency has."""
    if isinstance(amount, float) or isinstance(amount, bool):
        raise InvalidInput(f"{field}: money must be a decimal string, not a float",
                           details={"field": field, "value": amount})
    digits = MINOR_DIGITS[check_currency(currency)]
    try:
        value = Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{field}: {amount!r} is not a decimal amount",
                           details={"field": field, "value": str(amount)}) from None
    if not value.is_finite():
        raise InvalidInput(f"{field}: {amount!r} is not a finite amount", details={"field": field})
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise InvalidInput(f"{field}: {amount!r} has more than {digits} decimal places for {currency}",
                           details={"field": field, "value": str(amount)})
    if scaled < 0 and not allow_negative:
        raise InvalidInput(f"{field}: {amount!r} must not be negative", details={"field": field})
    if abs(scaled) >= 10**15:
        raise InvalidInput(f"{field}: {amount!r} is implausibly large", details={"field": field})
    return int(scaled)


def to_major(minor: int, currency: str) -> str:
    """39900 CNY -> '399.00' (the API's decimal-string form)."""
    digits = MINOR_DIGITS[check_currency(currency)]
    return str(Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits)))
