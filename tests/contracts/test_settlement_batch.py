"""SettlementExchange batches: DvP, failure codes 1-10, isolation of failing trades, cancels."""

import pytest
from brownie import FalseReturningToken, ReentrantAsset
from eth_utils import keccak
from helpers import E18, ZERO_ADDRESS, missing_role, order, reverts, trade, trade_id

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


def make_trade(label, book_or_buy, sell=None, price=PRICE, quantity=10 * E18):
    buy, buy_sig = book_or_buy
    sell_order, sell_sig = sell
    return trade(label, buy, buy_sig, sell_order, sell_sig, price, quantity)


def failures(tx):
    return (
        [(event["tradeId"], event["code"]) for event in tx.events["TradeFailed"]] if "TradeFailed" in tx.events else []
    )


def settled_ids(tx):
    return [event["tradeId"] for event in tx.events["TradeSettled"]] if "TradeSettled" in tx.events else []


def hex_id(label):
    return "0x" + trade_id(label).hex()


def test_successful_dvp_batch(exchange, market, cash, operator, book, alice, bob, carol, dave):
    trades = [
        make_trade("t1", book["bob_buy"], book["alice_sell"], PRICE, 10 * E18),
        make_trade("t2", book["dave_buy"], book["carol_sell"], 24 * 10**6, 20 * E18),
    ]
    tx = exchange.settle(trades, {"from": operator})

    assert failures(tx) == []
    assert settled_ids(tx) == [hex_id("t1"), hex_id("t2")]
    assert market.balanceOf(bob) == 10 * E18 and market.balanceOf(alice) == 990 * E18
    assert market.balanceOf(dave) == 20 * E18 and market.balanceOf(carol) == 980 * E18
    assert cash.balanceOf(alice) == 250 * 10**6
    assert cash.balanceOf(bob) == 1_000_000 * 10**6 - 250 * 10**6
    assert cash.balanceOf(carol) == 480 * 10**6
    assert exchange.settled(trade_id("t1")) and exchange.settled(trade_id("t2"))
    buy_hash = exchange.hashOrder(trades[0][1])
    sell_hash = exchange.hashOrder(trades[0][3])
    assert exchange.filled(buy_hash) == 10 * E18 == exchange.filled(sell_hash)
    event = tx.events["TradeSettled"][0]
    assert (event["buyOrderHash"], event["sellOrderHash"]) == (buy_hash, sell_hash)
    assert (event["asset"], event["buyer"], event["seller"]) == (market, bob, alice)
    assert (event["price"], event["quantity"]) == (PRICE, 10 * E18)


def test_replayed_trade_id_fails_with_code_1(exchange, market, operator, book, bob):
    t = make_trade("replay", book["bob_buy"], book["alice_sell"])
    exchange.settle([t], {"from": operator})
    tx = exchange.settle([t], {"from": operator})
    assert failures(tx) == [(hex_id("replay"), 1)]
    assert market.balanceOf(bob) == 10 * E18


def test_same_trade_id_twice_in_one_batch_settles_once(exchange, market, operator, book, bob):
    t = make_trade("dup", book["bob_buy"], book["alice_sell"])
    tx = exchange.settle([t, t], {"from": operator})
    assert settled_ids(tx) == [hex_id("dup")]
    assert failures(tx) == [(hex_id("dup"), 1)]
    assert market.balanceOf(bob) == 10 * E18


def test_invalid_order_pairs_fail_with_code_2(exchange, market, cash, operator, sign, book, alice, bob):
    bob_buy, alice_sell = book["bob_buy"], book["alice_sell"]
    bob_sell_o = order(bob, market, False, PRICE, 100 * E18)
    alice_buy_o = order(alice, market, True, PRICE, 100 * E18)
    other_asset_sell = order(alice, cash, False, PRICE, 100 * E18)
    alice_self_buy = order(alice, market, True, PRICE, 100 * E18, nonce=9)
    cases = {
        "buy-not-buy": (book["alice_sell"], alice_sell),
        "sell-is-buy": (bob_buy, (alice_buy_o, sign(alice_buy_o))),
        "asset-mismatch": (bob_buy, (other_asset_sell, sign(other_asset_sell))),
        "self-trade": ((alice_self_buy, sign(alice_self_buy)), alice_sell),
        "both-swapped": ((bob_sell_o, sign(bob_sell_o)), (alice_buy_o, sign(alice_buy_o))),
    }
    trades = [make_trade(label, buy, sell) for label, (buy, sell) in cases.items()]
    tx = exchange.settle(trades, {"from": operator})
    assert failures(tx) == [(hex_id(label), 2) for label in cases]
    assert settled_ids(tx) == []


def test_expired_orders_fail_with_code_5(exchange, market, operator, sign, book, alice, bob, chain):
    past = chain.time() - 10
    buy = order(bob, market, True, PRICE, 100 * E18, nonce=2, expiry=past)
    sell = order(alice, market, False, PRICE, 100 * E18, nonce=2, expiry=past)
    future = chain.time() + 3600
    buy_ok = order(bob, market, True, PRICE, 100 * E18, nonce=3, expiry=future)
    trades = [
        make_trade("buy-expired", (buy, sign(buy)), book["alice_sell"]),
        make_trade("sell-expired", book["bob_buy"], (sell, sign(sell))),
        make_trade("future", (buy_ok, sign(buy_ok)), book["alice_sell"]),
        make_trade("no-expiry", book["bob_buy"], book["alice_sell"]),
    ]
    tx = exchange.settle(trades, {"from": operator})
    assert failures(tx) == [(hex_id("buy-expired"), 5), (hex_id("sell-expired"), 5)]
    assert settled_ids(tx) == [hex_id("future"), hex_id("no-expiry")]


def test_cancel_order_blocks_settlement(exchange, operator, book, bob):
    buy_order, _ = book["bob_buy"]
    tx = exchange.cancelOrder(tuple(buy_order.values()), {"from": bob})
    order_hash = exchange.hashOrder(tuple(buy_order.values()))
    assert tuple(tx.events["OrderCancelled"].values()) == (order_hash, bob)
    assert exchange.cancelled(order_hash)

    tx = exchange.settle([make_trade("after-cancel", book["bob_buy"], book["alice_sell"])], {"from": operator})
    assert failures(tx) == [(hex_id("after-cancel"), 6)]


def test_cancelled_sell_order_blocks_settlement(exchange, operator, book, alice):
    exchange.cancelOrder(tuple(book["alice_sell"][0].values()), {"from": alice})
    tx = exchange.settle([make_trade("sell-cancelled", book["bob_buy"], book["alice_sell"])], {"from": operator})
    assert failures(tx) == [(hex_id("sell-cancelled"), 6)]


def test_only_the_trader_cancels_its_order(exchange, book, operator, mallory):
    buy_order, _ = book["bob_buy"]
    for caller in (mallory, operator):
        with reverts("SettlementExchangeNotOrderOwner(address)", caller.address):
            exchange.cancelOrder(tuple(buy_order.values()), {"from": caller})


def test_cancel_after_partial_fill_stops_the_rest(exchange, operator, book, bob):
    exchange.settle([make_trade("part-1", book["bob_buy"], book["alice_sell"])], {"from": operator})
    exchange.cancelOrder(tuple(book["bob_buy"][0].values()), {"from": bob})
    tx = exchange.settle([make_trade("part-2", book["bob_buy"], book["alice_sell"])], {"from": operator})
    assert failures(tx) == [(hex_id("part-2"), 6)]


def test_price_outside_limits_fails_with_code_7(exchange, market, operator, sign, book, alice):
    zero_sell = order(alice, market, False, 0, 100 * E18, nonce=5)
    trades = [
        make_trade("above-buy-limit", book["bob_buy"], book["alice_sell"], PRICE + 1),
        make_trade("below-sell-limit", book["dave_buy"], book["carol_sell"], 24 * 10**6 - 1),
        make_trade("zero-price", book["bob_buy"], (zero_sell, sign(zero_sell)), 0),
        make_trade("inside", book["dave_buy"], book["carol_sell"], 24 * 10**6 + 500_000),
    ]
    tx = exchange.settle(trades, {"from": operator})
    assert failures(tx) == [(hex_id("above-buy-limit"), 7), (hex_id("below-sell-limit"), 7), (hex_id("zero-price"), 7)]
    assert settled_ids(tx) == [hex_id("inside")]


def test_overfill_across_two_trades_fails_with_code_8(exchange, market, operator, book, bob):
    trades = [
        make_trade("fill-60", book["bob_buy"], book["alice_sell"], PRICE, 60 * E18),
        make_trade("fill-50", book["bob_buy"], book["alice_sell"], PRICE, 50 * E18),
        make_trade("fill-40", book["bob_buy"], book["alice_sell"], PRICE, 40 * E18),
        make_trade("fill-1", book["bob_buy"], book["alice_sell"], PRICE, 1),
    ]
    tx = exchange.settle(trades, {"from": operator})
    assert settled_ids(tx) == [hex_id("fill-60"), hex_id("fill-40")]
    assert failures(tx) == [(hex_id("fill-50"), 8), (hex_id("fill-1"), 8)]
    assert market.balanceOf(bob) == 100 * E18
    assert exchange.filled(exchange.hashOrder(trades[0][1])) == 100 * E18


def test_overfill_of_the_sell_side_fails_with_code_8(exchange, market, operator, sign, book, alice, bob, dave):
    small_sell = order(alice, market, False, PRICE, 30 * E18, nonce=7)
    signed = (small_sell, sign(small_sell))
    trades = [
        make_trade("s-20", book["bob_buy"], signed, PRICE, 20 * E18),
        make_trade("s-20b", book["dave_buy"], signed, PRICE, 20 * E18),
    ]
    tx = exchange.settle(trades, {"from": operator})
    assert failures(tx) == [(hex_id("s-20b"), 8)]


def test_zero_quantity_fails_with_code_8(exchange, operator, book):
    tx = exchange.settle([make_trade("zero-qty", book["bob_buy"], book["alice_sell"], PRICE, 0)], {"from": operator})
    assert failures(tx) == [(hex_id("zero-qty"), 8)]


def test_compliance_failure_of_one_trade_does_not_revert_the_others(
    exchange, market, cash, admin, operator, sign, book, mallory, alice, bob
):
    cash.mint(mallory, 1000 * 10**6, {"from": admin})
    cash.approve(exchange, 2**256 - 1, {"from": mallory})
    mallory_buy = order(mallory, market, True, PRICE, 100 * E18)
    trades = [
        make_trade("ok-1", book["bob_buy"], book["alice_sell"]),
        make_trade("to-unverified", (mallory_buy, sign(mallory_buy)), book["alice_sell"]),
        make_trade("ok-2", book["dave_buy"], book["carol_sell"], PRICE),
    ]
    tx = exchange.settle(trades, {"from": operator})

    assert settled_ids(tx) == [hex_id("ok-1"), hex_id("ok-2")]
    assert failures(tx) == [(hex_id("to-unverified"), 9)]
    assert market.balanceOf(mallory) == 0
    assert cash.balanceOf(mallory) == 1000 * 10**6  # atomic: no cash left her wallet
    assert not exchange.settled(trade_id("to-unverified"))
    assert exchange.filled(exchange.hashOrder(trades[1][1])) == 0
    # the seller's order was only filled by the successful trade
    assert exchange.filled(exchange.hashOrder(trades[0][3])) == 10 * E18


def test_cash_failure_fails_with_code_10_and_moves_no_asset(exchange, market, cash, operator, book, alice, bob):
    cash.approve(exchange, 0, {"from": bob})
    tx = exchange.settle([make_trade("no-allowance", book["bob_buy"], book["alice_sell"])], {"from": operator})
    assert failures(tx) == [(hex_id("no-allowance"), 10)]
    assert market.balanceOf(bob) == 0 and market.balanceOf(alice) == 1000 * E18

    # the same trade id settles once the buyer approves again (failed trades can be retried)
    cash.approve(exchange, 2**256 - 1, {"from": bob})
    tx = exchange.settle([make_trade("no-allowance", book["bob_buy"], book["alice_sell"])], {"from": operator})
    assert settled_ids(tx) == [hex_id("no-allowance")]


def test_insufficient_cash_fails_with_code_10(exchange, market, cash, operator, book, bob, carol):
    cash.transfer(carol, cash.balanceOf(bob) - 1, {"from": bob})
    tx = exchange.settle([make_trade("poor", book["bob_buy"], book["alice_sell"])], {"from": operator})
    assert failures(tx) == [(hex_id("poor"), 10)]


def test_seller_without_allowance_fails_with_code_9(exchange, market, operator, book, alice):
    market.approve(exchange, 0, {"from": alice})
    tx = exchange.settle([make_trade("no-asset-allowance", book["bob_buy"], book["alice_sell"])], {"from": operator})
    assert failures(tx) == [(hex_id("no-asset-allowance"), 9)]


def test_cash_amount_rounds_down(exchange, market, cash, operator, sign, alice, bob):
    buy = order(bob, market, True, 3, 10 * E18, nonce=11)
    sell = order(alice, market, False, 3, 10 * E18, nonce=11)
    # 3 base units per token * 0.5 token = 1.5 -> 1
    t = trade("round", buy, sign(buy), sell, sign(sell), 3, E18 // 2)
    before = cash.balanceOf(alice)
    exchange.settle([t], {"from": operator})
    assert cash.balanceOf(alice) - before == 1


def test_only_operator_settles(exchange, admin, mallory, book):
    t = make_trade("unauthorised", book["bob_buy"], book["alice_sell"])
    for caller in (mallory, admin):
        with missing_role(caller, exchange.OPERATOR_ROLE()):
            exchange.settle([t], {"from": caller})


def test_execute_transfers_only_by_the_exchange_itself(exchange, market, alice, mallory):
    with reverts("SettlementExchangeOnlySelf(address)", mallory.address):
        exchange.executeTransfers(market, alice, mallory, E18, 0, {"from": mallory})


def test_empty_batch_is_a_no_op(exchange, operator):
    tx = exchange.settle([], {"from": operator})
    assert len(tx.events) == 0


def test_reentrant_asset_cannot_reenter(exchange, cash, admin, operator, sign, alice, bob, market):
    evil = ReentrantAsset.deploy(exchange, {"from": admin})
    exchange.grantRole(exchange.OPERATOR_ROLE(), evil, {"from": admin})  # only the guard stands
    evil.mint(alice, 10 * E18, {"from": admin})
    evil.approve(exchange, 2**256 - 1, {"from": alice})
    buy = order(bob, evil, True, PRICE, 10 * E18)
    sell = order(alice, evil, False, PRICE, 10 * E18)
    tx = exchange.settle([trade("evil", buy, sign(buy), sell, sign(sell), PRICE, E18)], {"from": operator})

    assert settled_ids(tx) == [hex_id("evil")]
    assert not evil.reentered()
    assert evil.settleRevertData() == "0x" + keccak(text="ReentrancyGuardReentrantCall()")[:4].hex()
    only_self = keccak(text="SettlementExchangeOnlySelf(address)")[:4].hex()
    assert evil.executeRevertData() == "0x" + only_self + "00" * 12 + evil.address[2:].lower()


def test_false_returning_asset_fails_with_code_9(exchange, admin, operator, sign, alice, bob):
    fake = FalseReturningToken.deploy({"from": admin})
    fake.mint(alice, 10 * E18, {"from": admin})
    buy = order(bob, fake, True, PRICE, 10 * E18)
    sell = order(alice, fake, False, PRICE, 10 * E18)
    tx = exchange.settle([trade("false", buy, sign(buy), sell, sign(sell), PRICE, E18)], {"from": operator})
    assert failures(tx) == [(hex_id("false"), 9)]


def test_asset_without_code_fails_with_code_9(exchange, operator, sign, alice, bob, mallory):
    buy = order(bob, mallory, True, PRICE, 10 * E18)
    sell = order(alice, mallory, False, PRICE, 10 * E18)
    tx = exchange.settle([trade("eoa", buy, sign(buy), sell, sign(sell), PRICE, E18)], {"from": operator})
    assert failures(tx) == [(hex_id("eoa"), 9)]


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


def test_price_times_quantity_overflow_fails_with_code_7(exchange, market, operator, sign, book, bob):
    """A market buy signs the maximum price; an absurd execution price must not revert the batch."""
    market_buy = order(bob, market, True, 2**256 - 1, 100 * E18, nonce=21)
    trades = [
        make_trade("overflow", (market_buy, sign(market_buy)), book["alice_sell"], 2**255, 10 * E18),
        make_trade("market-buy-ok", (market_buy, sign(market_buy)), book["alice_sell"], PRICE, 10 * E18),
    ]
    tx = exchange.settle(trades, {"from": operator})
    assert failures(tx) == [(hex_id("overflow"), 7)]
    assert settled_ids(tx) == [hex_id("market-buy-ok")]
