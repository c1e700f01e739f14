"""Differential tests: MatchingEngine and the naive ReferenceEngine, fed the same
random command streams, must emit the same events and end with the same book."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.matching import (
    BPS,
    AuctionUncrossed,
    CancelReason,
    Command,
    MarketConfig,
    MatchingEngine,
    OrderCancelled,
    OrderRejected,
    ReferenceEngine,
    RejectCode,
    Side,
)
from backend.matching.halts import band_bounds, collar_bound, in_band, within_collar
from tests.backend.matching.harness import Harness
from tests.backend.matching.streams import command_streams, configs, seeded_stream


def assert_same_behaviour(config: MarketConfig, commands: list[Command]) -> Counter[str]:
    """Run both engines in lock step; return a tally of what the stream exercised."""
    fast, slow = Harness(MatchingEngine, config), Harness(ReferenceEngine, config)
    seen: Counter[str] = Counter()
    for i, command in enumerate(commands):
        events = fast.apply(command)
        assert events == slow.apply(command), f"command #{i} {command}"
        for e in events:
            seen[type(e).__name__] += 1
            if isinstance(e, OrderCancelled):
                seen[f"cancel:{e.reason}"] += 1
            elif isinstance(e, OrderRejected):
                seen[f"reject:{e.code}"] += 1
            elif isinstance(e, AuctionUncrossed) and e.quantity:
                seen["uncross:traded"] += 1
        assert fast.depth() == slow.depth()
        assert fast.resting_orders() == slow.resting_orders()
        for query in ("halted", "trade_seq", "sequence", "now", "phase", "limit_state"):
            assert getattr(fast, query) == getattr(slow, query), query
        assert fast.auction_state() == slow.auction_state()
        assert fast.next_deadline() == slow.next_deadline()
        assert fast.reference_price() == slow.reference_price()
        later = (fast.now or 0) + config.reference_window_ns // 2 + 1
        assert fast.reference_price(later) == slow.reference_price(later)
    assert fast.state_hash() == slow.state_hash()
    return seen


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs, commands=command_streams())
def test_engines_agree_on_random_streams(config, commands):
    assert_same_behaviour(config, commands)


# Outcomes a stream sees only with some configs (limit state on or off, call auction on).
PHASE_OUTCOMES = {"cancel:halted", "cancel:limit_state", "cancel:auction_collar"}
SEEN_BY_SEED: dict[int, Counter[str]] = {}


@pytest.mark.parametrize("seed", range(6))
def test_engines_agree_on_long_streams_that_exercise_every_outcome(seed):
    config, commands = seeded_stream(seed, 1500)
    seen = SEEN_BY_SEED[seed] = assert_same_behaviour(config, commands)
    assert min(seen["Trade"], seen["cancel:user"]) >= 10, seen
    assert min(seen["MarketHalted"], seen["MarketResumed"]) > 5, seen
    outcomes = {f"cancel:{r}" for r in CancelReason} | {f"reject:{c}" for c in RejectCode}
    missing = outcomes - set(seen) - {"reject:order.invalid", "reject:order.invalid_price"} - PHASE_OUTCOMES
    assert not missing, missing


def test_the_long_streams_together_exercise_every_phase():
    if len(SEEN_BY_SEED) < 6:
        for seed in range(6):
            config, commands = seeded_stream(seed, 1500)
            SEEN_BY_SEED[seed] = assert_same_behaviour(config, commands)
    total: Counter[str] = sum(SEEN_BY_SEED.values(), Counter())
    assert PHASE_OUTCOMES <= set(total), total
    for kind in ("LimitStateStarted", "LimitStateEnded", "AuctionStarted", "AuctionExtended", "AuctionUncrossed"):
        assert total[kind] > 5, (kind, total)
    assert total["uncross:traded"] > 10, total


@given(
    price=st.integers(1, 10**7),
    base=st.integers(1, 10**7),
    bps=st.integers(0, 3 * BPS),
    side=st.sampled_from(Side),
)
def test_integer_bounds_agree_with_the_cross_multiplied_rules(price, base, bps, side):
    low, high = band_bounds(base, bps)
    assert (low <= price <= high) == in_band(price, base, bps)
    bound = collar_bound(side, base, bps)
    assert (price <= bound if side is Side.BUY else price >= bound) == within_collar(side, price, base, bps)


def assert_same_events_unobserved(config: MarketConfig, commands: list[Command]) -> None:
    """As assert_same_behaviour, but with no query between commands: MatchingEngine builds
    its owner index on the first query by owner (a CancelAll here, or the end), so its
    commands before that run without one."""
    fast, slow = MatchingEngine(config), ReferenceEngine(config)
    for i, command in enumerate(commands):
        assert fast.apply(command) == slow.apply(command), f"command #{i} {command}"
    owners = {o.owner for o in slow.resting_orders()} | {"nobody"}
    for owner in sorted(owners):
        assert fast.open_orders(owner) == slow.open_orders(owner), owner
    assert fast.resting_orders() == slow.resting_orders()
    assert fast.state_hash() == slow.state_hash()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs, commands=command_streams())
def test_engines_agree_with_no_queries_between_commands(config, commands):
    assert_same_events_unobserved(config, commands)


@pytest.mark.parametrize("seed", range(3))
def test_engines_agree_on_long_unobserved_streams(seed):
    config, commands = seeded_stream(seed, 1500)
    assert_same_events_unobserved(config, commands)
