"""SettlementExchange batches: DvP, failure codes 2 and 6-10, isolation of failing trades, cancels.

Codes 1 (the derived trade id), 3/4 (signatures) and 5 (expiry) and the nonce floor have their
own files: test_settlement_trade_id.py, test_settlement_signatures.py, test_settlement_expiry.py,
test_settlement_cancel_up_to.py.
"""

import pytest
from brownie import FalseReturningToken, ReentrantAsset
from eth_utils import keccak
from helpers import E18, ZERO_ADDRESS, PackingError, missing_role, order, pack_trades, reverts, settle_trades, trade

PRICE = 25 * 10**6  # 25 cash units per whole token


@pytest.fixture(scope="module")
def book(market, sign, alice, bob, carol, dave):
    """Standard resting orders: bob buys from alice, dave buys from carol, 100 tokens each at 25."""
    orders = {
        "bob_buy": order(bob, market, True, PRICE, 100 * E18, nonce=1),
        "alice_sell": order(alice, market, False, PRICE, 100 * E18, nonce=1),
        "dave_buy": order(dave, market, True, PRICE, 100 * E18, nonce=1),
        "carol_sell": order(carol, market, False, 24 * 10**6, 100 * E18, nonce=1),
    }
    return {name: (o, sign(o)) for name, o in orders.items()}


def make_trade(seq, signed_buy, signed_sell, price=PRICE, quantity=10 * E18):
    buy, buy_sig = signed_buy
    sell_order, sell_sig = signed_sell
    return trade(seq, buy, buy_sig, sell_order, sell_sig, price, quantity)


def failures(tx):
    return (
        [(event["tradeId"], event["code"]) for event in tx.events["TradeFailed"]] if "TradeFailed" in tx.events else []
    )


def settled_ids(tx):
    return [event["tradeId"] for event in tx.events["TradeSettled"]] if "TradeSettled" in tx.events else []


def test_successful_dvp_batch(exchange, market, cash, operator, book, tid, alice, bob, carol, dave):
    trades = [
        make_trade(1, book["bob_buy"], book["alice_sell"], PRICE, 10 * E18),
        make_trade(2, book["dave_buy"], book["carol_sell"], 24 * 10**6, 20 * E18),
    ]
    tx = settle_trades(exchange, trades, {"from": operator})

    assert failures(tx) == []
    assert settled_ids(tx) == [tid(trades[0]), tid(trades[1])]
    assert market.balanceOf(bob) == 10 * E18 and market.balanceOf(alice) == 990 * E18
    assert market.balanceOf(dave) == 20 * E18 and market.balanceOf(carol) == 980 * E18
    assert cash.balanceOf(alice) == 250 * 10**6
    assert cash.balanceOf(bob) == 1_000_000 * 10**6 - 250 * 10**6
    assert cash.balanceOf(carol) == 480 * 10**6
    assert exchange.settled(tid(trades[0]), 1) and exchange.settled(tid(trades[1]), 2)
    assert exchange.filled(trades[0][1]) == 10 * E18 == exchange.filled(trades[0][3])
    buy_hash = exchange.hashOrder(trades[0][1])
    sell_hash = exchange.hashOrder(trades[0][3])
    event = tx.events["TradeSettled"][0]
    assert (event["buyOrderHash"], event["sellOrderHash"]) == (buy_hash, sell_hash)
    assert dict(event) == {
        "tradeId": tid(trades[0]),
        "buyOrderHash": buy_hash,
        "sellOrderHash": sell_hash,
        "price": PRICE,
        "quantity": 10 * E18,
    }
    # who and what: the signed orders', shown by the same transaction's asset Transfer
    transfer = next(e for e in tx.events["Transfer"] if e.address == market.address)
    assert (transfer["from"], transfer["to"], transfer["value"]) == (alice, bob, 10 * E18)


def test_invalid_order_pairs_fail_with_code_2(exchange, market, cash, operator, sign, book, tid, alice, bob):
    bob_buy, alice_sell = book["bob_buy"], book["alice_sell"]
    bob_sell_o = order(bob, market, False, PRICE, 100 * E18)
    alice_buy_o = order(alice, market, True, PRICE, 100 * E18)
    other_asset_sell = order(alice, cash, False, PRICE, 100 * E18)
    alice_self_buy = order(alice, market, True, PRICE, 100 * E18, nonce=9)
    cases = [
        (alice_sell, alice_sell),  # the "buy" is a sell
        (bob_buy, (alice_buy_o, sign(alice_buy_o))),  # the "sell" is a buy
        (bob_buy, (other_asset_sell, sign(other_asset_sell))),  # assets differ
        ((alice_self_buy, sign(alice_self_buy)), alice_sell),  # self-trade
        ((bob_sell_o, sign(bob_sell_o)), (alice_buy_o, sign(alice_buy_o))),  # both swapped
    ]
    trades = [make_trade(seq, buy, sell) for seq, (buy, sell) in enumerate(cases, start=1)]
    tx = settle_trades(exchange, trades, {"from": operator})
    assert failures(tx) == [(tid(t), 2) for t in trades]
    assert settled_ids(tx) == []


def test_cancel_order_blocks_settlement(exchange, operator, book, tid, bob):
    buy_order, _ = book["bob_buy"]
    tx = exchange.cancelOrder(tuple(buy_order.values()), {"from": bob})
    order_hash = exchange.hashOrder(tuple(buy_order.values()))
    assert tuple(tx.events["OrderCancelled"].values()) == (order_hash, bob)
    assert exchange.cancelled(order_hash)

    t = make_trade(1, book["bob_buy"], book["alice_sell"])
    tx = settle_trades(exchange, [t], {"from": operator})
    assert failures(tx) == [(tid(t), 6)]


def test_cancelled_sell_order_blocks_settlement(exchange, operator, book, tid, alice):
    exchange.cancelOrder(tuple(book["alice_sell"][0].values()), {"from": alice})
    t = make_trade(1, book["bob_buy"], book["alice_sell"])
    tx = settle_trades(exchange, [t], {"from": operator})
    assert failures(tx) == [(tid(t), 6)]


def test_only_the_trader_cancels_its_order(exchange, book, operator, mallory):
    buy_order, _ = book["bob_buy"]
    for caller in (mallory, operator):
        with reverts("SettlementExchangeNotOrderOwner(address)", caller.address):
            exchange.cancelOrder(tuple(buy_order.values()), {"from": caller})


def test_cancel_after_partial_fill_stops_the_rest(exchange, operator, book, tid, bob):
    settle_trades(exchange, [make_trade(1, book["bob_buy"], book["alice_sell"])], {"from": operator})
    exchange.cancelOrder(tuple(book["bob_buy"][0].values()), {"from": bob})
    t = make_trade(2, book["bob_buy"], book["alice_sell"])
    tx = settle_trades(exchange, [t], {"from": operator})
    assert failures(tx) == [(tid(t), 6)]


def test_price_outside_limits_fails_with_code_7(exchange, market, operator, sign, book, tid, alice):
    zero_sell = order(alice, market, False, 0, 100 * E18, nonce=5)
    trades = [
        make_trade(1, book["bob_buy"], book["alice_sell"], PRICE + 1),  # above the buy limit
        make_trade(2, book["dave_buy"], book["carol_sell"], 24 * 10**6 - 1),  # below the sell limit
        make_trade(3, book["bob_buy"], (zero_sell, sign(zero_sell)), 0),  # zero price
        make_trade(4, book["dave_buy"], book["carol_sell"], 24 * 10**6 + 500_000),  # inside
    ]
    tx = settle_trades(exchange, trades, {"from": operator})
    assert failures(tx) == [(tid(trades[0]), 7), (tid(trades[1]), 7), (tid(trades[2]), 7)]
    assert settled_ids(tx) == [tid(trades[3])]


def test_overfill_across_two_trades_fails_with_code_8(exchange, market, operator, book, tid, bob):
    trades = [
        make_trade(1, book["bob_buy"], book["alice_sell"], PRICE, 60 * E18),
        make_trade(2, book["bob_buy"], book["alice_sell"], PRICE, 50 * E18),
        make_trade(3, book["bob_buy"], book["alice_sell"], PRICE, 40 * E18),
        make_trade(4, book["bob_buy"], book["alice_sell"], PRICE, 1),
    ]
    tx = settle_trades(exchange, trades, {"from": operator})
    assert settled_ids(tx) == [tid(trades[0]), tid(trades[2])]
    assert failures(tx) == [(tid(trades[1]), 8), (tid(trades[3]), 8)]
    assert market.balanceOf(bob) == 100 * E18
    assert exchange.filled(trades[0][1]) == 100 * E18


def test_overfill_of_the_sell_side_fails_with_code_8(exchange, market, operator, sign, book, tid, alice, bob, dave):
    small_sell = order(alice, market, False, PRICE, 30 * E18, nonce=7)
    signed = (small_sell, sign(small_sell))
    trades = [
        make_trade(1, book["bob_buy"], signed, PRICE, 20 * E18),
        make_trade(2, book["dave_buy"], signed, PRICE, 20 * E18),
    ]
    tx = settle_trades(exchange, trades, {"from": operator})
    assert failures(tx) == [(tid(trades[1]), 8)]


def test_zero_quantity_fails_with_code_8(exchange, operator, book, tid):
    t = make_trade(1, book["bob_buy"], book["alice_sell"], PRICE, 0)
    tx = settle_trades(exchange, [t], {"from": operator})
    assert failures(tx) == [(tid(t), 8)]


def test_compliance_failure_of_one_trade_does_not_revert_the_others(
    exchange, market, cash, admin, operator, sign, book, tid, mallory, alice, bob
):
    cash.mint(mallory, 1000 * 10**6, {"from": admin})
    cash.approve(exchange, 2**256 - 1, {"from": mallory})
    mallory_buy = order(mallory, market, True, PRICE, 100 * E18)
    trades = [
        make_trade(1, book["bob_buy"], book["alice_sell"]),
        make_trade(2, (mallory_buy, sign(mallory_buy)), book["alice_sell"]),  # to an unverified wallet
        make_trade(3, book["dave_buy"], book["carol_sell"], PRICE),
    ]
    tx = settle_trades(exchange, trades, {"from": operator})

    assert settled_ids(tx) == [tid(trades[0]), tid(trades[2])]
    assert failures(tx) == [(tid(trades[1]), 9)]
    assert market.balanceOf(mallory) == 0
    assert cash.balanceOf(mallory) == 1000 * 10**6  # atomic: no cash left her wallet
    assert not exchange.settled(tid(trades[1]), trades[1][0])
    assert exchange.filled(trades[1][1]) == 0
    # the seller's order was only filled by the successful trade
    assert exchange.filled(trades[0][3]) == 10 * E18


def test_cash_failure_fails_with_code_10_and_moves_no_asset(exchange, market, cash, operator, book, tid, alice, bob):
    cash.approve(exchange, 0, {"from": bob})
    t = make_trade(1, book["bob_buy"], book["alice_sell"])
    tx = settle_trades(exchange, [t], {"from": operator})
    assert failures(tx) == [(tid(t), 10)]
    assert market.balanceOf(bob) == 0 and market.balanceOf(alice) == 1000 * E18

    # the same trade (same orders, same seq) settles once the buyer approves again: failed
    # trades can be retried
    cash.approve(exchange, 2**256 - 1, {"from": bob})
    tx = settle_trades(exchange, [t], {"from": operator})
    assert settled_ids(tx) == [tid(t)]


def test_insufficient_cash_fails_with_code_10(exchange, market, cash, operator, book, tid, bob, carol):
    cash.transfer(carol, cash.balanceOf(bob) - 1, {"from": bob})
    t = make_trade(1, book["bob_buy"], book["alice_sell"])
    tx = settle_trades(exchange, [t], {"from": operator})
    assert failures(tx) == [(tid(t), 10)]


def test_seller_without_allowance_fails_with_code_9(exchange, market, operator, book, tid, alice):
    market.approve(exchange, 0, {"from": alice})
    t = make_trade(1, book["bob_buy"], book["alice_sell"])
    tx = settle_trades(exchange, [t], {"from": operator})
    assert failures(tx) == [(tid(t), 9)]


def test_a_cash_amount_that_would_round_fails_with_code_8(exchange, market, cash, operator, sign, alice, bob):
    buy = order(bob, market, True, 3, 10 * E18, nonce=11)
    sell = order(alice, market, False, 3, 10 * E18, nonce=11)
    # 3 base units per token * 0.5 token = 1.5: never rounded (down, against the seller)
    t = trade(1, buy, sign(buy), sell, sign(sell), 3, E18 // 2)
    before, held = cash.balanceOf(alice), market.balanceOf(alice)
    tx = settle_trades(exchange, [t], {"from": operator})
    assert [e["code"] for e in tx.events["TradeFailed"]] == [8]
    assert cash.balanceOf(alice) == before and market.balanceOf(alice) == held


def test_only_operator_settles(exchange, admin, mallory, book):
    t = make_trade(1, book["bob_buy"], book["alice_sell"])
    for caller in (mallory, admin):
        with missing_role(caller, exchange.OPERATOR_ROLE()):
            settle_trades(exchange, [t], {"from": caller})


def test_execute_transfers_only_by_the_exchange_itself(exchange, market, alice, mallory):
    with reverts("SettlementExchangeOnlySelf(address)", mallory.address):
        exchange.executeTransfers(market, alice, mallory, E18, 0, {"from": mallory})


def test_empty_batch_is_a_no_op(exchange, operator):
    tx = settle_trades(exchange, [], {"from": operator})
    assert len(tx.events) == 0


def test_reentrant_asset_cannot_reenter(exchange, cash, admin, operator, sign, tid, alice, bob, market):
    evil = ReentrantAsset.deploy(exchange, {"from": admin})
    exchange.grantRole(exchange.OPERATOR_ROLE(), evil, {"from": admin})  # only the guard stands
    evil.mint(alice, 10 * E18, {"from": admin})
    evil.approve(exchange, 2**256 - 1, {"from": alice})
    buy = order(bob, evil, True, PRICE, 10 * E18)
    sell = order(alice, evil, False, PRICE, 10 * E18)
    t = trade(1, buy, sign(buy), sell, sign(sell), PRICE, E18)
    tx = settle_trades(exchange, [t], {"from": operator})

    assert settled_ids(tx) == [tid(t)]
    assert not evil.reentered()
    assert evil.settleRevertData() == "0x" + keccak(text="ReentrancyGuardReentrantCall()")[:4].hex()
    only_self = keccak(text="SettlementExchangeOnlySelf(address)")[:4].hex()
    assert evil.executeRevertData() == "0x" + only_self + "00" * 12 + evil.address[2:].lower()


def test_false_returning_asset_fails_with_code_9(exchange, admin, operator, sign, tid, alice, bob):
    fake = FalseReturningToken.deploy({"from": admin})
    fake.mint(alice, 10 * E18, {"from": admin})
    buy = order(bob, fake, True, PRICE, 10 * E18)
    sell = order(alice, fake, False, PRICE, 10 * E18)
    t = trade(1, buy, sign(buy), sell, sign(sell), PRICE, E18)
    tx = settle_trades(exchange, [t], {"from": operator})
    assert failures(tx) == [(tid(t), 9)]


def test_asset_without_code_fails_with_code_9(exchange, operator, sign, tid, alice, bob, mallory):
    buy = order(bob, mallory, True, PRICE, 10 * E18)
    sell = order(alice, mallory, False, PRICE, 10 * E18)
    t = trade(1, buy, sign(buy), sell, sign(sell), PRICE, E18)
    tx = settle_trades(exchange, [t], {"from": operator})
    assert failures(tx) == [(tid(t), 9)]


def test_exchange_views(exchange, cash):
    assert exchange.cashToken() == cash
    assert exchange.FAIL_ALREADY_SETTLED() == 1 and exchange.FAIL_CASH_TRANSFER() == 10
    codes = [
        exchange.FAIL_ALREADY_SETTLED(),
        exchange.FAIL_INVALID_ORDERS(),
        exchange.FAIL_BAD_BUY_SIGNATURE(),
        exchange.FAIL_BAD_SELL_SIGNATURE(),
        exchange.FAIL_EXPIRED(),
        exchange.FAIL_CANCELLED(),
        exchange.FAIL_PRICE(),
        exchange.FAIL_QUANTITY(),
        exchange.FAIL_ASSET_TRANSFER(),
        exchange.FAIL_CASH_TRANSFER(),
    ]
    assert codes == list(range(1, 11))


def test_zero_address_constructor_arguments_revert(admin):
    from brownie import SettlementExchange

    with reverts("SettlementExchangeZeroAddress()"):
        SettlementExchange.deploy(ZERO_ADDRESS, admin, {"from": admin})


def test_the_largest_packed_price_fails_alone_and_a_larger_one_cannot_be_sent(
    exchange, market, operator, sign, book, tid, bob
):
    """The venue no longer signs unbounded limits, but the contract must not trust that: an
    absurd execution price (2^128-1, the most settle()'s calldata carries, so price * quantity
    always fits in 256 bits) against a buy limit as high fails alone, never reverts the batch;
    a price past 128 bits cannot be packed at all."""
    top = 2**128 - 1
    unbounded_buy = order(bob, market, True, top, 100 * E18, nonce=21)
    trades = [
        make_trade(1, (unbounded_buy, sign(unbounded_buy)), book["alice_sell"], top, 10 * E18),
        make_trade(2, (unbounded_buy, sign(unbounded_buy)), book["alice_sell"], PRICE, 10 * E18),
    ]
    tx = settle_trades(exchange, trades, {"from": operator})
    assert failures(tx) == [(tid(trades[0]), 10)]  # the buyer has not that much cash
    assert settled_ids(tx) == [tid(trades[1])]
    past = order(bob, market, True, top + 1, 100 * E18, nonce=22)
    with pytest.raises(PackingError):
        pack_trades([make_trade(3, (past, sign(past)), book["alice_sell"], PRICE, 10 * E18)])
