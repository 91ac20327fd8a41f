from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub.core.errors import InvalidInput
from orderhub.core.money import to_major, to_minor


@pytest.mark.parametrize("amount, currency, minor", [
    ("399.00", "CNY", 39900), ("0.01", "cny", 1), ("1", "USD", 100), ("1500", "JPY", 1500),
    ("1.234", "KWD", 1234), (" 20.5 ", "CNY", 2050),
])
def test_to_minor(amount, currency, minor):
    assert to_minor(amount, currency) == minor


@pytest.mark.parametrize("amount, currency", [
    (0.1, "CNY"), ("1.001", "CNY"), ("1.5", "JPY"), ("-1", "CNY"), ("abc", "CNY"), ("inf", "CNY"),
    ("1", "XXX"), ("1e20", "CNY"), (True, "CNY"),
])
def test_to_minor_refuses(amount, currency):
    with pytest.raises(InvalidInput):
        to_minor(amount, currency)


@given(st.integers(min_value=0, max_value=10**14), st.sampled_from(["CNY", "JPY", "KWD", "USD"]))
def test_round_trip(minor, currency):
    assert to_minor(to_major(minor, currency), currency) == minor


def test_major_has_the_currency_digits():
    assert to_major(37900, "CNY") == "379.00" and to_major(5, "JPY") == "5"
    assert Decimal(to_major(1, "KWD")) == Decimal("0.001")
