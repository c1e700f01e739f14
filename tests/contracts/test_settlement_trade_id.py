"""SettlementExchange trade ids: derived from both order digests and the venue's sequence number.

tradeId = keccak256(abi.encode(buyHash, sellHash, seq)): the operator cannot choose it, and a
sequence number reused with other orders (say, after a database restore) is a new trade.
"""

import pytest
from eth_abi import encode
from eth_utils import keccak
from helpers import E18, derived_trade_id, order, order_hash, settle_trades, trade

PRICE = 25 * 10**6


@pytest.fixture(scope="module")
def pairs(market, sign, alice, bob, carol, dave):
    """Two crossing pairs of signed orders: bob buys from alice, dave buys from carol."""
    result = []
    for buyer, seller in ((bob, alice), (dave, carol)):
        buy = order(buyer, market, True, PRICE, 100 * E18)
        sell = order(seller, market, False, PRICE, 100 * E18)
        result.append((buy, sign(buy), sell, sign(sell)))
    return result


def events(tx, name):
    return list(tx.events[name]) if name in tx.events else []


def test_trade_id_of_matches_keccak_of_abi_encode(exchange):
    buy_hash, sell_hash = keccak(text="buy"), keccak(text="sell")
    for seq in (0, 1, 42, 2**256 - 1):
        expected = keccak(encode(["bytes32", "bytes32", "uint256"], [buy_hash, sell_hash, seq]))
        assert exchange.tradeIdOf(buy_hash, sell_hash, seq) == "0x" + expected.hex()
    # the order of the hashes matters
    assert exchange.tradeIdOf(buy_hash, sell_hash, 1) != exchange.tradeIdOf(sell_hash, buy_hash, 1)


def test_settled_trade_carries_the_derived_id(exchange, operator, pairs):
    buy, buy_sig, sell, sell_sig = pairs[0]
    tx = settle_trades(exchange, [trade(7, buy, buy_sig, sell, sell_sig, PRICE, E18)], {"from": operator})
    buy_hash, sell_hash = order_hash(exchange, buy), order_hash(exchange, sell)
    assert exchange.hashOrder(tuple(buy.values())) == "0x" + buy_hash.hex()
    expected = "0x" + derived_trade_id(buy_hash, sell_hash, 7).hex()
    assert exchange.tradeIdOf(buy_hash, sell_hash, 7) == expected
    (event,) = events(tx, "TradeSettled")
    assert event["tradeId"] == expected
    assert exchange.settled(expected, 7)
    assert not exchange.settled("0x" + derived_trade_id(buy_hash, sell_hash, 8).hex(), 8)


def test_failed_trade_names_the_derived_id(exchange, operator, pairs):
    buy, buy_sig, sell, sell_sig = pairs[0]
    tx = settle_trades(exchange, [trade(3, buy, buy_sig, sell, sell_sig, PRICE + 1, E18)], {"from": operator})
    (event,) = events(tx, "TradeFailed")
    expected = derived_trade_id(order_hash(exchange, buy), order_hash(exchange, sell), 3)
    assert (event["tradeId"], event["code"]) == ("0x" + expected.hex(), 7)


def test_reused_seq_with_different_orders_settles_as_a_new_trade(exchange, market, operator, pairs, tid, bob, dave):
    first = trade(1, *pairs[0], PRICE, E18)
    second = trade(1, *pairs[1], PRICE, E18)  # the same seq, other orders
    settle_trades(exchange, [first], {"from": operator})
    tx = settle_trades(exchange, [second], {"from": operator})

    assert events(tx, "TradeFailed") == []
    assert [e["tradeId"] for e in events(tx, "TradeSettled")] == [tid(second)]
    assert tid(first) != tid(second)
    assert exchange.settled(tid(first), 1) and exchange.settled(tid(second), 1)
    assert market.balanceOf(bob) == E18 == market.balanceOf(dave)


def test_same_orders_same_seq_twice_fails_with_code_1(exchange, market, cash, operator, pairs, tid, bob):
    t = trade(1, *pairs[0], PRICE, E18)
    settle_trades(exchange, [t], {"from": operator})
    cash_after_first = cash.balanceOf(bob)
    tx = settle_trades(exchange, [t], {"from": operator})

    assert [(e["tradeId"], e["code"]) for e in events(tx, "TradeFailed")] == [(tid(t), 1)]
    assert market.balanceOf(bob) == E18 and cash.balanceOf(bob) == cash_after_first


def test_same_trade_twice_in_one_batch_settles_once(exchange, market, operator, pairs, tid, bob):
    t = trade(1, *pairs[0], PRICE, E18)
    tx = settle_trades(exchange, [t, t], {"from": operator})
    assert [e["tradeId"] for e in events(tx, "TradeSettled")] == [tid(t)]
    assert [(e["tradeId"], e["code"]) for e in events(tx, "TradeFailed")] == [(tid(t), 1)]
    assert market.balanceOf(bob) == E18


def test_same_orders_with_a_new_seq_are_a_new_fill(exchange, market, operator, pairs, bob):
    """A second fill of the same two orders is a new trade (the fills still bound it)."""
    settle_trades(exchange, [trade(1, *pairs[0], PRICE, E18)], {"from": operator})
    tx = settle_trades(exchange, [trade(2, *pairs[0], PRICE, 2 * E18)], {"from": operator})
    assert events(tx, "TradeFailed") == []
    assert market.balanceOf(bob) == 3 * E18
