"""Benchmark: ``python -m bench.matching_core [--n 200000] [--seed 1] [--reference]``.

Feeds a mixed random command stream (GTC/IOC/FOK limits, market orders, cancels,
cancel-alls) to a fresh engine twice: once timing every ``apply`` (latency
percentiles), once untimed (throughput). The engine never imports it. Integer
arithmetic even here.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections.abc import Callable

from backend.matching.base import EngineBase
from backend.matching.commands import CancelAll, CancelOrder, Command, PlaceOrder
from backend.matching.engine import MatchingEngine
from backend.matching.events import MarketHalted, Trade
from backend.matching.reference_book import ReferenceEngine
from backend.matching.types import OrderType, Side, TimeInForce


def random_commands(
    n: int, seed: int = 1, *, owners: int = 50, mid: int = 10_000, step_ns: int = 1_000_000
) -> list[Command]:
    """A reproducible mixed stream around a slowly wandering mid price (in ticks).

    Per 100 commands on average: 18 cancels, 1 cancel-all, 5 market, 6 IOC, 3 FOK,
    67 GTC limits (a few of them post-only). Limits mostly rest near the mid and
    sometimes cross it by a few ticks, so the book stays deep and trades often.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not cryptography
    names = [f"trader{i:03d}" for i in range(owners)]
    placed: list[tuple[str, str]] = []  # (order_id, owner) of orders that may still rest
    commands: list[Command] = []
    ts = 1_700_000_000_000_000_000
    for i in range(n):
        ts += rng.randrange(2 * step_ns)
        if i % 10 == 0:
            mid += rng.choice((-1, 0, 1))
        roll = rng.randrange(100)
        if roll < 18 and placed:
            j = rng.randrange(len(placed))
            placed[j], placed[-1] = placed[-1], placed[j]
            order_id, owner = placed.pop()
            commands.append(CancelOrder(order_id, owner, ts))
            continue
        owner = rng.choice(names)
        if roll == 18:
            commands.append(CancelAll(owner, ts))
            continue
        side = Side.BUY if rng.randrange(2) else Side.SELL
        order_id = f"o{i}"
        quantity = rng.randrange(1, 50)
        if roll < 24:
            commands.append(PlaceOrder(order_id, owner, side, OrderType.MARKET, None, quantity, ts=ts))
            continue
        offset = rng.randrange(-3, 40)
        price = mid - offset if side is Side.BUY else mid + offset
        tif = TimeInForce.IOC if roll < 30 else TimeInForce.FOK if roll < 33 else TimeInForce.GTC
        post_only = tif is TimeInForce.GTC and rng.randrange(20) == 0
        commands.append(PlaceOrder(order_id, owner, side, OrderType.LIMIT, price, quantity, tif, post_only, ts))
        if tif is TimeInForce.GTC:
            placed.append((order_id, owner))
    return commands


def _micros(ns: int) -> str:
    return f"{ns // 1000}.{ns % 1000 // 10:02d} us"


def run(n: int, seed: int, engine_factory: Callable[[], EngineBase]) -> None:
    commands = random_commands(n, seed)
    places = sum(isinstance(c, PlaceOrder) for c in commands)

    gc.collect()
    gc.freeze()  # the command list is long-lived; keep the collector off it, as a server would after start-up
    engine = engine_factory()
    clock = time.perf_counter_ns
    latencies: list[int] = []
    trades = halts = 0
    for command in commands:
        start = clock()
        events = engine.apply(command)
        latencies.append(clock() - start)
        trades += sum(isinstance(e, Trade) for e in events)
        halts += sum(isinstance(e, MarketHalted) for e in events)
    latencies.sort()

    untimed = engine_factory()
    start = clock()
    for command in commands:
        untimed.apply(command)
    elapsed = clock() - start
    assert untimed.state_hash() == engine.state_hash(), "two runs of one stream diverged"

    def pct(p: int) -> str:
        return _micros(latencies[min(len(latencies) - 1, len(latencies) * p // 1000)])

    bids, asks = engine.depth()
    print(f"engine            {type(engine).__name__}")
    print(f"commands          {n} ({places} orders, {n - places} cancels), seed {seed}")
    print(f"trades            {trades}; volatility halts {halts}")
    print(f"final book        {len(bids)} bid levels, {len(asks)} ask levels")
    print(f"elapsed           {elapsed // 1_000_000} ms")
    per_second = 1_000_000_000 * n // elapsed, 1_000_000_000 * places // elapsed
    print(f"throughput        {per_second[0]} commands/s, {per_second[1]} orders/s")
    print(f"latency per cmd   p50 {pct(500)}   p99 {pct(990)}   p99.9 {pct(999)}   max {_micros(latencies[-1])}")
    print(f"state_hash        {engine.state_hash()}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=200_000, help="number of commands (default 200000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reference", action="store_true", help="bench the naive ReferenceEngine (slow)")
    args = parser.parse_args(argv)
    run(args.n, args.seed, ReferenceEngine if args.reference else MatchingEngine)


if __name__ == "__main__":
    main()
