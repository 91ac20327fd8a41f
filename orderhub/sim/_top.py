"""What the Taobao and JD simulators share: the gateway's signature check, masking, a catalogue.

The signature is computed here independently of the connectors' `channels._top.sign`, the way
the platform's gateway would, so a connector bug cannot hide behind a shared helper.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from functools import lru_cache

from orderhub.core import clock
from orderhub.sim.platform import PRODUCTS, UNKNOWN_PRODUCTS, parse_beijing

STRUCTURE = set("省市区县镇乡街道路巷弄号栋幢楼单元室村组期")


def gateway_sign(params: dict[str, str], secret: str, method: str) -> str | None:
    """TOP/JOS signature of `params` (without `sign`); None for an unknown sign method."""
    pairs = sorted((k, v) for k, v in params.items() if k != "sign" and v != "")
    body = b"".join(k.encode("utf-8") + v.encode("utf-8") for k, v in pairs)
    key = secret.encode("utf-8")
    if method == "md5":
        return hashlib.md5(key + body + key).hexdigest().upper()
    if method == "hmac":
        return hmac.digest(key, body, "md5").hex().upper()
    if method == "hmac-sha256":
        return hmac.digest(key, body, "sha256").hex().upper()
    return None


def skewed(timestamp: str, max_skew: timedelta) -> bool:
    """True if the timestamp does not parse or lies further than `max_skew` from now. Now is
    OrderHub's clock, so tests that move the clock move the platform with it."""
    try:
        sent = parse_beijing(timestamp)
    except ValueError:
        return True
    return abs(clock.now() - sent) > max_skew


@lru_cache(maxsize=1 << 14)  # pure, and asked again for every order on every page
def mask_detail(detail: str) -> str:
    """`文新路123号5幢301` -> `文**路***号*幢***`: the first character and the address words stay."""
    return detail[:1] + "".join(c if c in STRUCTURE else "*" for c in detail[1:])


def mask_nick(nick: str) -> str:
    return nick[:1] + "**" + nick[-1:] if len(nick) > 1 else nick + "**"


# typed: 1, 1.0 and True are equal keys to a plain cache but print differently.
@lru_cache(maxsize=1 << 15, typed=True)
def digest(*parts: object, size: int = 24) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode("utf-8")).hexdigest()[:size]


def catalogue() -> dict[str, tuple[int, str]]:
    """Merchant SKU code -> (platform item id, platform SKU id), as the order factory numbers
    them (`OrderFactory._line`). Codes starting GIFT- are items sold without SKUs."""
    codes: dict[str, tuple[int, str]] = {}
    for offset, products in ((0, PRODUCTS), (900, UNKNOWN_PRODUCTS)):
        for position, (code, _title, _price) in enumerate(products):
            sku_id = "" if sku_less(code) else str(4_000_000_000 + position * 1_000 + len(code))
            codes[code] = (600_000_000_000 + offset + position, sku_id)
    return codes


def sku_less(code: str) -> bool:
    return code.startswith("GIFT-")


def now() -> datetime:
    return clock.now()
