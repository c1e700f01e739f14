"""Seeded, engine-neutral command streams for the matching benchmark against peer engines.

A stream is a list of plain tuples that every engine under test can express:

    (LIMIT,  oid, is_buy, price, qty)   limit, good till cancelled
    (IOC,    oid, is_buy, price, qty)   limit, immediate or cancel
    (MARKET, oid, is_buy, None,  qty)   market (immediate or cancel)
    (CANCEL, oid)                        cancel of an order resting at that moment

Integer ticks and lots only. ``oid`` is the order's position in the stream (0, 1, ...);
each order has its own owner, so no engine's self-trade rules come into play. While
generating, the stream is played into a model book (our engine) so that the chosen
share of limit orders crosses the book on arrival and every cancel
names an order that is resting (some peers crash or misbehave on cancelling a filled
order, and real flows cancel mostly live orders anyway).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from backend.matching import (
    CancelOrder,
    MarketConfig,
    MatchingEngine,
    OrderType,
    PlaceOrder,
    Side,
    TimeInForce,
    Trade,
)

LIMIT, IOC, MARKET, CANCEL = "limit", "ioc", "market", "cancel"

Op = tuple  # see the module docstring


@dataclass(frozen=True)
class Stream:
    name: str
    description: str
    ops: list[Op]
    crossed: int
    """GTC limit orders that traded on arrival."""

    def count(self, kind: str) -> int:
        return sum(1 for op in self.ops if op[0] == kind)

    @property
    def orders(self) -> int:
        return len(self.ops) - self.count(CANCEL)


def generate(
    name: str,
    n: int,
    seed: int,
    *,
    cross_pct: int = 20,
    cancel_pct: int = 0,
    market_pct: int = 0,
    ioc_pct: int = 0,
    mid: int = 10_000,
    depth_ticks: int = 40,
) -> Stream:
    """``n`` commands: cancel_pct% cancels of live orders, market_pct% market orders,
    ioc_pct% IOC limits (priced around the opposite best, so some fill partly or not at
    all), the rest GTC limits of which cross_pct% cross the book on arrival (priced 0-2
    ticks through the opposite best, so some sweep levels) and the others rest 1 to
    depth_ticks ticks behind the opposite best. Quantities 1-99 lots."""
    rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data, not cryptography
    # The generator's own model of the book. The fast engine, not the reference one, for
    # speed; the benchmark then checks that every engine, ours included, agrees on the
    # trades of the stream, so a wrong model could only show up as disagreement.
    sim = MatchingEngine(MarketConfig(band_bps=10**9, collar_bps=10**9))
    live: list[int] = []  # oids that rested at some point (pruned lazily)
    ops: list[Op] = []
    ts = crossed = 0
    for oid in range(n):
        ts += 1
        roll = rng.randrange(100)
        if roll < cancel_pct:
            while live:
                j = rng.randrange(len(live))
                live[j], live[-1] = live[-1], live[j]
                victim = live.pop()
                if sim.order(f"o{victim}") is not None:
                    sim.apply(CancelOrder(f"o{victim}", f"u{victim}", ts))
                    ops.append((CANCEL, victim))
                    break
            else:
                roll = 100  # nothing to cancel yet: place an order instead
            if roll < cancel_pct:
                continue
        is_buy = rng.randrange(2) == 1
        side = Side.BUY if is_buy else Side.SELL
        qty = rng.randrange(1, 100)
        bid, ask = sim.best_bid(), sim.best_ask()
        opp = ask if is_buy else bid
        if opp is not None:
            mid = opp
        if roll < cancel_pct + market_pct:
            ops.append((MARKET, oid, is_buy, None, qty))
            sim.apply(PlaceOrder(f"o{oid}", f"u{oid}", side, OrderType.MARKET, None, qty, ts=ts))
            continue
        if roll < cancel_pct + market_pct + ioc_pct:
            price = max(1, mid + rng.randrange(-2, 3))
            ops.append((IOC, oid, is_buy, price, qty))
            sim.apply(PlaceOrder(f"o{oid}", f"u{oid}", side, OrderType.LIMIT, price, qty, TimeInForce.IOC, ts=ts))
            continue
        crossing = opp is not None and rng.randrange(100) < cross_pct
        if crossing:
            assert opp is not None
            price = opp + rng.randrange(3) if is_buy else max(1, opp - rng.randrange(3))
        else:
            behind = 1 + rng.randrange(depth_ticks)
            price = mid - behind if is_buy else mid + behind
            price = max(1, price)
        ops.append((LIMIT, oid, is_buy, price, qty))
        events = sim.apply(PlaceOrder(f"o{oid}", f"u{oid}", side, OrderType.LIMIT, price, qty, ts=ts))
        crossed += any(type(e) is Trade for e in events)
        if sim.order(f"o{oid}") is not None:
            live.append(oid)
    return Stream(name, _describe(ops, crossed), ops, crossed)


def _describe(ops: list[Op], crossed: int) -> str:
    kinds = {k: sum(1 for op in ops if op[0] == k) for k in (LIMIT, IOC, MARKET, CANCEL)}
    share = f"{100 * crossed // kinds[LIMIT]}%" if kinds[LIMIT] else "-"
    parts = [f"{len(ops):,} commands: {kinds[LIMIT]:,} GTC limits ({crossed:,}, {share}, crossing on arrival)"]
    for kind, label in ((IOC, "IOC limits"), (MARKET, "market orders"), (CANCEL, "cancels")):
        if kinds[kind]:
            parts.append(f"{kinds[kind]:,} {label}")
    return ", ".join(parts)


def stream_a(n: int = 50_000, seed: int = 1) -> Stream:
    """Limit orders only, about 20% crossing on arrival."""
    return generate("A", n, seed, cross_pct=20)


def stream_b(n: int = 50_000, seed: int = 2) -> Stream:
    """10% cancels, 5% immediate orders (3% market, 2% IOC limits), 85% GTC limits of
    which about 20% cross on arrival."""
    return generate("B", n, seed, cross_pct=20, cancel_pct=10, market_pct=3, ioc_pct=2)
