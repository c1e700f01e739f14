"""SettlementExchange expiry: every order must expire; expiry 0 means already expired (code 5)."""

from brownie import chain
from helpers import E18, order, settle_trades, trade

PRICE = 25 * 10**6


def settle_pair(exchange, operator, sign, market, alice, bob, buy_expiry, sell_expiry, seq=1):
    buy = order(bob, market, True, PRICE, 100 * E18, nonce=seq, expiry=buy_expiry)
    sell = order(alice, market, False, PRICE, 100 * E18, nonce=seq, expiry=sell_expiry)
    return settle_trades(exchange, [trade(seq, buy, sign(buy), sell, sign(sell), PRICE, E18)], {"from": operator})


def outcome(tx):
    if "TradeFailed" in tx.events:
        return tx.events["TradeFailed"][0]["code"]
    return 0 if "TradeSettled" in tx.events else None


def test_buy_with_expiry_zero_fails_with_code_5(exchange, market, cash, operator, sign, alice, bob):
    cash_before = cash.balanceOf(bob)
    tx = settle_pair(exchange, operator, sign, market, alice, bob, 0, chain.time() + 3600)
    assert outcome(tx) == 5
    assert market.balanceOf(bob) == 0 and cash.balanceOf(bob) == cash_before


def test_sell_with_expiry_zero_fails_with_code_5(exchange, market, operator, sign, alice, bob):
    tx = settle_pair(exchange, operator, sign, market, alice, bob, chain.time() + 3600, 0)
    assert outcome(tx) == 5
    assert market.balanceOf(bob) == 0


def test_past_expiry_fails_with_code_5(exchange, market, operator, sign, alice, bob):
    future = chain.time() + 3600
    assert outcome(settle_pair(exchange, operator, sign, market, alice, bob, chain.time() - 10, future, 1)) == 5
    assert outcome(settle_pair(exchange, operator, sign, market, alice, bob, future, chain.time() - 10, 2)) == 5
    assert market.balanceOf(bob) == 0


def test_future_expiry_settles(exchange, market, operator, sign, alice, bob):
    future = chain.time() + 3600
    assert outcome(settle_pair(exchange, operator, sign, market, alice, bob, future, future)) == 0
    assert market.balanceOf(bob) == E18


def test_order_expires_once_its_time_passes(exchange, market, operator, sign, alice, bob):
    expiry = chain.time() + 600
    buy = order(bob, market, True, PRICE, 100 * E18, expiry=expiry)
    sell = order(alice, market, False, PRICE, 100 * E18, expiry=expiry)
    signed = (buy, sign(buy), sell, sign(sell))
    assert outcome(settle_trades(exchange, [trade(1, *signed, PRICE, E18)], {"from": operator})) == 0
    chain.sleep(1200)
    assert outcome(settle_trades(exchange, [trade(2, *signed, PRICE, E18)], {"from": operator})) == 5
    assert market.balanceOf(bob) == E18
