"""SettlementExchange.cancelUpTo: a trader invalidates every order below a nonce in one transaction."""

import pytest
from helpers import E18, order, reverts, settle_trades, trade

PRICE = 25 * 10**6
FLOOR_NOT_RAISED = "SettlementExchangeNonceFloorNotRaised(uint256,uint256)"


@pytest.fixture(scope="module")
def signed(market, sign):
    """signed(trader, is_buy, nonce) -> (order, signature), 100 tokens at PRICE."""

    def _signed(trader, is_buy, nonce):
        o = order(trader, market, is_buy, PRICE, 100 * E18, nonce=nonce)
        return o, sign(o)

    return _signed


def settle_one(exchange, operator, seq, buy, sell):
    (b, b_sig), (s, s_sig) = buy, sell
    return settle_trades(exchange, [trade(seq, b, b_sig, s, s_sig, PRICE, E18)], {"from": operator})


def outcome(tx):
    if "TradeFailed" in tx.events:
        return tx.events["TradeFailed"][0]["code"]
    return 0 if "TradeSettled" in tx.events else None


def test_nonce_floor_starts_at_zero(exchange, alice, bob):
    assert exchange.nonceFloor(alice) == 0 == exchange.nonceFloor(bob)


def test_cancel_up_to_raises_the_floor_and_emits_the_event(exchange, alice):
    tx = exchange.cancelUpTo(5, {"from": alice})
    assert exchange.nonceFloor(alice) == 5
    assert len(tx.events["NonceFloorRaised"]) == 1
    assert dict(tx.events["NonceFloorRaised"][0]) == {"trader": alice, "nonce": 5}

    tx = exchange.cancelUpTo(6, {"from": alice})
    assert exchange.nonceFloor(alice) == 6
    assert dict(tx.events["NonceFloorRaised"][0]) == {"trader": alice, "nonce": 6}


def test_cancel_up_to_the_same_floor_reverts(exchange, alice):
    exchange.cancelUpTo(5, {"from": alice})
    with reverts(FLOOR_NOT_RAISED, 5, 5):
        exchange.cancelUpTo(5, {"from": alice})
    assert exchange.nonceFloor(alice) == 5


def test_cancel_up_to_a_lower_floor_reverts(exchange, alice):
    exchange.cancelUpTo(5, {"from": alice})
    with reverts(FLOOR_NOT_RAISED, 5, 4):
        exchange.cancelUpTo(4, {"from": alice})
    assert exchange.nonceFloor(alice) == 5


def test_cancel_up_to_zero_from_a_fresh_wallet_reverts(exchange, alice):
    with reverts(FLOOR_NOT_RAISED, 0, 0):
        exchange.cancelUpTo(0, {"from": alice})


def test_orders_below_the_floor_fail_with_code_6_and_at_or_above_still_settle(
    exchange, market, cash, operator, signed, alice, bob
):
    exchange.cancelUpTo(10, {"from": alice})
    bob_buy = signed(bob, True, 1)
    cash_before = cash.balanceOf(bob)

    for seq, nonce in enumerate((0, 1, 9), start=1):
        assert outcome(settle_one(exchange, operator, seq, bob_buy, signed(alice, False, nonce))) == 6
    assert market.balanceOf(bob) == 0 and cash.balanceOf(bob) == cash_before

    for seq, nonce in enumerate((10, 11, 2**64 - 1), start=10):  # 2**64 - 1: the largest nonce settle() carries
        assert outcome(settle_one(exchange, operator, seq, bob_buy, signed(alice, False, nonce))) == 0
    assert market.balanceOf(bob) == 3 * E18


def test_the_buyers_floor_counts_too(exchange, operator, signed, alice, bob):
    exchange.cancelUpTo(3, {"from": bob})
    alice_sell = signed(alice, False, 1)
    assert outcome(settle_one(exchange, operator, 1, signed(bob, True, 2), alice_sell)) == 6
    assert outcome(settle_one(exchange, operator, 2, signed(bob, True, 3), alice_sell)) == 0


def test_cancel_up_to_affects_only_the_sender(exchange, operator, signed, alice, bob, carol, dave):
    exchange.cancelUpTo(100, {"from": alice})
    assert exchange.nonceFloor(carol) == 0 and exchange.nonceFloor(bob) == 0
    # carol's and bob's orders with low nonces still settle
    assert outcome(settle_one(exchange, operator, 1, signed(bob, True, 1), signed(carol, False, 1))) == 0
    # alice's does not
    assert outcome(settle_one(exchange, operator, 2, signed(dave, True, 1), signed(alice, False, 1))) == 6


def test_partially_filled_order_below_a_new_floor_stops(exchange, market, operator, signed, alice, bob):
    bob_buy, alice_sell = signed(bob, True, 1), signed(alice, False, 1)
    assert outcome(settle_one(exchange, operator, 1, bob_buy, alice_sell)) == 0
    exchange.cancelUpTo(2, {"from": alice})
    assert outcome(settle_one(exchange, operator, 2, bob_buy, alice_sell)) == 6
    assert market.balanceOf(bob) == E18


def test_an_operator_cannot_raise_a_traders_floor(exchange, operator, signed, alice, bob):
    """cancelUpTo acts on msg.sender only: the operator calling it changes the operator's floor."""
    exchange.cancelUpTo(50, {"from": operator})
    assert exchange.nonceFloor(operator) == 50 and exchange.nonceFloor(alice) == 0
    assert outcome(settle_one(exchange, operator, 1, signed(bob, True, 1), signed(alice, False, 1))) == 0
