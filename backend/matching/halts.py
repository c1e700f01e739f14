"""Circuit-breaker arithmetic: the LULD-style price band and the market-order collar.

Integers only. The ``in_*`` predicates are the definitions (cross-multiplication, no
division); the ``*_bounds`` helpers give the same answer as inclusive integer limits
so that a hot loop compares plain ints (tests prove the two agree).
"""

from __future__ import annotations

from collections.abc import Iterable

from backend.matching.types import BPS, Side


def floor_average(prices: Iterable[int]) -> int | None:
    """Floor of the arithmetic mean; None for no prices."""
    total = count = 0
    for price in prices:
        total += price
        count += 1
    return total // count if count else None


def _ceil_div(numerator: int, denominator: int) -> int:
    return -((-numerator) // denominator)


def in_band(price: int, reference: int | None, band_bps: int) -> bool:
    """True when a trade at ``price`` is within band_bps of the reference (inclusive).
    No reference means no band."""
    if reference is None:
        return True
    return abs(price - reference) * BPS <= band_bps * reference


def band_bounds(reference: int, band_bps: int) -> tuple[int, int]:
    """Inclusive (low, high) integer prices equivalent to ``in_band``."""
    low = _ceil_div(reference * (BPS - band_bps), BPS)
    high = reference * (BPS + band_bps) // BPS
    return low, high


def within_collar(side: Side, price: int, base: int, collar_bps: int) -> bool:
    """May a market order of ``side`` trade at ``price``, collared around ``base``?"""
    if side is Side.BUY:
        return price * BPS <= base * (BPS + collar_bps)
    return price * BPS >= base * (BPS - collar_bps)


def collar_bound(side: Side, base: int, collar_bps: int) -> int:
    """The worst price a market order may trade at: a maximum for a buy, a minimum
    for a sell. Equivalent to ``within_collar``."""
    if side is Side.BUY:
        return base * (BPS + collar_bps) // BPS
    return _ceil_div(base * (BPS - collar_bps), BPS)
