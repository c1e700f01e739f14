"""A leaked operator key (or a buggy batch) attacks SettlementExchange with genuinely signed orders.

A fresh pair of eyes on issue 13: each test is one attack; the chain must refuse it with the
trade's own code and move nothing, and never let one crafted trade revert the whole batch.
docs/security.md's threat-model table lists them.
"""

import pytest
from brownie import chain
from eth_account import Account
from helpers import E18, ORDER_TYPES, PackingError, order, order_tuple, pack_trades, settle_trades, trade

PRICE = 25 * 10**6  # 25.000000 cash per token


@pytest.fixture(scope="module")
def holdings(market, cash, alice, bob, carol, dave):
    def _read():
        return {str(w): (market.balanceOf(w), cash.balanceOf(w)) for w in (alice, bob, carol, dave)}

    return _read


def codes(tx):
    return [e["code"] for e in tx.events["TradeFailed"]] if "TradeFailed" in tx.events else []


def settled(tx):
    return len(tx.events["TradeSettled"]) if "TradeSettled" in tx.events else 0


def test_an_order_cancelled_on_chain_cannot_be_settled_under_a_new_trade_seq(
    exchange, market, operator, sign, holdings, alice, bob
):
    """The trade id is new for every seq; the cancel is on the order's hash, so no seq revives it."""
    buy = order(bob, market, True, PRICE, 5 * E18, nonce=1)
    sell = order(alice, market, False, PRICE, 5 * E18, nonce=1)
    exchange.cancelOrder(order_tuple(sell), {"from": alice})
    before = holdings()
    for seq in (1, 2, 2**64 - 1):  # the largest seq settle() carries (uint64)
        tx = settle_trades(exchange, [trade(seq, buy, sign(buy), sell, sign(sell), PRICE, E18)], {"from": operator})
        assert codes(tx) == [6]
    assert holdings() == before


def test_a_signed_quantity_is_never_exceeded_across_trades_and_batches(
    exchange, market, operator, sign, holdings, alice, bob, carol
):
    """A 2-token sell filled 1 + 1 in two batches, then another seq and another buyer: code 8."""
    sell = order(alice, market, False, PRICE, 2 * E18, nonce=1)
    buy = order(bob, market, True, PRICE, 10 * E18, nonce=1)
    for seq in (1, 2):
        tx = settle_trades(exchange, [trade(seq, buy, sign(buy), sell, sign(sell), PRICE, E18)], {"from": operator})
        assert settled(tx) == 1
    assert market.balanceOf(bob) == 2 * E18
    # several trades in one batch, each alone within the remaining quantity: only the first goes
    sell2 = order(alice, market, False, PRICE, E18, nonce=2)
    batch = [trade(s, buy, sign(buy), sell2, sign(sell2), PRICE, E18) for s in (3, 4, 5)]
    tx = settle_trades(exchange, batch, {"from": operator})
    assert settled(tx) == 1 and codes(tx) == [8, 8]
    tx = settle_trades(exchange, [trade(6, buy, sign(buy), sell, sign(sell), PRICE, 1)], {"from": operator})
    assert codes(tx) == [8]
    assert market.balanceOf(bob) == 3 * E18


def test_orders_of_two_assets_cannot_be_crossed(exchange, market, operator, sign, create_asset, holdings, alice, bob):
    """A buy of one asset against a sell of another (a replay across markets): code 2."""
    other, _ = create_asset("OTHER")
    buy = order(bob, other, True, PRICE, E18, nonce=1)
    sell = order(alice, market, False, PRICE, E18, nonce=1)
    before = holdings()
    tx = settle_trades(exchange, [trade(1, buy, sign(buy), sell, sign(sell), PRICE, E18)], {"from": operator})
    assert codes(tx) == [2]
    assert holdings() == before


def test_a_signature_for_another_chain_or_exchange_does_not_settle(
    exchange, market, operator, keys, holdings, alice, bob, sign
):
    buy = order(bob, market, True, PRICE, E18, nonce=1)
    sell = order(alice, market, False, PRICE, E18, nonce=1)
    domain = {"name": "RWA Settlement", "version": "1", "chainId": chain.id, "verifyingContract": str(exchange)}
    before = holdings()
    for changed in ({"chainId": chain.id + 1}, {"verifyingContract": "0x" + "11" * 20}, {"version": "2"}):
        signature = Account.from_key(keys[str(bob)]).sign_typed_data({**domain, **changed}, ORDER_TYPES, buy).signature
        batch = [trade(1, buy, bytes(signature), sell, sign(sell), PRICE, E18)]
        assert codes(settle_trades(exchange, batch, {"from": operator})) == [3]
    assert holdings() == before


def test_absurd_prices_and_quantities_fail_alone_and_never_revert_the_batch(
    exchange, market, operator, sign, holdings, alice, bob, carol, dave
):
    """A crafted order with price and quantity at the packed maximum, 2^128-1 (settle()'s calldata
    cannot carry more: price * quantity always fits in 256 bits), sits in a batch with a good trade:
    it fails, the good one settles. A value past 128 bits cannot even be sent."""
    top = 2**128 - 1
    past = order(bob, market, True, top + 1, E18)
    with pytest.raises(PackingError):
        pack_trades([trade(1, past, sign(past), order(alice, market, False, 1, E18), b"\x01" * 65, 1, E18)])
    greedy_buy = order(bob, market, True, top, top, nonce=1)
    huge_sell = order(alice, market, False, 1, top, nonce=1)
    good_buy = order(dave, market, True, PRICE, E18, nonce=1)
    good_sell = order(carol, market, False, PRICE, E18, nonce=1)
    batch = [
        trade(1, greedy_buy, sign(greedy_buy), huge_sell, sign(huge_sell), top, top),  # cash not whole
        trade(2, greedy_buy, sign(greedy_buy), huge_sell, sign(huge_sell), 1, top),  # cash not whole
        trade(3, greedy_buy, sign(greedy_buy), huge_sell, sign(huge_sell), 1, top // E18 * E18),  # > held
        trade(4, greedy_buy, sign(greedy_buy), huge_sell, sign(huge_sell), 0, E18),  # price 0
        trade(5, good_buy, sign(good_buy), good_sell, sign(good_sell), PRICE, E18),
    ]
    tx = settle_trades(exchange, batch, {"from": operator})
    assert codes(tx) == [8, 8, 9, 7] and settled(tx) == 1
    assert market.balanceOf(dave) == E18


def test_a_self_trade_and_a_same_side_cross_are_refused(exchange, market, operator, sign, holdings, alice, bob):
    """The operator pairs a wallet with itself (wash trade), or two buys: code 2."""
    alice_buy = order(alice, market, True, PRICE, E18, nonce=1)
    alice_sell = order(alice, market, False, PRICE, E18, nonce=2)
    bob_buy = order(bob, market, True, PRICE, E18, nonce=1)
    before = holdings()
    batch = [
        trade(1, alice_buy, sign(alice_buy), alice_sell, sign(alice_sell), PRICE, E18),
        trade(2, bob_buy, sign(bob_buy), alice_buy, sign(alice_buy), PRICE, E18),
    ]
    assert codes(settle_trades(exchange, batch, {"from": operator})) == [2, 2]
    assert holdings() == before


def test_only_the_operator_settles_and_only_the_exchange_moves(exchange, market, sign, alice, bob, mallory):
    """A stranger cannot call settle nor executeTransfers (the self-call that moves tokens)."""
    import brownie

    buy = order(bob, market, True, PRICE, E18, nonce=1)
    sell = order(alice, market, False, PRICE, E18, nonce=1)
    with brownie.reverts():
        settle_trades(exchange, [trade(1, buy, sign(buy), sell, sign(sell), PRICE, E18)], {"from": mallory})
    with brownie.reverts():
        exchange.executeTransfers(market, alice, mallory, E18, 0, {"from": mallory})
    assert market.balanceOf(mallory) == 0
