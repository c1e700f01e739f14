"""The operator key tries to settle what the investor never authorised, and the chain refuses.

The operator (OPERATOR_ROLE, a hot key on a server) holds genuinely signed orders and submits
trades the signatures do not cover: (a) a market buy, signed with its collar limit, filled above
that limit; (b) an order past its signed expiry; (c) an order below the trader's nonce floor,
i.e. cancelled on chain with cancelUpTo. Each fails with its code and nothing moves.
"""

import pytest
from brownie import chain
from helpers import E18, order, settle_trades, trade

REFERENCE = 25 * 10**6  # 25.000000 cash per token
COLLAR = 26 * 10**6  # reference + 4 %: the limit a market buy is signed with


@pytest.fixture(scope="module")
def holdings(market, cash, alice, bob):
    def _read():
        return {w: (market.balanceOf(w), cash.balanceOf(w)) for w in (str(alice), str(bob))}

    return _read


def only_failure(tx):
    assert "TradeSettled" not in tx.events
    (event,) = tx.events["TradeFailed"]
    return event["code"]


def test_market_buy_settled_above_its_signed_limit_fails_with_code_7(
    exchange, market, operator, sign, holdings, alice, bob
):
    market_buy = order(bob, market, True, COLLAR, 5 * E18, nonce=1, expiry=chain.time() + 300)
    # alice's sell limit is far above the collar: the only price crossing it is above bob's limit
    greedy_sell = order(alice, market, False, 999_000 * 10**6, 5 * E18, nonce=1)
    before = holdings()
    trades = [
        trade(1, market_buy, sign(market_buy), greedy_sell, sign(greedy_sell), 999_000 * 10**6, E18),
    ]
    assert only_failure(settle_trades(exchange, trades, {"from": operator})) == 7
    # just above the limit fails too, with an honest seller
    honest_sell = order(alice, market, False, REFERENCE, 5 * E18, nonce=2)
    trades = [trade(2, market_buy, sign(market_buy), honest_sell, sign(honest_sell), COLLAR + 1, E18)]
    assert only_failure(settle_trades(exchange, trades, {"from": operator})) == 7
    assert holdings() == before


def test_market_buy_at_its_limit_settles(exchange, market, operator, sign, holdings, alice, bob):
    """The control case: the same market buy filled at its signed limit goes through."""
    market_buy = order(bob, market, True, COLLAR, 5 * E18, nonce=1, expiry=chain.time() + 300)
    sell = order(alice, market, False, REFERENCE, 5 * E18, nonce=2)
    tx = settle_trades(
        exchange, [trade(1, market_buy, sign(market_buy), sell, sign(sell), COLLAR, E18)], {"from": operator}
    )
    assert "TradeFailed" not in tx.events
    assert market.balanceOf(bob) == E18


def test_expired_order_fails_with_code_5(exchange, market, operator, sign, holdings, alice, bob):
    ioc_buy = order(bob, market, True, REFERENCE, 5 * E18, nonce=1, expiry=chain.time() + 300)
    sell = order(alice, market, False, REFERENCE, 5 * E18, nonce=1)
    before = holdings()
    chain.sleep(301)
    chain.mine()
    tx = settle_trades(
        exchange, [trade(1, ioc_buy, sign(ioc_buy), sell, sign(sell), REFERENCE, E18)], {"from": operator}
    )
    assert only_failure(tx) == 5
    assert holdings() == before


def test_order_below_the_nonce_floor_fails_with_code_6(exchange, market, operator, sign, holdings, alice, bob):
    resting_sell = order(alice, market, False, REFERENCE, 5 * E18, nonce=7)
    buy = order(bob, market, True, REFERENCE, 5 * E18, nonce=1)
    exchange.cancelUpTo(8, {"from": alice})  # alice walks away from everything below nonce 8
    before = holdings()
    tx = settle_trades(
        exchange, [trade(1, buy, sign(buy), resting_sell, sign(resting_sell), REFERENCE, E18)], {"from": operator}
    )
    assert only_failure(tx) == 6
    assert holdings() == before


def test_all_three_in_one_batch_fail_alone_and_move_nothing(exchange, market, operator, sign, holdings, alice, bob):
    market_buy = order(bob, market, True, COLLAR, 5 * E18, nonce=10, expiry=chain.time() + 300)
    lapsed_buy = order(bob, market, True, REFERENCE, 5 * E18, nonce=11, expiry=chain.time() - 60)
    stale_sell = order(alice, market, False, REFERENCE, 5 * E18, nonce=3)
    sell = order(alice, market, False, REFERENCE, 5 * E18, nonce=20)
    exchange.cancelUpTo(4, {"from": alice})
    before = holdings()
    trades = [
        trade(1, market_buy, sign(market_buy), sell, sign(sell), COLLAR + 10**6, E18),  # above the limit
        trade(2, lapsed_buy, sign(lapsed_buy), sell, sign(sell), REFERENCE, E18),  # expired
        trade(3, market_buy, sign(market_buy), stale_sell, sign(stale_sell), REFERENCE, E18),  # below floor
    ]
    tx = settle_trades(exchange, trades, {"from": operator})
    assert "TradeSettled" not in tx.events
    assert [e["code"] for e in tx.events["TradeFailed"]] == [7, 5, 6]
    assert holdings() == before
