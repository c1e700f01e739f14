"""Order behaviour, run against both engines (fixture ``ex``): priority, fills, TIFs,
market collar, post-only, self-trade prevention, cancels, ids and bad input."""

from __future__ import annotations

import pytest

from backend.matching import (
    CancelAll,
    CancelOrder,
    OrderAccepted,
    OrderCancelled,
    OrderDone,
    OrderRested,
    OrderType,
    PlaceOrder,
    RejectCode,
    Side,
    TimeInForce,
    Trade,
)
from tests.backend.matching.harness import buy, fills, market, of, rejected, sell

GTC, IOC, FOK = TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK
BUY, SELL = Side.BUY, Side.SELL


# ------------------------------------------------------------ price-time priority
def test_better_price_first_then_earlier_order_first(ex):
    ex.apply(sell("s1", 101, 5, owner="alice"))
    ex.apply(sell("s2", 100, 5, owner="carol"))
    ex.apply(sell("s3", 100, 5, owner="dave"))
    events = ex.apply(buy("b1", 101, 12, owner="bob", ts=7))
    assert events == [
        OrderAccepted("b1", "bob", BUY, OrderType.LIMIT, 101, 12, GTC, False, 7),
        Trade(1, "s2", "b1", "carol", "bob", BUY, 100, 5, 7),
        OrderDone("s2"),
        Trade(2, "s3", "b1", "dave", "bob", BUY, 100, 5, 7),
        OrderDone("s3"),
        Trade(3, "s1", "b1", "alice", "bob", BUY, 101, 2, 7),
        OrderDone("b1"),
    ]
    assert ex.order("s1").remaining == 3
    assert ex.trade_seq == 3


def test_sell_taker_hits_highest_bid_first(ex):
    ex.apply(buy("b1", 99, 5, owner="bob"))
    ex.apply(buy("b2", 100, 5, owner="carol"))
    events = ex.apply(sell("s1", 98, 7, owner="alice"))
    assert fills(events) == [("b2", 100, 5), ("b1", 99, 2)]
    assert ex.depth() == ([(99, 3)], [])


def test_trade_prints_at_the_resting_price(ex):
    ex.apply(sell("s1", 100, 5))
    events = ex.apply(buy("b1", 105, 5))
    assert fills(events) == [("s1", 100, 5)]


def test_partially_filled_maker_keeps_its_place_in_the_queue(ex):
    ex.apply(sell("s1", 100, 10, owner="alice"))
    ex.apply(sell("s2", 100, 5, owner="carol"))
    assert fills(ex.apply(buy("b1", 100, 4))) == [("s1", 100, 4)]
    assert ex.order("s1").remaining == 6
    assert fills(ex.apply(buy("b2", 100, 7))) == [("s1", 100, 6), ("s2", 100, 1)]
    assert ex.depth() == ([], [(100, 4)])


def test_non_crossing_orders_rest_and_depth_aggregates_levels(ex):
    for i, (price, qty) in enumerate([(99, 1), (98, 2), (99, 3), (97, 4)]):
        assert ex.apply(buy(f"b{i}", price, qty))[-1] == OrderRested(f"b{i}", qty)
    ex.apply(sell("s1", 101, 5))
    ex.apply(sell("s2", 102, 6))
    assert ex.depth() == ([(99, 4), (98, 2), (97, 4)], [(101, 5), (102, 6)])
    assert ex.depth(2) == ([(99, 4), (98, 2)], [(101, 5), (102, 6)])
    assert (ex.best_bid(), ex.best_ask()) == (99, 101)


@pytest.mark.parametrize("n", [-1, "2"])
def test_depth_refuses_a_bad_level_count(ex, n):
    with pytest.raises(ValueError):
        ex.depth(n)


def test_empty_book_has_no_best_prices(ex):
    assert (ex.best_bid(), ex.best_ask(), ex.depth()) == (None, None, ([], []))


# ------------------------------------------------------------------ time in force
def test_gtc_rests_its_remainder(ex):
    ex.apply(sell("s1", 100, 3))
    events = ex.apply(buy("b1", 100, 5))
    assert events[-1] == OrderRested("b1", 2)
    assert ex.depth() == ([(100, 2)], [])


def test_ioc_cancels_its_remainder(ex):
    ex.apply(sell("s1", 100, 3))
    events = ex.apply(buy("b1", 101, 5, tif=IOC))
    assert fills(events) == [("s1", 100, 3)]
    assert events[-1] == OrderCancelled("b1", 2, "ioc")
    assert ex.depth() == ([], [])


def test_ioc_that_cannot_trade_is_cancelled_whole(ex):
    ex.apply(sell("s1", 101, 3))
    events = ex.apply(buy("b1", 100, 5, tif=IOC))
    assert of(events, OrderCancelled) == [OrderCancelled("b1", 5, "ioc")]
    assert ex.depth() == ([], [(101, 3)])


def test_fok_fills_in_full_across_levels(ex):
    ex.apply(sell("s1", 100, 3))
    ex.apply(sell("s2", 101, 3, owner="carol"))
    events = ex.apply(buy("b1", 101, 5, tif=FOK))
    assert fills(events) == [("s1", 100, 3), ("s2", 101, 2)]
    assert events[-1] == OrderDone("b1")


def test_fok_that_cannot_fill_in_full_is_rejected_and_changes_nothing(ex):
    ex.apply(sell("s1", 100, 3))
    ex.apply(sell("s2", 102, 3, owner="carol"))
    book, trades = ex.resting_orders(), ex.trade_seq
    assert rejected(ex.apply(buy("b1", 101, 5, tif=FOK))).code is RejectCode.FOK_UNFILLED
    assert (ex.resting_orders(), ex.trade_seq) == (book, trades)
    # a rejected id was never accepted, so it may be used again
    assert of(ex.apply(buy("b1", 100, 1)), Trade)


def test_fok_does_not_count_its_owners_resting_orders(ex):
    ex.apply(sell("own", 100, 5, owner="bob"))
    ex.apply(sell("s1", 100, 3, owner="carol"))
    assert rejected(ex.apply(buy("b1", 100, 6, tif=FOK, owner="bob"))).code is RejectCode.FOK_UNFILLED
    assert ex.order("own").remaining == 5  # untouched by the rejected order
    events = ex.apply(buy("b2", 100, 3, tif=FOK, owner="bob"))
    assert events[1:] == [
        OrderCancelled("own", 5, "self_trade"),
        Trade(1, "s1", "b2", "carol", "bob", BUY, 100, 3, 0),
        OrderDone("s1"),
        OrderDone("b2"),
    ]


# --------------------------------------------------------------------- market
def test_market_order_sweeps_then_cancels_remainder_when_book_runs_out(ex):
    ex.apply(sell("s1", 100, 2))
    ex.apply(sell("s2", 101, 2, owner="carol"))
    events = ex.apply(market("m1", BUY, 10))
    assert events[0] == OrderAccepted("m1", "bob", BUY, OrderType.MARKET, None, 10, GTC, False, 0)
    assert fills(events) == [("s1", 100, 2), ("s2", 101, 2)]
    assert events[-1] == OrderCancelled("m1", 6, "market_remainder")


def test_market_order_on_empty_book_is_cancelled(ex):
    assert ex.apply(market("m1", SELL, 4))[-1] == OrderCancelled("m1", 4, "market_remainder")


def test_market_collar_without_reference_is_around_best_opposite(ex):
    # collar 5% of the best ask 100 -> buys up to 105
    for i, price in enumerate([100, 104, 105, 106]):
        ex.apply(sell(f"s{i}", price, 2, owner="alice"))
    events = ex.apply(market("m1", BUY, 10))
    assert fills(events) == [("s0", 100, 2), ("s1", 104, 2), ("s2", 105, 2)]
    assert events[-1] == OrderCancelled("m1", 4, "collar")
    assert ex.depth() == ([], [(106, 2)])


def test_market_collar_is_around_the_reference_price(ex):
    ex.apply(sell("s0", 100, 1))
    ex.apply(buy("b0", 100, 1))  # trade at 100: reference 100
    ex.apply(buy("b1", 96, 2, owner="carol"))
    ex.apply(buy("b2", 95, 2, owner="dave"))
    ex.apply(buy("b3", 94, 2, owner="erin"))
    events = ex.apply(market("m1", SELL, 10, owner="alice"))
    assert fills(events) == [("b1", 96, 2), ("b2", 95, 2)]  # 94 is below 100 - 5%
    assert events[-1] == OrderCancelled("m1", 6, "collar")


def test_market_price_is_an_extra_protection_limit(ex):
    for i, price in enumerate([100, 101, 103]):
        ex.apply(sell(f"s{i}", price, 2))
    events = ex.apply(market("m1", BUY, 10, price=101))
    assert events[0].price == 101
    assert fills(events) == [("s0", 100, 2), ("s1", 101, 2)]
    assert events[-1] == OrderCancelled("m1", 6, "market_remainder")


def test_market_order_never_rests_whatever_its_tif(ex):
    ex.apply(sell("s1", 100, 1))
    assert ex.apply(market("m1", BUY, 3, tif=GTC))[-1] == OrderCancelled("m1", 2, "market_remainder")
    assert ex.depth() == ([], [])


def test_market_fok_is_all_or_nothing_within_the_collar(ex):
    ex.apply(sell("s1", 100, 2))
    ex.apply(sell("s2", 106, 5, owner="carol"))
    assert rejected(ex.apply(market("m1", BUY, 3, tif=FOK))).code is RejectCode.FOK_UNFILLED
    assert fills(ex.apply(market("m2", BUY, 2, tif=FOK))) == [("s1", 100, 2)]


# ------------------------------------------------------------------- post-only
def test_post_only_rests_when_it_would_not_trade(ex):
    ex.apply(sell("s1", 101, 5))
    assert ex.apply(buy("b1", 100, 5, post_only=True))[-1] == OrderRested("b1", 5)


@pytest.mark.parametrize("owner", ["bob", "alice"], ids=["other_owner", "own_order"])
def test_post_only_that_would_cross_is_rejected(ex, owner):
    ex.apply(sell("s1", 100, 5, owner="alice"))
    book = ex.resting_orders()
    assert rejected(ex.apply(buy("b1", 100, 5, owner=owner, post_only=True))).code is RejectCode.WOULD_CROSS
    assert ex.resting_orders() == book


@pytest.mark.parametrize(
    "command",
    [buy("b1", 100, 5, tif=IOC, post_only=True), buy("b1", 100, 5, tif=FOK, post_only=True),
     PlaceOrder("b1", "bob", BUY, OrderType.MARKET, None, 5, GTC, True)],
    ids=["ioc", "fok", "market"],
)  # fmt: skip
def test_post_only_needs_a_limit_gtc_order(ex, command):
    assert rejected(ex.apply(command)).code is RejectCode.INVALID_ORDER


# ------------------------------------------------------- self-trade prevention
def test_self_trade_cancels_the_resting_order_and_matching_continues(ex):
    ex.apply(sell("c1", 100, 2, owner="carol"))
    ex.apply(sell("a1", 100, 2, owner="alice"))
    ex.apply(sell("d1", 100, 2, owner="dave"))
    events = ex.apply(buy("a2", 100, 3, owner="alice"))
    assert events[1:] == [
        Trade(1, "c1", "a2", "carol", "alice", BUY, 100, 2, 0),
        OrderDone("c1"),
        OrderCancelled("a1", 2, "self_trade"),
        Trade(2, "d1", "a2", "dave", "alice", BUY, 100, 1, 0),
        OrderDone("a2"),
    ]
    assert ex.depth() == ([], [(100, 1)])


def test_order_crossing_only_its_owners_orders_cancels_them_and_rests(ex):
    ex.apply(sell("a1", 100, 2, owner="alice"))
    ex.apply(sell("a2", 101, 2, owner="alice"))
    ex.apply(sell("a3", 103, 2, owner="alice"))
    events = ex.apply(buy("a4", 102, 5, owner="alice"))
    assert events[1:] == [
        OrderCancelled("a1", 2, "self_trade"),
        OrderCancelled("a2", 2, "self_trade"),
        OrderRested("a4", 5),
    ]
    assert ex.depth() == ([(102, 5)], [(103, 2)])


def test_own_orders_the_taker_does_not_reach_are_untouched(ex):
    ex.apply(sell("a1", 105, 2, owner="alice"))
    ex.apply(buy("a2", 101, 2, owner="alice"))
    assert ex.order("a1").remaining == 2 and ex.order("a2").remaining == 2


def test_open_orders_keep_acceptance_order_through_fills_and_cancels(engine_cls):
    """Owners' orders leave from the front, the middle and the back before any query by
    owner (MatchingEngine indexes owners on the first one) and after it."""
    ex = engine_cls()
    for i in range(6):
        ex.apply(sell(f"a{i}", 100 + i, 2, owner="alice"))
        ex.apply(sell(f"c{i}", 100 + i, 2, owner="carol"))
    ex.apply(buy("b1", 100, 2, owner="bob"))  # fills a0: alice's oldest
    ex.apply(CancelOrder("a3", "alice"))  # the middle
    ex.apply(CancelOrder("c5", "carol"))  # carol's newest
    assert [o.order_id for o in ex.open_orders("alice")] == ["a1", "a2", "a4", "a5"]
    assert [o.order_id for o in ex.open_orders("carol")] == ["c0", "c1", "c2", "c3", "c4"]
    ex.apply(buy("b2", 101, 3, owner="bob"))  # c0 then part of a1
    ex.apply(CancelOrder("a5", "alice"))
    ex.apply(sell("a6", 110, 1, owner="alice"))
    ex.apply(CancelOrder("c2", "carol"))
    assert [(o.order_id, o.remaining) for o in ex.open_orders("alice")] == [("a1", 1), ("a2", 2), ("a4", 2), ("a6", 1)]
    assert [o.order_id for o in ex.open_orders("carol")] == ["c1", "c3", "c4"]
    assert ex.apply(CancelAll("carol", ts=1)) == [
        OrderCancelled("c1", 2, "cancel_all"),
        OrderCancelled("c3", 2, "cancel_all"),
        OrderCancelled("c4", 2, "cancel_all"),
    ]
    assert ex.open_orders("carol") == [] and ex.open_orders("nobody") == []
