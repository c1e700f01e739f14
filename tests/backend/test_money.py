from decimal import Decimal

import pytest

from backend.errors import InvalidInput
from backend.money import decimal_places, fmt, fmt_units, parse_decimal, to_units


def test_decimal_strings_round_trip_through_integer_units():
    assert to_units(Decimal("12.5"), 6) == 12_500_000
    assert fmt_units(12_500_000, 6) == "12.5"
    assert fmt_units(10**18, 18) == "1"
    assert fmt(Decimal("0.000100")) == "0.0001"


def test_sub_unit_amounts_are_refused_not_rounded():
    with pytest.raises(InvalidInput):
        to_units(Decimal("0.0000001"), 6)


@pytest.mark.parametrize("value", [1.5, "abc", "NaN", "-1", "0", True])
def test_parse_decimal_refuses_floats_and_nonsense(value):
    with pytest.raises(InvalidInput):
        parse_decimal(value, field="amount")


def test_decimal_places():
    assert decimal_places(Decimal("0.01")) == 2
    assert decimal_places(Decimal("10")) == 0
    assert decimal_places(Decimal("1.500")) == 1
