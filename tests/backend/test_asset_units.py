"""Ticks and lots -> on-chain base units (backend/assets/units.py), the one conversion the
signed order, settle()'s trade, the funds reservations and reconciliation all use."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from backend.assets.units import cost_units, lots_units, price_units
from backend.errors import InvalidInput
from backend.models.assets import Asset
from backend.money import ASSET_DECIMALS, CASH_DECIMALS, to_units


def _asset(tick_size: str, lot_size: str) -> Asset:
    return Asset(
        symbol="UNIT",
        name="Units",
        kind="equity",
        tick_size=tick_size,
        lot_size=lot_size,
        total_supply="1000",
        issuer_wallet="0x0",
        token_address="0x0",
        rules_address="0x0",
    )


def test_lots_ticks_and_cost_convert_exactly_to_base_units():
    asset = _asset("0.05", "0.25")
    assert lots_units(asset, 3) == 750_000_000_000_000_000  # 0.75 asset, 18 decimals
    assert price_units(asset, 251) == 12_550_000  # 12.55 cash per asset, 6 decimals
    assert cost_units(asset, 251, 3) == 9_412_500  # 12.55 * 0.75 = 9.4125 cash
    assert cost_units(asset, 251, 3) == price_units(asset, 251) * lots_units(asset, 3) // 10**18


def test_large_counts_stay_exact_integers():
    asset = _asset("0.000001", "0.000000000000000001")
    assert lots_units(asset, 10**30 + 1) == 10**30 + 1
    assert price_units(asset, 2**200 + 3) == 2**200 + 3


def test_a_cost_finer_than_the_cash_token_is_refused_not_rounded():
    assert cost_units(_asset("0.001", "0.001"), 1, 1) == 1  # 0.000001 cash: one base unit
    with pytest.raises(InvalidInput):
        cost_units(_asset("0.0001", "0.001"), 1, 1)  # 0.0000001 cash: no such unit


def test_within_decimal_precision_the_same_as_the_decimal_formula():
    rng = random.Random(7)
    for _ in range(500):
        tick = Decimal(rng.randint(1, 10**4)).scaleb(-rng.randint(0, 3))
        lot = Decimal(rng.randint(1, 10**4)).scaleb(-rng.randint(0, 3))
        asset = _asset(str(tick), str(lot))
        ticks, lots = rng.randint(1, 10**9), rng.randint(1, 10**9)
        assert lots_units(asset, lots) == to_units(lot * lots, ASSET_DECIMALS)
        assert price_units(asset, ticks) == to_units(tick * ticks, CASH_DECIMALS)
        assert cost_units(asset, ticks, lots) == to_units(tick * ticks * lot * lots, CASH_DECIMALS)
