"""Circuit breakers, run against both engines: the rolling reference price, volatility
halts by band, expiry by command ts, the operator kill switch.

Here with the limit state and the call auction off (limit_state_ns 0, auction_ns 0): a
band breach halts at once and a halt ends straight into continuous trading.
test_matching_auction.py and test_matching_limit_state.py cover the phases."""

from __future__ import annotations

import itertools

import pytest

from backend.matching import (
    CancelAll,
    CancelOrder,
    Halt,
    MarketHalted,
    MarketResumed,
    OrderCancelled,
    OrderDone,
    OrderRested,
    RejectCode,
    Resume,
    Side,
    TimeInForce,
)
from tests.backend.matching.harness import SECOND, buy, fills, market, of, rejected, sell

HALT = 300 * SECOND  # default halt_ns and reference_window_ns
LEGACY = {"limit_state_ns": 0, "auction_ns": 0}


@pytest.fixture
def ex(make):
    return make(**LEGACY)


_ids = itertools.count()


def trade_at(ex, price, ts=0):
    """Print one lot at ``price`` between two bystanders."""
    n = next(_ids)
    ex.apply(sell(f"rs{n}", price, 1, owner="maker", ts=ts))
    assert fills(ex.apply(buy(f"rb{n}", price, 1, owner="taker", ts=ts)))


# ------------------------------------------------------------- reference price
def test_no_reference_and_no_band_before_the_first_trade(ex):
    assert ex.reference_price() is None
    ex.apply(sell("s1", 5000, 1))
    ex.apply(sell("s2", 9000, 1))
    assert fills(ex.apply(buy("b1", 9000, 2))) == [("s1", 5000, 1), ("s2", 9000, 1)]
    assert ex.halted is None and ex.reference_price() == 7000


def test_reference_is_the_floor_average_of_trades_in_the_window(ex):
    trade_at(ex, 100)
    trade_at(ex, 101)
    assert ex.reference_price() == 100
    trade_at(ex, 101)
    assert ex.reference_price() == 100  # 302 // 3
    trade_at(ex, 103, ts=10 * SECOND)
    assert ex.reference_price() == 101  # 405 // 4


def test_reference_window_rolls_with_command_time_and_falls_back_to_last_trade(ex):
    trade_at(ex, 100, ts=0)
    trade_at(ex, 104, ts=100 * SECOND)
    assert ex.reference_price() == 102
    assert ex.reference_price(ts=300 * SECOND) == 104  # the trade at 0 left the window
    assert ex.reference_price(ts=10_000 * SECOND) == 104  # empty window: last trade price
    assert ex.reference_price() == 102  # queries change nothing


def test_a_trade_exactly_one_window_old_no_longer_counts(ex):
    trade_at(ex, 100, ts=0)
    trade_at(ex, 110, ts=10 * SECOND)  # reference 105 until ts 300 s, then 110
    ex.apply(sell("s1", 120, 1, owner="carol"))
    ex.apply(sell("s2", 120, 1, owner="carol"))
    assert ex.reference_price(ts=HALT - 1) == 105 and ex.reference_price(ts=HALT) == 110
    assert fills(ex.apply(buy("b1", 120, 1, ts=HALT))) == [("s1", 120, 1)]  # 120 is within 110 +- 10%
    assert ex.halted is None


def test_the_same_trade_a_nanosecond_earlier_halts(ex):
    trade_at(ex, 100, ts=0)
    trade_at(ex, 110, ts=10 * SECOND)
    ex.apply(sell("s1", 120, 1, owner="carol"))
    events = ex.apply(buy("b1", 120, 1, ts=HALT - 1))  # 120 is outside 105 +- 10%
    assert not fills(events) and of(events, MarketHalted)


# --------------------------------------------------------------- volatility halt
def test_trade_outside_the_band_halts_the_market_instead(ex):
    trade_at(ex, 100)  # reference 100, band +-10%: 90..110 inclusive
    ex.apply(sell("s1", 105, 2, owner="carol"))
    ex.apply(sell("s2", 110, 2, owner="dave"))
    ex.apply(sell("s3", 111, 2, owner="erin"))
    events = ex.apply(buy("b1", 120, 10, ts=5 * SECOND))
    assert fills(events) == [("s1", 105, 2), ("s2", 110, 2)]  # these stand
    assert events[-2:] == [
        MarketHalted("volatility", 5 * SECOND + HALT, 5 * SECOND),
        OrderCancelled("b1", 6, "halted"),
    ]
    assert ex.halted == ("volatility", 5 * SECOND + HALT)
    assert ex.depth() == ([], [(111, 2)])


def test_band_is_fixed_for_the_whole_command(ex):
    trade_at(ex, 100)
    trade_at(ex, 109)  # reference 104: band 94..114
    ex.apply(sell("s1", 114, 1, owner="carol"))
    ex.apply(sell("s2", 115, 1, owner="carol"))
    events = ex.apply(buy("b1", 120, 2))
    assert fills(events) == [("s1", 114, 1)]
    assert of(events, MarketHalted)


def test_trade_below_the_band_halts_too(ex):
    trade_at(ex, 100)
    ex.apply(sell("s1", 89, 3, owner="carol"))  # rests: nobody bids that high
    events = ex.apply(buy("b1", 95, 3))
    assert not fills(events) and of(events, MarketHalted)
    assert events[-1] == OrderCancelled("b1", 3, "halted")


def test_sell_taker_hitting_a_bid_above_the_band_halts(ex):
    trade_at(ex, 100)
    ex.apply(buy("b1", 111, 3, owner="carol"))
    events = ex.apply(sell("s1", 100, 3))
    assert not fills(events) and events[-1] == OrderCancelled("s1", 3, "halted")


def test_market_order_breaching_the_band_halts(make):
    ex = make(collar_bps=3000, **LEGACY)  # a collar wider than the band
    trade_at(ex, 100)
    ex.apply(sell("s1", 108, 1, owner="carol"))
    ex.apply(sell("s2", 112, 1, owner="carol"))
    events = ex.apply(market("m1", Side.BUY, 5))
    assert fills(events) == [("s1", 108, 1)]
    assert of(events, MarketHalted) and events[-1] == OrderCancelled("m1", 4, "halted")


def test_fok_needing_liquidity_outside_the_band_is_rejected_without_halting(ex):
    trade_at(ex, 100)
    ex.apply(sell("s1", 105, 2, owner="carol"))
    ex.apply(sell("s2", 115, 2, owner="carol"))
    events = ex.apply(buy("b1", 120, 3, tif=TimeInForce.FOK))
    assert rejected(events).code is RejectCode.FOK_UNFILLED
    assert ex.halted is None
    assert fills(ex.apply(buy("b2", 120, 2, tif=TimeInForce.FOK))) == [("s1", 105, 2)]
    assert ex.halted is None


def test_self_trade_prevention_at_an_out_of_band_price_does_not_halt(ex):
    trade_at(ex, 100)
    ex.apply(sell("a1", 120, 2, owner="alice"))
    events = ex.apply(buy("a2", 125, 2, owner="alice"))
    assert events[1:] == [OrderCancelled("a1", 2, "self_trade"), OrderRested("a2", 2)]
    assert ex.halted is None


def test_while_halted_orders_are_rejected_with_the_reason_but_cancels_work(ex):
    ex.apply(sell("s1", 111, 2, owner="carol"))
    ex.apply(sell("s2", 112, 2, owner="carol"))
    trade_at(ex, 100)
    ex.apply(buy("b1", 111, 1))  # halts until HALT
    rejection = rejected(ex.apply(buy("b2", 90, 1, ts=HALT - 1)))
    assert rejection.code is RejectCode.MARKET_HALTED
    assert (rejection.halt_reason, rejection.until_ts) == ("volatility", HALT)
    assert ex.apply(CancelOrder("s1", "carol")) == [OrderCancelled("s1", 2, "user")]
    assert ex.apply(CancelAll("carol")) == [OrderCancelled("s2", 2, "cancel_all")]


def test_halt_expires_with_the_first_command_at_or_after_until(ex):
    trade_at(ex, 100)
    ex.apply(sell("s1", 130, 2, owner="carol"))
    ex.apply(buy("b1", 130, 1, ts=SECOND))
    until = SECOND + HALT
    assert rejected(ex.apply(buy("b2", 130, 1, ts=until - 1))).code is RejectCode.MARKET_HALTED
    assert ex.halted_at(until - 1) == ("volatility", until) and ex.halted_at(until) is None
    assert ex.reference_price(ts=until) is None  # that command will reopen the market
    events = ex.apply(buy("b3", 130, 1, ts=until))
    assert events[0] == MarketResumed(until)
    # reopening: the reference restarts, so the first trade after the pause sets it
    assert fills(events) == [("s1", 130, 1)] and ex.halted is None
    assert ex.reference_price() == 130


def test_zero_length_halt_lifts_on_the_next_command(make):
    ex = make(halt_ns=0, **LEGACY)
    trade_at(ex, 100)
    ex.apply(sell("s1", 200, 1, owner="carol"))
    assert of(ex.apply(buy("b1", 200, 1)), MarketHalted)
    assert ex.apply(Resume()) == [MarketResumed(0)]


# ------------------------------------------------------------------- operator
def test_operator_halt_lasts_until_resume(ex):
    trade_at(ex, 100)
    assert ex.apply(Halt("operator", ts=SECOND)) == [MarketHalted("operator", None, SECOND)]
    rejection = rejected(ex.apply(buy("b1", 100, 1, ts=10**6 * SECOND)))
    assert rejection.code is RejectCode.MARKET_HALTED
    assert (rejection.halt_reason, rejection.until_ts) == ("operator", None)
    assert ex.apply(Resume(ts=10**6 * SECOND)) == [MarketResumed(10**6 * SECOND)]
    assert ex.apply(Resume(ts=10**6 * SECOND)) == []  # not halted: nothing to do
    assert ex.reference_price() == 100  # an operator pause keeps the reference
    ex.apply(sell("s1", 100, 1, owner="carol"))
    assert isinstance(ex.apply(buy("b2", 100, 1))[-1], OrderDone)


def test_operator_halt_with_an_end_time_expires_by_itself(ex):
    ex.apply(Halt("maintenance", ts=0, until_ts=60 * SECOND))
    assert ex.halted == ("maintenance", 60 * SECOND)
    events = ex.apply(buy("b1", 100, 1, ts=60 * SECOND))
    assert events[0] == MarketResumed(60 * SECOND) and events[-1] == OrderRested("b1", 1)


def test_operator_halt_overrides_a_volatility_halt(ex):
    trade_at(ex, 100)
    ex.apply(sell("s1", 150, 1, owner="carol"))
    ex.apply(buy("b1", 150, 1))
    ex.apply(Halt("operator"))
    assert ex.halted == ("operator", None)
    assert rejected(ex.apply(buy("b2", 150, 1, ts=10 * HALT))).halt_reason == "operator"


def test_a_late_timestamp_does_not_reopen_a_halted_market(ex):
    ex.apply(Halt("maintenance", ts=100 * SECOND, until_ts=200 * SECOND))
    ex.apply(CancelAll("nobody", ts=250 * SECOND))
    assert ex.halted is None
    ex.apply(Halt("again", ts=0, until_ts=260 * SECOND))  # stamped at engine time 250 s
    assert of(ex.apply(CancelAll("nobody", ts=255 * SECOND)), MarketResumed) == []
    assert ex.halted == ("again", 260 * SECOND)
