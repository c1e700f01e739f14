"""Random command streams for the differential and determinism tests.

Small id, owner and price spaces on purpose: ids collide (duplicates, cancels of
filled orders), owners collide (self-trade prevention), prices straddle the band
(volatility halts), and time jumps past windows, halts and expiries, sometimes
backwards. Orders carry an expires_ts now and then (some already past: rejected), and
``Expire`` commands advance the clock alone. Configs switch the limit state and the call
auction on and off (short calls, few extensions, narrow collars: calls extend and end
restricted), and ``OpenAuction`` starts calls of its own.
"""

from __future__ import annotations

import random

from hypothesis import strategies as st

from backend.matching import (
    CancelAll,
    CancelOrder,
    Command,
    Expire,
    Halt,
    MarketConfig,
    OpenAuction,
    OrderType,
    PlaceOrder,
    Resume,
    Side,
    TimeInForce,
)
from tests.backend.matching.harness import SECOND

OWNERS = ("alice", "bob", "carol")
TS_STEPS = (0, 0, 1, SECOND, 20 * SECOND, 60 * SECOND, 100 * SECOND, 400 * SECOND, -30 * SECOND)
KINDS = ("place",) * 16 + ("cancel",) * 3 + ("cancel_all", "halt", "resume", "open_auction")
# An order's expires_ts relative to its command's ts (None: never expires); 0 and less: rejected.
EXPIRY_OFFSETS = (None, None, None, -SECOND, 0, 1, 10 * SECOND, 30 * SECOND, 100 * SECOND, 1000 * SECOND)

configs = st.builds(
    MarketConfig,
    band_bps=st.sampled_from([0, 200, 1000, 3000, 20_000]),
    reference_window_ns=st.sampled_from([0, 60 * SECOND, 300 * SECOND]),
    halt_ns=st.sampled_from([0, 50 * SECOND, 300 * SECOND]),
    collar_bps=st.sampled_from([0, 100, 500, 2000, 15_000]),
    auction_ns=st.sampled_from([0, 20 * SECOND, 300 * SECOND]),
    auction_collar_bps=st.sampled_from([None, 0, 300]),
    max_extensions=st.sampled_from([0, 1, 3]),
    limit_state_ns=st.sampled_from([0, 15 * SECOND, 100 * SECOND]),
)


QUANTITIES = (0, 1, 1, 2, 2, 3, 4, 5, 6, 8)  # 0 is invalid


@st.composite
def _command(draw: st.DrawFn, i: int, ts: int, placed: list[tuple[str, str]]) -> Command:
    kind = draw(st.sampled_from((*KINDS, "expire")))
    owner = draw(st.sampled_from(OWNERS))
    if kind == "cancel" and placed:
        order_id, placer = draw(st.sampled_from(placed[-12:]))  # recent orders: often still resting
        return CancelOrder(order_id, draw(st.sampled_from([placer, placer, placer, owner])), ts)
    if kind == "cancel_all":
        return CancelAll(owner, ts)
    if kind == "halt":
        until = draw(st.sampled_from([None, ts, ts + 10 * SECOND, ts + 500 * SECOND, ts + 500 * SECOND]))
        return Halt("operator", ts, until)
    if kind == "resume":
        return Resume(ts)
    if kind == "open_auction":
        return OpenAuction(ts)
    if kind == "expire":
        return Expire(ts)
    otype = draw(st.sampled_from([OrderType.LIMIT] * 4 + [OrderType.MARKET]))
    prices = st.integers(80, 120)
    price = draw(prices if otype is OrderType.LIMIT else st.one_of(st.none(), st.none(), prices))
    tif = draw(st.sampled_from(TimeInForce))
    post_only = otype is OrderType.LIMIT and tif is TimeInForce.GTC and draw(st.integers(0, 4)) == 0
    side = draw(st.sampled_from(Side))
    reuse = placed and draw(st.integers(0, 14)) == 0
    order_id = draw(st.sampled_from(placed))[0] if reuse else f"o{i}"
    placed.append((order_id, owner))
    quantity = draw(st.sampled_from(QUANTITIES))
    offset = draw(st.sampled_from(EXPIRY_OFFSETS))
    expires_ts = None if offset is None else ts + offset
    return PlaceOrder(order_id, owner, side, otype, price, quantity, tif, post_only, ts, expires_ts)


@st.composite
def command_streams(draw: st.DrawFn, max_size: int = 60) -> list[Command]:
    commands: list[Command] = []
    placed: list[tuple[str, str]] = []
    ts = 0
    for i in range(draw(st.integers(1, max_size))):
        ts += draw(st.sampled_from(TS_STEPS))
        commands.append(draw(_command(i, ts, placed)))
    return commands


def seeded_stream(seed: int, n: int) -> tuple[MarketConfig, list[Command]]:
    """A long reproducible stream (plain ``random``) with a config drawn from the same seed."""
    rng = random.Random(seed)
    xrng = random.Random(-1 - seed)  # expiries: their own draws, so the rest is the stream it always was
    prng = random.Random(1000 + seed)  # the limit state and the call auction: their own draws too
    config = MarketConfig(
        band_bps=rng.choice([200, 1000, 3000]),
        reference_window_ns=rng.choice([60 * SECOND, 300 * SECOND]),
        halt_ns=rng.choice([0, 50 * SECOND, 300 * SECOND]),
        collar_bps=rng.choice([100, 500, 2000]),
        auction_ns=prng.choice([0, 20 * SECOND, 300 * SECOND]),
        auction_collar_bps=prng.choice([None, 0, 300]),
        max_extensions=prng.choice([0, 1, 3]),
        limit_state_ns=prng.choice([0, 15 * SECOND, 100 * SECOND]),
    )
    used = [("o0", "alice")]  # (order_id, owner) of every order placed
    commands: list[Command] = []
    ts = 0
    for i in range(n):
        ts += rng.choice(TS_STEPS)
        kind, owner = rng.choice(KINDS), rng.choice(OWNERS)
        if xrng.randrange(25) == 0:
            commands.append(Expire(ts))
        if kind == "cancel":
            order_id, placer = rng.choice(used[-15:])  # recent orders: often still resting
            commands.append(CancelOrder(order_id, placer if rng.randrange(4) else owner, ts))
        elif kind == "cancel_all":
            commands.append(CancelAll(owner, ts))
        elif kind == "halt" and rng.randrange(4) == 0:
            commands.append(Halt("operator", ts, rng.choice([None, ts + 10 * SECOND, ts + 500 * SECOND])))
        elif kind == "open_auction" and rng.randrange(3) == 0:
            commands.append(OpenAuction(ts))
        elif kind in ("halt", "resume", "open_auction"):
            commands.append(Resume(ts))
        else:
            otype = OrderType.MARKET if rng.randrange(6) == 0 else OrderType.LIMIT
            price = rng.randint(80, 120) if otype is OrderType.LIMIT or rng.randrange(3) == 0 else None
            tif = rng.choice(list(TimeInForce))
            post_only = otype is OrderType.LIMIT and tif is TimeInForce.GTC and rng.randrange(6) == 0
            side = rng.choice(list(Side))
            quantity = rng.randint(0, 9)
            order_id = rng.choice(used)[0] if rng.randrange(20) == 0 else f"o{i}"
            used.append((order_id, owner))
            offset = xrng.choice(EXPIRY_OFFSETS) if xrng.randrange(3) == 0 else None  # the book must live on
            expires_ts = None if offset is None else ts + offset
            commands.append(PlaceOrder(order_id, owner, side, otype, price, quantity, tif, post_only, ts, expires_ts))
    return config, commands
