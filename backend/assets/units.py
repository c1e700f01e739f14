"""Ticks and lots -> on-chain base units: the one conversion for an asset's market.

The matching core counts integer ticks (price) and lots (quantity); the chain counts base
units (ASSET_DECIMALS for the asset, CASH_DECIMALS for cash). The signed order, settle()'s
trade, the funds reservations and reconciliation all convert here. Integer arithmetic on
the sizes' exact ratios, so no count is too large to convert exactly (Decimal arithmetic
would round past 28 digits); an amount finer than the token's unit is refused, never rounded.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from backend.errors import InvalidInput
from backend.money import ASSET_DECIMALS, CASH_DECIMALS


class Sizes(Protocol):
    """An asset's tick and lot sizes (decimal strings): an `Asset` row, or a harness's market."""

    @property
    def tick_size(self) -> str: ...

    @property
    def lot_size(self) -> str: ...


def lots_units(asset: Sizes, lots: int) -> int:
    """Asset base units of `lots` lots."""
    return _units((asset.lot_size,), lots, ASSET_DECIMALS)


def price_units(asset: Sizes, ticks: int) -> int:
    """Cash base units per whole asset unit of a price of `ticks` ticks (the signed price)."""
    return _units((asset.tick_size,), ticks, CASH_DECIMALS)


def cost_units(asset: Sizes, price_ticks: int, lots: int) -> int:
    """Cash base units of `lots` lots at `price_ticks` ticks."""
    return _units((asset.tick_size, asset.lot_size), price_ticks * lots, CASH_DECIMALS)


def _units(sizes: tuple[str, ...], count: int, decimals: int) -> int:
    numerator, denominator = count * 10**decimals, 1
    for size in sizes:
        n, d = Decimal(size).as_integer_ratio()
        numerator, denominator = numerator * n, denominator * d
    units, rest = divmod(numerator, denominator)
    if rest:
        amount = " x ".join((str(count), *sizes))
        raise InvalidInput("validation.invalid", f"{amount} has more than {decimals} decimal places")
    return units
