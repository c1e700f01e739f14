"""Cancels, cancel-all, order ids, input validation and the command frame, run against
both engines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.matching import (
    CancelAll,
    CancelOrder,
    Expire,
    Halt,
    OrderAccepted,
    OrderCancelled,
    OrderRested,
    OrderType,
    PlaceOrder,
    RejectCode,
    Resume,
    Side,
    TimeInForce,
)
from tests.backend.matching.harness import SECOND, buy, fills, market, rejected, sell


# -------------------------------------------------------------------- cancels
def test_owner_cancels_a_resting_order(ex):
    ex.apply(sell("s1", 100, 5))
    ex.apply(sell("s2", 100, 2, owner="carol"))
    assert ex.apply(CancelOrder("s1", "alice")) == [OrderCancelled("s1", 5, "user")]
    assert ex.depth() == ([], [(100, 2)])
    assert fills(ex.apply(buy("b1", 100, 2))) == [("s2", 100, 2)]


def test_cancel_reports_what_was_left_after_partial_fills(ex):
    ex.apply(sell("s1", 100, 5))
    ex.apply(buy("b1", 100, 3))
    assert ex.apply(CancelOrder("s1", "alice")) == [OrderCancelled("s1", 2, "user")]


@pytest.mark.parametrize(
    "setup, cancel",
    [
        ([], CancelOrder("nope", "alice")),
        ([sell("s1", 100, 5)], CancelOrder("s1", "mallory")),
        ([sell("s1", 100, 5), CancelOrder("s1", "alice")], CancelOrder("s1", "alice")),
        ([sell("s1", 100, 5), buy("b1", 100, 5)], CancelOrder("s1", "alice")),
    ],
    ids=["unknown", "other_owner", "already_cancelled", "already_filled"],
)
def test_cancel_of_an_order_that_is_not_the_callers_open_order_is_not_found(ex, setup, cancel):
    for command in setup:
        ex.apply(command)
    book = ex.resting_orders()
    assert rejected(ex.apply(cancel)).code is RejectCode.ORDER_NOT_FOUND
    assert ex.resting_orders() == book


def test_cancel_all_cancels_only_the_owners_orders_in_acceptance_order(ex):
    ex.apply(sell("a1", 105, 1, owner="alice"))
    ex.apply(buy("b1", 98, 1, owner="bob"))
    ex.apply(buy("a2", 99, 2, owner="alice"))
    ex.apply(sell("a3", 101, 3, owner="alice"))
    assert ex.apply(CancelAll("alice")) == [
        OrderCancelled("a1", 1, "cancel_all"),
        OrderCancelled("a2", 2, "cancel_all"),
        OrderCancelled("a3", 3, "cancel_all"),
    ]
    assert ex.depth() == ([(98, 1)], [])
    assert ex.apply(CancelAll("alice")) == []


def test_cancel_all_of_many_orders_at_one_level(ex):
    for i in range(50):
        ex.apply(sell(f"a{i}", 100, 1, owner="alice" if i % 2 else "carol"))
    ex.apply(CancelAll("alice"))
    assert ex.depth() == ([], [(100, 25)])
    assert [t[0] for t in fills(ex.apply(buy("b1", 100, 3)))] == ["a0", "a2", "a4"]


# ------------------------------------------------------------------ order ids
def test_an_accepted_order_id_can_never_be_reused(ex):
    ex.apply(sell("x", 100, 5))
    ex.apply(CancelOrder("x", "alice"))
    assert rejected(ex.apply(sell("x", 100, 5))).code is RejectCode.DUPLICATE_ORDER_ID
    assert rejected(ex.apply(buy("x", 90, 1, owner="carol"))).code is RejectCode.DUPLICATE_ORDER_ID


def test_a_rejected_order_id_is_free_to_use(ex):
    assert rejected(ex.apply(sell("x", 100, 0))).code is RejectCode.INVALID_QUANTITY
    assert ex.apply(sell("x", 100, 5))[-1] == OrderRested("x", 5)


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "command, code",
    [
        (sell("o", 100, 0), RejectCode.INVALID_QUANTITY),
        (sell("o", 100, -3), RejectCode.INVALID_QUANTITY),
        (sell("o", 100, True), RejectCode.INVALID_QUANTITY),
        (sell("o", 100, Decimal("5")), RejectCode.INVALID_QUANTITY),
        (sell("o", 100, 2.0), RejectCode.INVALID_QUANTITY),
        (sell("o", 100, "5"), RejectCode.INVALID_QUANTITY),
        (sell("o", None, 5), RejectCode.INVALID_PRICE),
        (sell("o", 0, 5), RejectCode.INVALID_PRICE),
        (sell("o", -100, 5), RejectCode.INVALID_PRICE),
        (sell("o", Decimal("100.5"), 5), RejectCode.INVALID_PRICE),
        (sell("o", 100.0, 5), RejectCode.INVALID_PRICE),
        (market("o", Side.BUY, 5, price=0), RejectCode.INVALID_PRICE),
        (market("o", Side.BUY, 0), RejectCode.INVALID_QUANTITY),
        (sell("", 100, 5), RejectCode.INVALID_ORDER),
        (sell("o", 100, 5, owner=""), RejectCode.INVALID_ORDER),
        (PlaceOrder("o", "bob", "up", OrderType.LIMIT, 100, 5), RejectCode.INVALID_ORDER),  # type: ignore[arg-type]
        (PlaceOrder("o", "bob", Side.BUY, "stop", 100, 5), RejectCode.INVALID_ORDER),  # type: ignore[arg-type]
        (PlaceOrder("o", "bob", Side.BUY, OrderType.LIMIT, 100, 5, "GTD"), RejectCode.INVALID_ORDER),  # type: ignore[arg-type]
    ],
)
def test_malformed_orders_are_rejected_and_change_nothing(ex, command, code):
    ex.apply(sell("s1", 101, 5))
    book = ex.resting_orders()
    assert rejected(ex.apply(command)).code is code
    assert ex.resting_orders() == book and ex.trade_seq == 0


def test_enum_fields_may_be_given_as_their_string_values(ex):
    events = ex.apply(PlaceOrder("o", "bob", "buy", "limit", 100, 5, "IOC"))  # type: ignore[arg-type]
    accepted = OrderAccepted("o", "bob", Side.BUY, OrderType.LIMIT, 100, 5, TimeInForce.IOC, False, 0)
    assert events[0] == accepted
    assert events[0].side is Side.BUY and events[0].tif is TimeInForce.IOC


@pytest.mark.parametrize(
    "bad",
    [object(), "cancel", Halt("x", ts=1.5), Halt("x", until_ts=2.5), Halt(None), Expire(ts=1.5), Expire(ts=None)],
    ids=repr,
)
def test_a_non_command_is_a_programming_error_and_changes_nothing(ex, bad):
    before = ex.state_hash()
    with pytest.raises(TypeError):
        ex.apply(bad)
    assert ex.state_hash() == before and ex.sequence == 0


# --------------------------------------------------------------- command frame
def test_sequence_counts_every_command_applied(ex):
    ex.apply(sell("s1", 100, 5))
    ex.apply(sell("s1", 100, 5))  # duplicate: rejected, still a command
    ex.apply(CancelOrder("zzz", "alice"))
    ex.apply(Resume())
    assert ex.sequence == 4


def test_engine_clock_never_runs_backwards(ex):
    ex.apply(sell("s1", 100, 5, ts=10 * SECOND))
    events = ex.apply(buy("b1", 100, 1, ts=3 * SECOND))  # a late, older timestamp
    assert {e.ts for e in events if hasattr(e, "ts")} == {10 * SECOND}
    assert ex.now == 10 * SECOND


def test_trade_seq_is_engine_wide_and_starts_at_one(ex):
    ex.apply(sell("s1", 100, 1))
    ex.apply(sell("s2", 101, 1, owner="carol"))
    ex.apply(buy("b1", 100, 1))
    ex.apply(buy("b2", 101, 1, owner="dave"))
    assert ex.trade_seq == 2
