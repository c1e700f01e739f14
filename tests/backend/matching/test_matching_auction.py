"""The call auction, run against both engines: every halt ends in a call (orders and
cancels accepted, nothing matches), then the book uncrosses at one price; a new listing
opens through the same call (``OpenAuction``). Default config: band 10%, halt 300 s,
call 300 s, collars = the band, 3 extensions, limit state 15 s."""

from __future__ import annotations

import itertools

import pytest

from backend.matching import (
    AuctionExtended,
    AuctionStarted,
    AuctionState,
    AuctionUncrossed,
    CancelAll,
    CancelOrder,
    Expire,
    Halt,
    LimitStateStarted,
    MarketHalted,
    MarketResumed,
    OpenAuction,
    OrderAccepted,
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

CALL = 300 * SECOND  # default auction_ns (and halt_ns)


_ids = itertools.count()


def trade_at(ex, price, ts=0):
    n = next(_ids)
    ex.apply(sell(f"rs{n}", price, 1, owner="maker", ts=ts))
    assert fills(ex.apply(buy(f"rb{n}", price, 1, owner="taker", ts=ts)))


def call_after_operator_halt(ex, ts=SECOND):
    """Halt and resume at ``ts``: a reopening call runs until ts + CALL."""
    ex.apply(Halt("operator", ts=ts))
    events = ex.apply(Resume(ts=ts))
    assert events[0] == MarketResumed(ts) and isinstance(events[1], AuctionStarted)
    assert ex.phase == "auction"
    return events[1]


def uncross(events):
    found = of(events, AuctionUncrossed)
    assert len(found) == 1, events
    return found[0]


# ------------------------------------------------------------- the crash
def crash(ex):
    """After a trade at 100, bids at 99, 95, 80, 50, 10; a panic sell trades at 99 and 95
    and stops at the band; 15 s later the book has not recovered: the market halts."""
    trade_at(ex, 100)
    for price in (99, 95, 80, 50, 10):
        ex.apply(buy(f"bid{price}", price, 2, owner=f"bidder{price}"))
    events = ex.apply(sell("panic", 1, 5, owner="panic", ts=SECOND))
    assert fills(events) == [("bid99", 99, 2), ("bid95", 95, 2)]
    assert of(events, LimitStateStarted) == [LimitStateStarted("down", 16 * SECOND, SECOND)]
    assert events[-1] == OrderCancelled("panic", 1, "limit_state")
    assert ex.phase == "limit_state" and ex.depth()[0] == [(80, 2), (50, 2), (10, 2)]
    assert ex.apply(Expire(ts=16 * SECOND)) == [MarketHalted("volatility", 16 * SECOND + CALL, 16 * SECOND)]
    halt_end = 16 * SECOND + CALL
    # During the halt the panic sell is refused; then the halt ends in a call.
    assert rejected(ex.apply(sell("again", 1, 5, owner="panic", ts=halt_end - 1))).code is RejectCode.MARKET_HALTED
    events = ex.apply(Expire(ts=halt_end))
    # The call's reference is the last trade before the halt (95); collars +-10%.
    assert events == [MarketResumed(halt_end), AuctionStarted("reopening", halt_end + CALL, 95, 86, 104, halt_end)]
    return halt_end


def test_after_the_crash_a_panic_sell_does_not_sweep_the_stink_bids_the_market_reopens_by_auction(ex):
    start = crash(ex)
    events = ex.apply(sell("again", 1, 5, owner="panic", ts=start + SECOND))
    assert not of(events, Trade) and events[-1] == OrderRested("again", 5)  # nothing matches in the call
    state = ex.auction_state()
    assert (state.phase, state.indicative_price, state.matched_quantity) == ("reopening", 10, 5)
    assert (state.imbalance_side, state.imbalance_quantity) == (Side.BUY, 1)
    # Buyers come back during the call.
    ex.apply(buy("back", 96, 5, owner="bertie", ts=start + 2 * SECOND))
    state = ex.auction_state()
    assert (state.indicative_price, state.matched_quantity, state.imbalance_quantity) == (95, 5, 0)
    events = ex.apply(Expire(ts=start + CALL))
    assert events == [
        AuctionUncrossed("reopening", 95, 5, start + CALL),
        Trade(4, "again", "back", "panic", "bertie", Side.BUY, 95, 5, start + CALL),
        OrderDone("back"),
        OrderDone("again"),
    ]
    assert ex.phase == "continuous" and ex.reference_price() == 95
    assert ex.depth() == ([(80, 2), (50, 2), (10, 2)], [])  # the stink bids were not swept
    # And continuous trading after the reopening still stops at the band.
    events = ex.apply(sell("third", 1, 5, owner="panic", ts=start + CALL + 1))
    assert not fills(events) and of(events, LimitStateStarted)


def test_when_nobody_comes_back_the_call_extends_and_uncrosses_inside_the_widest_collars(ex):
    start = crash(ex)
    ex.apply(sell("again", 1, 5, owner="panic", ts=start + SECOND))
    end = start + CALL
    for extension, (low, high) in enumerate([(76, 114), (67, 123), (57, 133)], start=1):
        events = ex.apply(Expire(ts=end))
        end += CALL
        assert events == [AuctionExtended(end, extension, 10, low, high, end - CALL)]
        assert ex.auction_state().extensions == extension
    # After the last extension: the best price inside 57..133 (80: the 80 bid buys 2);
    # the rest of the sell, priced through it, is cancelled; 50 and 10 are untouched.
    assert ex.auction_state().indicative_price == 80
    events = ex.apply(Expire(ts=end))
    assert events == [
        AuctionUncrossed("reopening", 80, 2, end),
        Trade(4, "bid80", "again", "bidder80", "panic", Side.SELL, 80, 2, end),
        OrderDone("bid80"),
        OrderCancelled("again", 3, "auction_collar"),
    ]
    assert ex.depth() == ([(50, 2), (10, 2)], [])
    assert ex.reference_price() == 80


# ------------------------------------------------------------------ the call
def test_every_halt_ends_in_a_call_where_nothing_matches(ex):
    trade_at(ex, 100)
    ex.apply(sell("s1", 100, 3, owner="carol"))
    call = call_after_operator_halt(ex)
    assert call == AuctionStarted("reopening", SECOND + CALL, 100, 90, 110, SECOND)
    events = ex.apply(buy("b1", 105, 2, ts=2 * SECOND))
    assert events == [
        OrderAccepted("b1", "bob", Side.BUY, "limit", 105, 2, "GTC", False, 2 * SECOND),
        OrderRested("b1", 2),
    ]
    assert ex.best_bid() == 105 and ex.best_ask() == 100  # crossed, for now
    assert ex.next_deadline() == SECOND + CALL
    events = ex.apply(Expire(ts=SECOND + CALL))
    assert uncross(events) == AuctionUncrossed("reopening", 100, 2, SECOND + CALL)
    assert fills(events) == [("s1", 100, 2)]  # the older order is the maker
    assert ex.depth() == ([], [(100, 1)]) and ex.phase == "continuous"


def test_a_timed_halt_ends_in_a_call_at_its_end(ex):
    ex.apply(Halt("maintenance", ts=0, until_ts=60 * SECOND))
    events = ex.apply(buy("b1", 100, 1, ts=60 * SECOND))
    assert events[:2] == [
        MarketResumed(60 * SECOND),
        AuctionStarted("reopening", 60 * SECOND + CALL, None, None, None, 60 * SECOND),
    ]
    assert events[-1] == OrderRested("b1", 1)


def test_during_a_call_fok_is_refused_ioc_and_market_orders_are_cancelled_post_only_rests(ex):
    trade_at(ex, 100)
    ex.apply(sell("s1", 100, 5, owner="carol"))
    call_after_operator_halt(ex)
    assert rejected(ex.apply(buy("fok", 100, 1, tif=TimeInForce.FOK))).code is RejectCode.FOK_UNFILLED
    assert ex.apply(buy("ioc", 100, 1, tif=TimeInForce.IOC))[1:] == [OrderCancelled("ioc", 1, "ioc")]
    assert ex.apply(market("mkt", Side.BUY, 2))[1:] == [OrderCancelled("mkt", 2, "market_remainder")]
    assert ex.apply(buy("post", 101, 2, post_only=True))[1:] == [OrderRested("post", 2)]
    events = ex.apply(Expire(ts=SECOND + CALL))
    assert fills(events) == [("s1", 100, 2)]  # post-only takes part in the uncross
    assert uncross(events).price == 100


def test_cancels_always_succeed_during_a_call_and_a_halt(ex):
    trade_at(ex, 100)
    ex.apply(sell("s1", 101, 5, owner="carol"))
    ex.apply(sell("s2", 102, 5, owner="carol"))
    ex.apply(Halt("operator", ts=SECOND))
    assert ex.apply(CancelOrder("s1", "carol", ts=SECOND)) == [OrderCancelled("s1", 5, "user")]
    ex.apply(Resume(ts=SECOND))
    ex.apply(buy("b1", 110, 5, ts=2 * SECOND))
    assert ex.apply(CancelOrder("b1", "bob", ts=3 * SECOND)) == [OrderCancelled("b1", 5, "user")]
    assert ex.apply(CancelAll("carol", ts=3 * SECOND)) == [OrderCancelled("s2", 5, "cancel_all")]
    assert ex.depth() == ([], [])
    assert uncross(ex.apply(Expire(ts=SECOND + CALL))) == AuctionUncrossed("reopening", None, 0, SECOND + CALL)


def test_self_trade_prevention_in_a_call_cancels_the_owners_crossed_order(ex):
    trade_at(ex, 100)
    ex.apply(sell("a1", 101, 2, owner="alice"))
    call_after_operator_halt(ex)
    events = ex.apply(buy("a2", 102, 3, owner="alice", ts=2 * SECOND))
    assert events[1:] == [OrderCancelled("a1", 2, "self_trade"), OrderRested("a2", 3)]


def test_orders_priced_through_the_auction_price_fill_at_it_by_price_then_time(ex):
    trade_at(ex, 100)
    call_after_operator_halt(ex)
    ex.apply(buy("b1", 104, 2, owner="b1", ts=2 * SECOND))
    ex.apply(buy("b2", 101, 2, owner="b2", ts=3 * SECOND))
    ex.apply(buy("b3", 104, 2, owner="b3", ts=4 * SECOND))
    ex.apply(sell("s1", 97, 3, owner="s1", ts=5 * SECOND))
    ex.apply(sell("s2", 101, 2, owner="s2", ts=6 * SECOND))
    # At 101: demand 6, supply 5: executes 5 (the most); 97..100 and 102..104 execute less.
    events = ex.apply(Expire(ts=SECOND + CALL))
    assert uncross(events).price == 101
    assert [(t.maker_order_id, t.taker_order_id, t.price, t.quantity) for t in of(events, Trade)] == [
        ("b1", "s1", 101, 2),  # best-priced, oldest buy first
        ("b3", "s1", 101, 1),
        ("b3", "s2", 101, 1),
        ("b2", "s2", 101, 1),  # the marginal buy at the auction price fills last, in part
    ]
    assert ex.depth() == ([(101, 1)], [])  # its remainder rests in the continuous book
    assert ex.reference_price() == 101


def test_ties_go_to_the_least_imbalance_then_the_price_nearest_the_reference(make):
    ex = make(band_bps=5000)
    trade_at(ex, 100)
    call_after_operator_halt(ex)
    ex.apply(buy("b1", 106, 5, owner="b1"))
    ex.apply(sell("s1", 94, 5, owner="s1"))
    # 5 lots at any price from 94 to 106 with no imbalance: the reference 100 itself.
    assert ex.auction_state().indicative_price == 100
    ex.apply(buy("b2", 103, 1, owner="b2"))
    # Now 94..103 leave 1 lot of buy imbalance, 104..106 none: nearest 100 is 104.
    assert ex.auction_state().indicative_price == 104
    assert uncross(ex.apply(Expire(ts=SECOND + CALL))).price == 104


def test_an_opening_call_has_no_reference_nor_collars_and_sets_the_reference(ex):
    assert ex.apply(OpenAuction(ts=0)) == [AuctionStarted("opening", CALL, None, None, None, 0)]
    ex.apply(buy("b1", 130, 4, owner="b1"))
    ex.apply(sell("s1", 70, 4, owner="s1"))
    state = ex.auction_state()
    # 70..130 all execute 4 with no imbalance: with no reference, the midpoint.
    assert state == AuctionState("opening", CALL, 100, 4, None, 0, None, None, None, 0)
    events = ex.apply(buy("late", 90, 1, owner="b2", ts=CALL))  # the first command after the end
    assert uncross(events) == AuctionUncrossed("opening", 100, 4, CALL)
    assert events[-1] == OrderRested("late", 1)  # then trades continuously
    assert ex.reference_price() == 100 and ex.phase == "continuous"
    assert ex.auction_state() == AuctionState("none")


def test_a_halt_during_a_call_suspends_it_and_its_end_starts_a_new_call(ex):
    ex.apply(OpenAuction(ts=0))
    ex.apply(buy("b1", 110, 2, owner="b1"))
    ex.apply(sell("s1", 100, 2, owner="s1"))
    ex.apply(Halt("operator", ts=SECOND))
    assert ex.phase == "halted" and ex.apply(Expire(ts=CALL)) == []  # nothing uncrosses while halted
    events = ex.apply(Resume(ts=CALL))
    assert events == [MarketResumed(CALL), AuctionStarted("opening", 2 * CALL, None, None, None, CALL)]
    assert uncross(ex.apply(Expire(ts=2 * CALL))).quantity == 2


def test_an_order_that_expires_before_the_uncross_takes_no_part(ex):
    ex.apply(OpenAuction(ts=0))
    ex.apply(buy("b1", 110, 2, owner="b1", expires_ts=CALL - 1))
    ex.apply(sell("s1", 100, 2, owner="s1"))
    events = ex.apply(Expire(ts=CALL))
    assert events == [OrderCancelled("b1", 2, "expired"), AuctionUncrossed("opening", None, 0, CALL)]


def test_an_uncross_with_nothing_crossing_keeps_the_reference(ex):
    trade_at(ex, 100)
    call_after_operator_halt(ex)
    ex.apply(buy("b1", 90, 1, owner="b1"))
    assert uncross(ex.apply(Expire(ts=SECOND + CALL))) == AuctionUncrossed("reopening", None, 0, SECOND + CALL)
    assert ex.reference_price() == 100


def test_a_zero_extension_market_uncrosses_inside_the_first_collars(make):
    ex = make(max_extensions=0, auction_collar_bps=500)
    trade_at(ex, 100)
    call = call_after_operator_halt(ex)
    assert (call.collar_low, call.collar_high) == (95, 105)
    ex.apply(buy("b1", 120, 3, owner="b1"))
    ex.apply(sell("s1", 118, 3, owner="s1"))
    events = ex.apply(Expire(ts=SECOND + CALL))
    assert uncross(events) == AuctionUncrossed("reopening", None, 0, SECOND + CALL)  # nothing trades at 95..105
    assert of(events, OrderCancelled) == [OrderCancelled("b1", 3, "auction_collar")]  # priced through 105
    assert ex.depth() == ([], [(118, 3)])


def test_without_a_call_configured_a_halt_ends_straight_into_continuous_trading(make):
    ex = make(auction_ns=0)
    ex.apply(Halt("operator", ts=0))
    assert ex.apply(Resume(ts=SECOND)) == [MarketResumed(SECOND)]
    assert ex.phase == "continuous"


@pytest.mark.parametrize("command", [OpenAuction(ts=5), Halt("operator", ts=5), Resume(ts=5)])
def test_phase_commands_are_journaled_and_replay(command):
    from backend.trading.sequencer import decode_command, encode_command

    assert decode_command(encode_command(command)) == command
