"""Decimal strings at the API edge <-> integer units inside. Never float.

Asset tokens have 18 decimals; the cash token has 6. A price is cash per whole asset
unit. Inside the venue, prices are integer ticks and quantities integer lots.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from backend.errors import InvalidInput

ASSET_DECIMALS = 18
CASH_DECIMALS = 6
ASSET_UNIT = 10**ASSET_DECIMALS
CASH_UNIT = 10**CASH_DECIMALS


def parse_decimal(value: object, *, field: str, positive: bool = True) -> Decimal:
    """A decimal from a JSON string (or int). Floats are refused: they lose money."""
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidInput(
            "validation.invalid", f"{field} must be a decimal string, not a float", details=[{"field": field}]
        )
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            "validation.invalid", f"{field} is not a decimal number: {value!r}", details=[{"field": field}]
        ) from None
    if not number.is_finite():
        raise InvalidInput("validation.invalid", f"{field} must be finite", details=[{"field": field}])
    if positive and number <= 0:
        raise InvalidInput("validation.invalid", f"{field} must be greater than zero", details=[{"field": field}])
    if number.as_tuple().exponent < -ASSET_DECIMALS or abs(number) > Decimal(10) ** 30:  # type: ignore[operator]
        raise InvalidInput("validation.invalid", f"{field} is out of range", details=[{"field": field}])
    return number


def to_units(amount: Decimal, decimals: int) -> int:
    scaled = amount.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise InvalidInput("validation.invalid", f"{amount} has more than {decimals} decimal places")
    return int(scaled)


def from_units(units: int, decimals: int) -> Decimal:
    return Decimal(units).scaleb(-decimals)


def fmt(amount: Decimal) -> str:
    """Canonical decimal string: no exponent, no trailing zeros past the point."""
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def fmt_units(units: int, decimals: int) -> str:
    return fmt(from_units(units, decimals))


def decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent)  # type: ignore[operator]
