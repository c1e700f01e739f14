"""The limit state (LULD), run against both engines: a trade that would print outside the
band stops there and puts the market in a limit state; it ends as soon as the book can
trade inside the band again, and the market halts only if it has not after 15 s."""

from __future__ import annotations

from backend.matching import (
    AuctionStarted,
    CancelOrder,
    Expire,
    LimitStateEnded,
    LimitStateStarted,
    MarketHalted,
    MarketResumed,
    OrderCancelled,
    OrderRested,
)
from tests.backend.matching.harness import SECOND, buy, fills, of, sell

LIMIT = 15 * SECOND
HALT = 300 * SECOND


def trade_at(ex, price):
    ex.apply(sell("rs", price, 1, owner="maker"))
    assert fills(ex.apply(buy("rb", price, 1, owner="taker")))


def test_a_trade_outside_the_band_puts_the_market_in_a_limit_state_instead(ex):
    trade_at(ex, 100)  # band 90..110
    ex.apply(buy("b1", 95, 2, owner="carol"))
    ex.apply(buy("b2", 85, 2, owner="dave"))
    events = ex.apply(sell("s1", 80, 5, ts=SECOND))
    assert fills(events) == [("b1", 95, 2)]  # nothing prints outside the band
    assert events[-2:] == [LimitStateStarted("down", SECOND + LIMIT, SECOND), OrderCancelled("s1", 3, "limit_state")]
    assert ex.phase == "limit_state" and ex.limit_state == (SECOND, SECOND + LIMIT, "down")
    assert ex.halted is None and ex.next_deadline() == SECOND + LIMIT
    # Trading inside the band goes on; more selling through it is stopped again.
    ex.apply(buy("b3", 92, 1, owner="erin", ts=2 * SECOND))
    assert ex.phase == "continuous"  # a bid inside the band again: recovered
    events = ex.apply(sell("s2", 80, 3, owner="frank", ts=3 * SECOND))
    assert fills(events) == [("b3", 92, 1)]  # the band is 88..106 now (reference 97)
    assert of(events, LimitStateStarted) and events[-1] == OrderCancelled("s2", 2, "limit_state")
    assert ex.depth()[0] == [(85, 2)]


def test_the_limit_state_ends_as_soon_as_the_book_recovers(ex):
    trade_at(ex, 100)
    ex.apply(buy("b1", 80, 2, owner="carol"))
    ex.apply(sell("s1", 80, 1, ts=SECOND))
    assert ex.phase == "limit_state"
    events = ex.apply(buy("b2", 91, 1, owner="dave", ts=5 * SECOND))
    assert events[-2:] == [OrderRested("b2", 1), LimitStateEnded(5 * SECOND)]
    assert ex.apply(Expire(ts=SECOND + LIMIT)) == []  # no halt


def test_the_market_halts_when_the_book_has_not_recovered_after_15_s_then_calls(ex):
    trade_at(ex, 100)
    ex.apply(sell("s1", 120, 2, owner="carol"))
    events = ex.apply(buy("b1", 125, 1, ts=SECOND))
    assert events[-2:] == [LimitStateStarted("up", SECOND + LIMIT, SECOND), OrderCancelled("b1", 1, "limit_state")]
    assert ex.apply(Expire(ts=SECOND + LIMIT - 1)) == []
    assert ex.apply(Expire(ts=SECOND + LIMIT)) == [MarketHalted("volatility", SECOND + LIMIT + HALT, SECOND + LIMIT)]
    end = SECOND + LIMIT + HALT
    assert ex.apply(Expire(ts=end)) == [
        MarketResumed(end),
        AuctionStarted("reopening", end + 300 * SECOND, 100, 90, 110, end),
    ]


def test_cancels_succeed_in_a_limit_state(ex):
    trade_at(ex, 100)
    ex.apply(buy("b1", 80, 2, owner="carol"))
    ex.apply(sell("s1", 80, 1, ts=SECOND))
    assert ex.apply(CancelOrder("b1", "carol", ts=2 * SECOND)) == [OrderCancelled("b1", 2, "user")]
    assert ex.phase == "limit_state"  # still no bid inside the band


def test_with_limit_state_ns_0_a_breach_halts_at_once(make):
    ex = make(limit_state_ns=0)
    trade_at(ex, 100)
    ex.apply(buy("b1", 80, 2, owner="carol"))
    events = ex.apply(sell("s1", 80, 1, ts=SECOND))
    assert events[-2:] == [MarketHalted("volatility", SECOND + HALT, SECOND), OrderCancelled("s1", 1, "halted")]
