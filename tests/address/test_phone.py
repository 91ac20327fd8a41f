"""classify_phone: mobile, landline, masked, virtual and invalid numbers."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderhub.address import PHONE_KINDS, PhoneInfo, classify_phone


@pytest.mark.parametrize("raw", ["13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000",
                                 "+8613800138000", "0086-13800138000", "１３８００１３８０００", " 13800138000 "])
def test_mobile_numbers_in_any_spelling(raw):
    assert classify_phone(raw) == PhoneInfo(raw, "13800138000", "mobile", True, None)


@pytest.mark.parametrize("raw, normalized", [
    ("0571-88888888", "057188888888"), ("(010)12345678", "01012345678"), ("010 1234 5678", "01012345678"),
    ("（0755）86013388", "075586013388"), ("+86 571 8888 8888", "057188888888"), ("0571 88888888", "057188888888"),
])
def test_landlines_with_area_code(raw, normalized):
    info = classify_phone(raw)
    assert (info.kind, info.normalized, info.valid, info.extension) == ("landline", normalized, True, None)


def test_a_landline_extension_is_kept_apart():
    info = classify_phone("0571-88888888-123")
    assert (info.kind, info.normalized, info.valid, info.extension) == ("landline", "057188888888", True, "123")
    assert classify_phone("010-12345678转8001").extension == "8001"


@pytest.mark.parametrize("raw", ["138****5678", "138xxxx5678", "138XXXX5678", "+86 138****5678", "1**********",
                                 "0571-****8888", "138＊＊＊＊5678"])
def test_platform_masked_numbers(raw):
    info = classify_phone(raw)
    assert info.kind == "masked" and not info.valid and info.extension is None
    assert "*" in info.normalized and not info.normalized.startswith("+")


@pytest.mark.parametrize("raw, ext", [("13800138000-1234", "1234"), ("13800138000转1234", "1234"),
                                      ("13800138000,5678", "5678"), ("13800138000#321", "321"),
                                      ("138 0013 8000 - 1234", "1234")])
def test_privacy_numbers_with_an_extension_are_virtual(raw, ext):
    info = classify_phone(raw)
    assert (info.kind, info.normalized, info.valid, info.extension) == ("virtual", "13800138000", False, ext)


@pytest.mark.parametrize("raw", ["17031234567", "17112345678", "16512345678", "16712345678"])
def test_virtual_operator_ranges_are_virtual(raw):
    info = classify_phone(raw)
    assert (info.kind, info.normalized, info.valid) == ("virtual", raw, False)


@pytest.mark.parametrize("raw", ["", "   ", None, "abc", "1380013800", "138001380001", "12345678901",
                                 "88888888", "0000", "+1 650 253 0000", "ABCDEFGHIJK", "xx"])
def test_invalid_numbers(raw):
    info = classify_phone(raw)
    assert info.kind == "invalid" and not info.valid
    assert info.normalized == "".join(c for c in (raw or "") if c.isdigit())


def test_eleven_digits_are_not_enough_for_a_mobile():
    assert classify_phone("12345678901").kind == "invalid"  # no such mobile range
    assert classify_phone("19912345678").kind == "mobile"


def test_two_numbers_take_the_first():
    assert classify_phone("13800138000/13900139000").normalized == "13800138000"


def test_a_non_string_is_refused():
    with pytest.raises(TypeError, match="phone must be a string"):
        classify_phone(13800138000)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40) | st.from_regex(r"\+?(86)?1[3-9]\d{9}([-转,#]\d{1,4})?", fullmatch=True))
def test_any_text_is_classified(raw):
    info = classify_phone(raw)
    assert info.kind in PHONE_KINDS and info.raw == raw
    assert info.valid == (info.kind in ("mobile", "landline"))
    if info.kind in ("mobile", "landline", "virtual"):
        assert info.normalized.isdigit()
