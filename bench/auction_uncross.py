"""Benchmark: ``python -m bench.auction_uncross [--n 10000] [--seed 1] [--reference]``.

The uncross of a call book of ``n`` limit orders (a reopening call after an operator
halt), beside the continuous engine fed the very same orders. Times: entering the orders
during the call (nothing matches), computing the indicative figures once
(``auction_state()``), the uncross itself (the ``Expire`` at the call's end: clearing
price, allocation, trades), and the continuous engine's time for the same orders. Prints
only; asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import gc
import random
import time

from backend.matching import (
    COMPILED,
    AuctionUncrossed,
    EngineBase,
    Expire,
    Halt,
    MarketConfig,
    MatchingEngine,
    OrderType,
    PlaceOrder,
    ReferenceEngine,
    Resume,
    Side,
    Trade,
)

SECOND = 1_000_000_000
CONFIG = MarketConfig(band_bps=2000, auction_ns=300 * SECOND)


def call_orders(n: int, seed: int, mid: int = 10_000) -> list[PlaceOrder]:
    """n GTC limits from 200 owners, buys and sells overlapping by about 1% around mid."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not cryptography
    orders = []
    ts = 2 * SECOND
    for i in range(n):
        side = Side.BUY if rng.randrange(2) else Side.SELL
        offset = rng.randrange(-100, 200)  # 1/3 of the orders priced through the mid
        price = mid - offset if side is Side.BUY else mid + offset
        owner = f"trader{rng.randrange(200):03d}"
        orders.append(PlaceOrder(f"o{i}", owner, side, OrderType.LIMIT, price, rng.randrange(1, 50), ts=ts + i))
    return orders


def _ms(ns: int) -> str:
    return f"{ns // 1_000_000}.{ns % 1_000_000 // 10_000:02d} ms"


def run(n: int, seed: int, engine_cls: type[EngineBase]) -> None:
    orders = call_orders(n, seed)
    clock = time.perf_counter_ns
    gc.collect()

    engine = engine_cls(CONFIG)
    engine.apply(PlaceOrder("r0", "a", Side.SELL, OrderType.LIMIT, 10_000, 1, ts=0))
    engine.apply(PlaceOrder("r1", "b", Side.BUY, OrderType.LIMIT, 10_000, 1, ts=0))  # reference 10000
    engine.apply(Halt("operator", ts=SECOND))
    engine.apply(Resume(ts=SECOND))  # the call starts
    start = clock()
    for order in orders:
        engine.apply(order)
    entered = clock() - start
    start = clock()
    state = engine.auction_state()
    indicative = clock() - start
    deadline = engine.next_deadline()
    assert deadline is not None
    start = clock()
    events = engine.apply(Expire(ts=deadline))
    uncross = clock() - start
    done = next(e for e in events if isinstance(e, AuctionUncrossed))
    trades = sum(isinstance(e, Trade) for e in events)

    continuous = engine_cls(CONFIG)
    start = clock()
    continuous_trades = 0
    for order in orders:
        continuous_trades += sum(isinstance(e, Trade) for e in continuous.apply(order))
    matched = clock() - start

    print(f"engine              {engine_cls.__name__} ({'compiled' if COMPILED else 'pure Python'})")
    print(f"call book           {n} limit orders, seed {seed}; book levels {sum(map(len, engine.depth()))}")
    print(f"orders into call    {_ms(entered)} ({1_000_000_000 * n // max(entered, 1)} orders/s, nothing matches)")
    print(f"indicative figures  {_ms(indicative)} (price {state.indicative_price}, {state.matched_quantity} lots)")
    print(f"uncross             {_ms(uncross)} (price {done.price}, {done.quantity} lots, {trades} trades)")
    print(f"continuous engine   {_ms(matched)} for the same {n} orders ({continuous_trades} trades)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=10_000, help="orders in the call book (default 10000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reference", action="store_true", help="the naive ReferenceEngine too (slow)")
    args = parser.parse_args(argv)
    run(args.n, args.seed, MatchingEngine)
    if args.reference:
        run(args.n, args.seed, ReferenceEngine)


if __name__ == "__main__":
    main()
