"""classify_phone: mobile, landline, platform-masked and virtual (privacy) numbers."""
from __future__ import annotations

import re
import unicodedata

import phonenumbers
from phonenumbers import PhoneNumberType

from orderhub.address.types import PhoneInfo

MAX_LENGTH = 64
# Mobile ranges of virtual operators (虚拟运营商) and IoT-style numbers that platforms hand out as
# relay numbers; a parcel for them usually cannot be announced by phone.
VIRTUAL_PREFIXES = ("170", "171", "162", "165", "167")
# 138****5678, 138xxxx5678, 1**********, 0571-****8888: digits with at least three hidden ones.
_MASKED = re.compile(r"^(?:\+?86)?(?=(?:\d*[*xX]){3})(?:1[\d*xX]{10}|0[\d*xX]{9,11}|[*xX]{7,11}\d{0,4})$")
_EXTENSION = re.compile(r"^(?P<main>.+?)(?:转|分机|ext\.?|[-,#_~])(?P<ext>\d{1,6})#?$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-–—()（）.]")
_LANDLINE_TYPES = {
    PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.TOLL_FREE,
    PhoneNumberType.SHARED_COST, PhoneNumberType.UAN,
}


def _plain(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).strip()
    text = re.split(r"[/、;；|]", text)[0].strip()  # "138.../139..." — the first number counts
    return text.replace("＊", "*")


def _number(text: str) -> tuple[str, str] | None:
    """(kind, normalized) for a complete number without extension, or None when it is none."""
    compact = _SEPARATORS.sub("", text)
    if not re.fullmatch(r"(?:\+|00)?\d{7,15}", compact):
        return None
    try:
        number = phonenumbers.parse(compact, "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    national = str(number.national_number)
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.MOBILE:
        return ("virtual" if national.startswith(VIRTUAL_PREFIXES) else "mobile"), national
    if kind in _LANDLINE_TYPES:
        # Fixed lines are written with their trunk prefix 0 (0571..., 010...); 400/800 numbers not.
        prefix = "0" if kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE) else ""
        return "landline", prefix + national
    return None


def classify_phone(raw: str | None) -> PhoneInfo:
    """Classify a receiver phone as a platform sends it; never raises for odd content."""
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise TypeError(f"phone must be a string, not {type(raw).__name__}")
    text = _plain(raw[:MAX_LENGTH])
    if not text:
        return PhoneInfo(raw, "", "invalid", False, None)
    compact = _SEPARATORS.sub("", text)
    if _MASKED.match(compact):
        masked = compact.upper().replace("X", "*")
        masked = re.sub(r"^(?:\+?86)(?=[01*])", "", masked) if len(masked) > 11 else masked
        return PhoneInfo(raw, masked, "masked", False, None)
    found = _number(text)
    if found is not None:
        kind, normalized = found
        return PhoneInfo(raw, normalized, kind, kind in ("mobile", "landline"), None)
    split = _EXTENSION.match(re.sub(r"\s", "", text))
    if split is not None:
        main = _number(split.group("main"))
        if main is not None:
            kind, normalized = main
            if kind in ("mobile", "virtual"):  # 13800138000-1234: a platform privacy number
                return PhoneInfo(raw, normalized, "virtual", False, split.group("ext"))
            return PhoneInfo(raw, normalized, kind, True, split.group("ext"))
    digits = re.sub(r"\D", "", text)
    return PhoneInfo(raw, digits, "invalid", False, None)
