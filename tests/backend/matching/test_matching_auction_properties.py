"""Properties of the call auction on random small call books, for both engines, checked
against a brute force written here: the uncross executes the most quantity possible
(over every integer price, or every price inside the widest collars once the extensions
are spent), at a price the tie rules pick; no order trades through its limit; nothing
matches during the call; cancels always succeed; a replay of the journal across the
auction rebuilds the same state hash."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.matching import (
    AuctionExtended,
    AuctionUncrossed,
    CancelOrder,
    Expire,
    Halt,
    MarketConfig,
    MatchingEngine,
    OpenAuction,
    OrderCancelled,
    ReferenceEngine,
    RestingOrder,
    Resume,
    Side,
    Trade,
)
from backend.trading.sequencer import decode_command, encode_command
from tests.backend.matching.harness import SECOND, Harness, buy, of, sell

CALL = 60 * SECOND
ENGINES = pytest.mark.parametrize("engine_cls", [MatchingEngine, ReferenceEngine], ids=["fast", "reference"])

orders = st.lists(
    st.tuples(st.sampled_from(Side), st.integers(1, 40), st.integers(1, 6), st.sampled_from("abcde"), st.booleans()),
    min_size=0,
    max_size=25,
)


def brute_force(book: list[RestingOrder], low: int, high: int, reference: int | None) -> tuple[int, int]:
    """(price, quantity) by the rule over every integer price in low..high."""
    scored = []
    for price in range(low, high + 1):
        demand = sum(o.remaining for o in book if o.side is Side.BUY and o.price >= price)
        supply = sum(o.remaining for o in book if o.side is Side.SELL and o.price <= price)
        scored.append((min(demand, supply), -abs(demand - supply), price))
    best = max(s[:2] for s in scored)
    tied = [s[2] for s in scored if s[:2] == best]
    target = reference if reference is not None else (min(tied) + max(tied)) // 2
    price = min(tied, key=lambda p: (abs(p - target), p))
    return price, best[0]


def run_call(engine_cls, config, start, placed, with_reference):
    """A call with ``placed`` orders entered (and every 4th one cancelled again); returns
    (harness, journal, the book before the uncross, the uncross's events)."""
    ex = Harness(engine_cls, config)
    journal = []

    def apply(command):
        journal.append(command)
        return ex.apply(command)

    if with_reference:
        apply(sell("r0", start, 1, owner="maker"))
        apply(buy("r1", start, 1, owner="taker"))
        apply(Halt("operator", ts=SECOND))
        apply(Resume(ts=SECOND))
    else:
        apply(OpenAuction(ts=SECOND))
    for i, (side, price, quantity, owner, cancel) in enumerate(placed):
        order = (buy if side is Side.BUY else sell)(f"o{i}", price, quantity, owner=owner, ts=2 * SECOND)
        events = apply(order)
        assert not of(events, Trade), "something matched during the call"
        if cancel and i % 4 == 0 and ex.engine.order(f"o{i}") is not None:
            events = apply(CancelOrder(f"o{i}", owner, ts=3 * SECOND))
            assert events == [OrderCancelled(f"o{i}", quantity, "user")], "a cancel failed during the call"
    book = ex.engine.resting_orders()
    events: list = []
    while ex.engine.phase == "auction":
        events += apply(Expire(ts=ex.engine.next_deadline()))
    return ex, journal, book, events


def collars(reference: int, bps: int) -> tuple[int, int]:
    low = -(-reference * (10_000 - bps) // 10_000)
    return max(low, 1), reference * (10_000 + bps) // 10_000


@ENGINES
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(placed=orders)
def test_an_opening_uncross_executes_the_most_quantity_possible_at_the_rule_price(engine_cls, placed):
    _ex, _journal, book, events = run_call(engine_cls, MarketConfig(auction_ns=CALL), 20, placed, False)
    done = of(events, AuctionUncrossed)[0]
    prices = [o.price for o in book]
    expected = brute_force(book, 1, max(prices, default=1) + 1, None)
    if expected[1] == 0:
        assert (done.price, done.quantity) == (None, 0)
    else:
        assert (done.price, done.quantity) == expected
    assert sum(t.quantity for t in of(events, Trade)) == done.quantity


@ENGINES
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    placed=orders,
    start=st.integers(10, 30),
    band=st.sampled_from([500, 1000, 2500]),
    extensions=st.sampled_from([0, 1, 2]),
)
def test_a_reopening_uncross_is_the_best_inside_the_collars_and_trades_through_no_limit(
    engine_cls, placed, start, band, extensions
):
    config = MarketConfig(band_bps=band, auction_ns=CALL, max_extensions=extensions)
    ex, journal, book, events = run_call(engine_cls, config, start, placed, True)
    done = of(events, AuctionUncrossed)[0]
    unrestricted = brute_force(book, 1, 42, start)
    extended = len(of(events, AuctionExtended))
    if unrestricted[1] == 0:
        assert (done.price, done.quantity, extended) == (None, 0, 0)
    else:
        for k in range(extensions + 1):
            low, high = collars(start, band * (1 + k))
            if low <= unrestricted[0] <= high:
                assert (done.price, done.quantity, extended) == (*unrestricted, k)
                assert not of(events, OrderCancelled)
                break
        else:
            price, quantity = brute_force(book, low, high, start)
            assert (done.price, done.quantity, extended) == (price if quantity else None, quantity, extensions)
            through = {o.order_id for o in book if (o.price > price if o.side is Side.BUY else o.price < price)}
            assert {e.order_id for e in of(events, OrderCancelled)} <= through
            assert {e.reason for e in of(events, OrderCancelled)} <= {"auction_collar"}
    for trade in of(events, Trade):
        by_id = {o.order_id: o for o in book}
        maker, taker = by_id[trade.maker_order_id], by_id[trade.taker_order_id]
        buy_order, sell_order = (maker, taker) if maker.side is Side.BUY else (taker, maker)
        assert sell_order.price <= trade.price <= buy_order.price
    # Replay of the JSON journal: the same state hash.
    replica = engine_cls(config)
    for row in [json.loads(json.dumps(encode_command(c))) for c in journal]:
        replica.apply(decode_command(row))
    assert replica.state_hash() == ex.engine.state_hash()
    assert MatchingEngine(config).state_hash() != ex.engine.state_hash()
