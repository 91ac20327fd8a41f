"""canonical() remembers the amounts it converted (a page repeats the same few): what it makes
of an amount, and the error naming the field for a bad one, must not depend on what it saw
before."""

from __future__ import annotations

import pytest

from orderhub.core.errors import InvalidInput
from orderhub.core.money import to_minor
from orderhub.orders.schemas import OrderIn
from orderhub.orders.service import canonical
from tests.builders import order_payload


def _order(**lines_and_fees) -> OrderIn:
    lines = [{"platform_sku": "A", "quantity": 2, "unit_price": "19.90", "discount": "0"},
             {"platform_sku": "B", "quantity": 1, "unit_price": "19.90",
              "discount": lines_and_fees.pop("discount", "1.00")}]
    return OrderIn.model_validate(order_payload(lines=lines, total=None, **lines_and_fees))


def test_amounts_are_the_same_however_often_they_come() -> None:
    first = canonical(_order(shipping_fee="19.90"))
    again = canonical(_order(shipping_fee="19.90"))
    assert first == again
    fields, lines = first
    assert [line["unit_price"] for line in lines] == [to_minor("19.90", "CNY")] * 2 == [1990, 1990]
    assert fields["shipping_fee"] == 1990 and fields["total"] == 3 * 1990 - 100 + 1990


@pytest.mark.parametrize("attempt", [1, 2])  # the second time too: errors are not remembered
def test_a_bad_amount_is_refused_naming_its_field(attempt) -> None:
    with pytest.raises(InvalidInput, match=r"lines\[1\]\.discount: '1\.001' has more than 2"):
        canonical(_order(discount="1.001"))
    with pytest.raises(InvalidInput, match="shipping_fee: 'x' is not a decimal amount"):
        canonical(_order(shipping_fee="x"))


def test_a_float_is_refused_even_after_the_same_number_as_an_integer() -> None:
    data = _order()
    # Past validation, as a caller building OrderIn by hand might: 1 == 1.0, so a cache keyed
    # on the amount would hand the float the integer's result.
    assert canonical(data.model_copy(update={"shipping_fee": 1}))[0]["shipping_fee"] == 100
    with pytest.raises(InvalidInput, match="not a float"):
        canonical(data.model_copy(update={"shipping_fee": 1.0}))
