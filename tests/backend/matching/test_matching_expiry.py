"""Order expiry, run against both engines: a resting order leaves the book at the first
command whose time reaches its expires_ts (``Expire`` alone will do), in every phase;
an order already expired on arrival is refused; orders without expires_ts never expire."""

from __future__ import annotations

import pytest

from backend.matching import (
    AuctionStarted,
    CancelAll,
    CancelOrder,
    CancelReason,
    Expire,
    Halt,
    MarketHalted,
    MarketResumed,
    MatchingEngine,
    OrderCancelled,
    OrderDone,
    OrderRested,
    RejectCode,
    Resume,
    Side,
    TimeInForce,
    Trade,
)
from tests.backend.matching.harness import SECOND, buy, fills, market, of, rejected, sell

EXPIRED = CancelReason.EXPIRED


def expired(order_id: str, remaining: int) -> OrderCancelled:
    return OrderCancelled(order_id, remaining, EXPIRED)


def test_a_resting_order_expires_at_the_first_command_that_reaches_its_expiry(ex):
    ex.apply(sell("s1", 100, 5, expires_ts=10 * SECOND))
    assert ex.next_expiry() == 10 * SECOND
    assert not of(ex.apply(buy("b1", 90, 1, ts=9 * SECOND)), OrderCancelled)  # not yet
    assert ex.order("s1") is not None
    # At 10 s the order leaves the book before the buy is matched: the buy finds nothing.
    events = ex.apply(buy("b2", 100, 2, ts=10 * SECOND))
    assert events[0] == expired("s1", 5)
    assert not of(events, Trade) and of(events, OrderRested)
    assert ex.order("s1") is None and ex.best_ask() is None
    assert ex.next_expiry() is None


def test_expire_alone_advances_time_and_expires_what_is_due(ex):
    ex.apply(sell("s1", 100, 5, expires_ts=10 * SECOND))
    ex.apply(buy("b1", 90, 3, expires_ts=20 * SECOND))
    assert ex.apply(Expire(ts=9 * SECOND)) == []
    assert ex.now == 9 * SECOND
    assert ex.apply(Expire(ts=15 * SECOND)) == [expired("s1", 5)]
    assert ex.next_expiry() == 20 * SECOND and ex.best_bid() == 90
    assert ex.apply(Expire(ts=25 * SECOND)) == [expired("b1", 3)]
    assert ex.depth() == ([], []) and ex.now == 25 * SECOND


def test_orders_due_together_expire_by_expiry_then_acceptance(ex):
    ex.apply(sell("late", 101, 1, expires_ts=7 * SECOND))
    ex.apply(sell("tie-first", 105, 1, expires_ts=5 * SECOND))
    ex.apply(buy("tie-second", 90, 2, expires_ts=5 * SECOND))
    ex.apply(sell("never", 110, 1))
    ex.apply(buy("later", 80, 1, expires_ts=8 * SECOND))
    events = ex.apply(CancelAll("nobody", ts=7 * SECOND))
    assert events == [expired("tie-first", 1), expired("tie-second", 2), expired("late", 1)]
    assert [o.order_id for o in ex.resting_orders()] == ["later", "never"]


def test_an_order_without_expiry_never_expires(ex):
    ex.apply(sell("s1", 100, 5))
    assert ex.next_expiry() is None
    assert ex.apply(Expire(ts=10**30)) == []
    assert ex.order("s1").remaining == 5 and ex.order("s1").expires_ts is None


def test_orders_expire_while_the_market_is_halted(ex):
    ex.apply(sell("s1", 100, 5, expires_ts=10 * SECOND))
    ex.apply(Halt("operator", ts=SECOND))
    assert ex.apply(Expire(ts=10 * SECOND)) == [expired("s1", 5)]
    assert ex.halted == ("operator", None)
    assert rejected(ex.apply(buy("b1", 100, 1, ts=11 * SECOND))).code is RejectCode.MARKET_HALTED


def test_a_timed_halt_reopens_before_the_orders_due_at_that_command_expire(ex):
    ex.apply(sell("s1", 100, 5, expires_ts=10 * SECOND))
    ex.apply(Halt("operator", ts=SECOND, until_ts=10 * SECOND))
    events = ex.apply(CancelOrder("nothing", "bob", ts=10 * SECOND))
    call = AuctionStarted("reopening", 310 * SECOND, None, None, None, 10 * SECOND)  # the halt ends in a call
    assert events[:3] == [MarketResumed(10 * SECOND), call, expired("s1", 5)]
    assert rejected(events[3:]).code is RejectCode.ORDER_NOT_FOUND


def test_halt_and_resume_commands_expire_due_orders_first(ex):
    ex.apply(sell("s1", 100, 5, expires_ts=10 * SECOND))
    ex.apply(sell("s2", 101, 5, expires_ts=20 * SECOND))
    assert ex.apply(Halt("operator", ts=10 * SECOND)) == [
        expired("s1", 5),
        MarketHalted("operator", None, 10 * SECOND),
    ]
    assert ex.apply(Resume(ts=20 * SECOND)) == [
        expired("s2", 5),
        MarketResumed(20 * SECOND),
        AuctionStarted("reopening", 320 * SECOND, None, None, None, 20 * SECOND),
    ]


def test_a_partially_filled_order_expires_with_its_remainder(ex):
    ex.apply(sell("s1", 100, 5, expires_ts=10 * SECOND))
    assert fills(ex.apply(buy("b1", 100, 2, ts=SECOND))) == [("s1", 100, 2)]
    assert ex.apply(Expire(ts=10 * SECOND)) == [expired("s1", 3)]


def test_a_user_cancel_at_the_expiry_finds_the_order_already_expired(ex):
    ex.apply(sell("s1", 100, 5, expires_ts=10 * SECOND))
    events = ex.apply(CancelOrder("s1", "alice", ts=10 * SECOND))
    assert events[0] == expired("s1", 5)
    assert rejected(events[1:]).code is RejectCode.ORDER_NOT_FOUND


@pytest.mark.parametrize("expires_ts", [5 * SECOND, 4 * SECOND, -1])
def test_a_taker_already_expired_is_rejected_and_changes_nothing(ex, expires_ts):
    ex.apply(sell("s1", 100, 5))
    before = ex.resting_orders()
    event = rejected(ex.apply(buy("b1", 100, 2, ts=5 * SECOND, expires_ts=expires_ts)))
    assert event.code is RejectCode.EXPIRED and event.order_id == "b1"
    assert ex.resting_orders() == before and ex.trade_seq == 0
    # The id was never accepted: it may be used again by a live order.
    assert of(ex.apply(buy("b1", 100, 2, ts=5 * SECOND, expires_ts=6 * SECOND)), OrderDone)


def test_expiry_is_judged_against_the_engine_clock_not_a_late_command_ts(ex):
    ex.apply(sell("s1", 100, 5, ts=10 * SECOND))
    # The command's own ts (8 s) is before the expiry (9 s), but the engine is at 10 s.
    assert rejected(ex.apply(buy("b1", 100, 1, ts=8 * SECOND, expires_ts=9 * SECOND))).code is RejectCode.EXPIRED


@pytest.mark.parametrize("expires_ts", [1.5e10, True, "20", 10**10 + 0j])
def test_an_expiry_that_is_not_an_int_is_invalid(ex, expires_ts):
    event = rejected(ex.apply(sell("s1", 100, 5, expires_ts=expires_ts)))
    assert event.code is RejectCode.INVALID_ORDER and "expires_ts" in event.message


def test_ioc_fok_and_market_orders_with_a_live_expiry_behave_as_ever(ex):
    ex.apply(sell("s1", 100, 3))
    ex.apply(sell("s2", 101, 3))
    later = 60 * SECOND
    ioc = ex.apply(buy("ioc", 100, 5, tif=TimeInForce.IOC, ts=SECOND, expires_ts=later))
    assert fills(ioc) == [("s1", 100, 3)] and ioc[-1] == OrderCancelled("ioc", 2, CancelReason.IOC)
    fok = ex.apply(buy("fok", 101, 2, tif=TimeInForce.FOK, ts=SECOND, expires_ts=later))
    assert fills(fok) == [("s2", 101, 2)] and fok[-1] == OrderDone("fok")
    mkt = ex.apply(market("mkt", Side.BUY, 4, ts=SECOND, expires_ts=later))
    assert fills(mkt) == [("s2", 101, 1)] and mkt[-1].reason == CancelReason.MARKET_REMAINDER
    assert ex.next_expiry() is None  # none of them rests


def test_next_expiry_skips_orders_that_no_longer_rest(ex):
    ex.apply(sell("a", 100, 1, expires_ts=10 * SECOND))
    ex.apply(sell("b", 101, 2, expires_ts=20 * SECOND))
    ex.apply(sell("c", 102, 2, expires_ts=30 * SECOND))
    assert ex.next_expiry() == 10 * SECOND
    ex.apply(CancelOrder("a", "alice", ts=SECOND))
    assert ex.next_expiry() == 20 * SECOND
    ex.apply(buy("x", 101, 2, ts=SECOND))  # fills b
    assert ex.next_expiry() == 30 * SECOND
    ex.apply(buy("y", 102, 2, owner="alice", ts=SECOND))  # self-trade prevention cancels c
    assert ex.next_expiry() is None
    assert ex.apply(Expire(ts=40 * SECOND)) == []


def test_the_resting_snapshot_and_the_state_hash_carry_the_expiry(engine_cls):
    one, other = engine_cls(), engine_cls()
    one.apply(sell("s1", 100, 5, expires_ts=10 * SECOND))
    other.apply(sell("s1", 100, 5, expires_ts=11 * SECOND))
    assert one.order("s1").expires_ts == 10 * SECOND
    assert one.state_hash() != other.state_hash()


def test_the_fast_engines_expiry_heap_stays_small_when_orders_leave_early():
    engine = MatchingEngine()
    for i in range(20_000):
        engine.apply(sell(f"s{i}", 100 + i % 7, 1, ts=i, expires_ts=10**12 + i))
        engine.apply(CancelOrder(f"s{i}", "alice", ts=i))
    engine.apply(sell("last", 100, 1, ts=20_000, expires_ts=10**12))
    assert len(engine._expiries) <= 2048  # dead entries purged, not kept for their expiry
    assert engine.next_expiry() == 10**12
    assert engine.apply(Expire(ts=2 * 10**12)) == [expired("last", 1)]
