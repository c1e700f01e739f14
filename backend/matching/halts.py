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


def choose_clearing(
    intervals: list[tuple[int, int, int, int]], reference: int | None
) -> tuple[int, int, int, int] | None:
    """The uncross price by the rule, from the book's demand and supply curves given as
    ``intervals`` (low, high, demand, supply): consecutive price ranges over which both
    are constant. Most executed quantity (min(demand, supply)), then least imbalance
    (|demand - supply|), then nearest the reference (with none: the floored midpoint of
    the lowest and highest price still tied), then the lower price. Returns (price,
    executed quantity, demand, supply), or None for no intervals."""
    best: tuple[int, int] | None = None
    tied: list[tuple[int, int, int, int]] = []
    for interval in intervals:
        demand, supply = interval[2], interval[3]
        key = (min(demand, supply), -abs(demand - supply))
        if best is None or key > best:
            best, tied = key, [interval]
        elif key == best:
            tied.append(interval)
    if not tied:
        return None
    target = reference if reference is not None else (tied[0][0] + tied[-1][1]) // 2
    chosen: tuple[int, int] | None = None  # (distance, price)
    for low, high, _demand, _supply in tied:
        price = low if target < low else high if target > high else target
        candidate = (abs(price - target), price)
        if chosen is None or candidate < chosen:
            chosen = candidate
    assert chosen is not None
    price = chosen[1]
    for low, high, demand, supply in tied:
        if low <= price <= high:
            return price, min(demand, supply), demand, supply
    raise AssertionError("the chosen price lies in a tied interval")
