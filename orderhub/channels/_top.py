"""What Taobao TOP and JD JOS share: the sorted key+value signature, Beijing times, yuan amounts.

JD's gateway was built on TOP's design, so one signing function serves both: JD always uses the
`md5` form, Taobao lets the app choose `md5`, `hmac` (HMAC-MD5) or `hmac-sha256`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

SIGN_METHODS = ("md5", "hmac", "hmac-sha256")
BEIJING = timezone(timedelta(hours=8))
CENT = Decimal("0.01")


def sign(params: Mapping[str, Any], secret: str, sign_method: str = "md5") -> str:
    """Upper-case hex signature of every parameter except `sign` and empty values, keys in ASCII
    order, concatenated as key1value1key2value2… (TOP's `signTopRequest`, JOS's `sign`)."""
    concat = "".join(f"{key}{params[key]}" for key in sorted(params)
                     if key != "sign" and key and params[key] not in (None, ""))
    if sign_method == "md5":
        digest = hashlib.md5(f"{secret}{concat}{secret}".encode()).hexdigest()
    elif sign_method == "hmac":
        digest = hmac.new(secret.encode(), concat.encode(), hashlib.md5).hexdigest()
    elif sign_method == "hmac-sha256":
        digest = hmac.new(secret.encode(), concat.encode(), hashlib.sha256).hexdigest()
    else:
        raise ValueError(f"sign_method must be one of {SIGN_METHODS}, not {sign_method!r}")
    return digest.upper()


def beijing_text(moment: datetime) -> str:
    """`yyyy-MM-dd HH:mm:ss` in GMT+8, truncated to the second (both platforms' format)."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def parse_time(text: Any) -> datetime | None:
    """A platform time (`yyyy-MM-dd HH:mm:ss`, Beijing) as an aware datetime; blank -> None."""
    if text in (None, ""):
        return None
    return beijing_seconds(str(text).strip())


def beijing_seconds(text: str) -> datetime:
    """`yyyy-MM-dd HH:mm:ss` (Beijing) as an aware datetime, as strptime reads it. The platforms
    always send the zero-padded form, which fromisoformat reads about ten times faster (strptime
    was half of mapping a Taobao or JD order); anything else (unpadded fields, which strptime
    accepts, or garbage) goes through strptime, so results and error messages stay the same."""
    if (len(text) == 19 and text[4] == "-" and text[7] == "-" and text[10] == " "
            and text[13] == ":" and text[16] == ":" and text.isascii()):
        try:
            return datetime.fromisoformat(text).replace(tzinfo=BEIJING)
        except ValueError:
            pass
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)


def yuan(value: Any, *, field: str = "amount") -> Decimal:
    """A yuan amount sent as a string (or a JSON number) as an exact Decimal. A float is read
    through its shortest repr, never with float arithmetic."""
    if value is None or value == "" or isinstance(value, bool):
        raise ValueError(f"{field}: missing amount")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{field}: {value!r} is not an amount") from None
    if not amount.is_finite():
        raise ValueError(f"{field}: {value!r} is not an amount")
    return amount


def money(amount: Decimal) -> str:
    return str(amount.quantize(CENT))
