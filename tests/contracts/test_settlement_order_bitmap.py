"""SettlementExchange order state and idempotency without a fresh slot per trade (issue 17).

- An order filled completely spends its (trader, nonce) bit in a bitmap (two bits a nonce, 128 a
  word, after Permit2's unordered nonces); only a partial fill keeps an amount of its own.
- A trade is recorded by a 64-bit fingerprint of its derived id per sequence number: a re-sent
  batch (whole, split, or mixed with new trades) settles nothing twice, and a sequence number
  reused with other orders still settles as a new trade and is remembered as well.
- Each order is verified once per batch and its fills summed in memory: two trades of one batch
  never fill more than the order's quantity, and an unsigned twin of a signed order gets nothing.
"""

import pytest
from helpers import E18, order, order_tuple, settle_trades, trade

PRICE = 25 * 10**6
SPENT, PARTIAL = 2, 1


@pytest.fixture(scope="module")
def signed(market, sign):
    def _signed(trader, is_buy, quantity, nonce, price=PRICE):
        o = order(trader, market, is_buy, price, quantity, nonce=nonce)
        return o, sign(o)

    return _signed


def outcome(tx):
    """(settled trade ids, {trade id: failure code})."""
    settled = [str(e["tradeId"]) for e in tx.events["TradeSettled"]] if "TradeSettled" in tx.events else []
    failed = {str(e["tradeId"]): e["code"] for e in tx.events["TradeFailed"]} if "TradeFailed" in tx.events else {}
    return settled, failed


def bits(exchange, trader, nonce):
    return (exchange.nonceBitmap(trader, nonce >> 7) >> ((nonce & 127) * 2)) & 3


def test_a_complete_fill_spends_the_nonce_bit_and_nothing_else(exchange, operator, signed, tid, alice, bob):
    buy, buy_sig = signed(bob, True, 5 * E18, nonce=300)
    sell, sell_sig = signed(alice, False, 5 * E18, nonce=129)
    t = trade(1, buy, buy_sig, sell, sell_sig, PRICE, 5 * E18)
    settled, failed = outcome(settle_trades(exchange, [t], {"from": operator}))

    assert (settled, failed) == ([tid(t)], {})
    assert bits(exchange, bob, 300) == SPENT and bits(exchange, alice, 129) == SPENT
    # only those two bits of the words are set
    assert exchange.nonceBitmap(bob, 300 >> 7) == SPENT << ((300 & 127) * 2)
    assert exchange.nonceBitmap(alice, 1) == SPENT << 2
    assert exchange.filled(t[1]) == 5 * E18 == exchange.filled(t[3])
    assert exchange.settled(tid(t), 1)


def test_a_partially_filled_order_fills_the_rest_later_and_no_more(
    exchange, market, operator, signed, tid, alice, bob, carol
):
    buy, buy_sig = signed(bob, True, 3 * E18, nonce=7)
    first_sell = signed(alice, False, 1 * E18, nonce=7)
    second_sell = signed(carol, False, 5 * E18, nonce=7)
    t1 = trade(1, buy, buy_sig, *first_sell, PRICE, 1 * E18)
    assert outcome(settle_trades(exchange, [t1], {"from": operator})) == ([tid(t1)], {})
    assert bits(exchange, bob, 7) == PARTIAL and exchange.filled(t1[1]) == 1 * E18

    t2 = trade(2, buy, buy_sig, *second_sell, PRICE, 2 * E18)
    assert outcome(settle_trades(exchange, [t2], {"from": operator})) == ([tid(t2)], {})
    assert bits(exchange, bob, 7) & SPENT and exchange.filled(t2[1]) == 3 * E18
    assert bits(exchange, carol, 7) == PARTIAL and exchange.filled(t2[3]) == 2 * E18

    t3 = trade(3, buy, buy_sig, *second_sell, PRICE, 1 * E18)
    assert outcome(settle_trades(exchange, [t3], {"from": operator})) == ([], {tid(t3): 8})
    assert market.balanceOf(bob) == 3 * E18


def test_a_resent_batch_settles_nothing_twice(exchange, market, cash, operator, signed, tid, alice, bob, carol, dave):
    buy_b, buy_b_sig = signed(bob, True, 4 * E18, nonce=11)  # filled by two trades, in part
    buy_d, buy_d_sig = signed(dave, True, 2 * E18, nonce=11)
    sell_a, sell_a_sig = signed(alice, False, 3 * E18, nonce=11)
    sell_c, sell_c_sig = signed(carol, False, 9 * E18, nonce=11)
    batch = [
        trade(10, buy_b, buy_b_sig, sell_a, sell_a_sig, PRICE, 2 * E18),
        trade(11, buy_b, buy_b_sig, sell_c, sell_c_sig, PRICE, 1 * E18),
        trade(12, buy_d, buy_d_sig, sell_c, sell_c_sig, PRICE, 2 * E18),
    ]
    settled, failed = outcome(settle_trades(exchange, batch, {"from": operator}))
    assert (settled, failed) == ([tid(t) for t in batch], {})
    balances = [(market.balanceOf(w), cash.balanceOf(w)) for w in (alice, bob, carol, dave)]

    # the same batch again, then split and mixed with a new trade: every old trade is code 1
    assert outcome(settle_trades(exchange, batch, {"from": operator})) == ([], {tid(t): 1 for t in batch})
    new = trade(13, buy_b, buy_b_sig, sell_a, sell_a_sig, PRICE, 1 * E18)
    settled, failed = outcome(settle_trades(exchange, [batch[2], new, batch[0]], {"from": operator}))
    assert (settled, failed) == ([tid(new)], {tid(batch[2]): 1, tid(batch[0]): 1})
    assert market.balanceOf(bob) == balances[1][0] + 1 * E18
    assert [(market.balanceOf(w), cash.balanceOf(w)) for w in (carol, dave)] == balances[2:]
    assert all(exchange.settled(tid(t), t[0]) for t in [*batch, new])
    assert exchange.filled(order_tuple(buy_b)) == 4 * E18 and exchange.filled(order_tuple(sell_c)) == 3 * E18


def test_a_reused_seq_remembers_both_trades(exchange, operator, signed, tid, alice, bob, carol, dave):
    first = trade(5, *signed(bob, True, 2 * E18, nonce=21), *signed(alice, False, 2 * E18, nonce=21), PRICE, E18)
    second = trade(5, *signed(dave, True, 2 * E18, nonce=21), *signed(carol, False, 2 * E18, nonce=21), PRICE, E18)
    assert outcome(settle_trades(exchange, [first, second], {"from": operator})) == ([tid(first), tid(second)], {})
    # both orders have quantity left: only the ids keep them from settling again
    again = outcome(settle_trades(exchange, [second, first], {"from": operator}))
    assert again == ([], {tid(second): 1, tid(first): 1})
    assert exchange.settled(tid(first), 5) and exchange.settled(tid(second), 5)
    assert not exchange.settled(tid(first), 6)


def test_two_trades_of_one_batch_cannot_overfill_an_order(exchange, market, operator, signed, tid, alice, bob, carol):
    buy, buy_sig = signed(bob, True, 2 * E18, nonce=40)
    batch = [
        trade(1, buy, buy_sig, *signed(alice, False, 2 * E18, nonce=40), PRICE, 2 * E18),
        trade(2, buy, buy_sig, *signed(carol, False, 2 * E18, nonce=40), PRICE, 2 * E18),
        trade(3, buy, buy_sig, *signed(carol, False, 1 * E18, nonce=41), PRICE, 1 * E18),
    ]
    settled, failed = outcome(settle_trades(exchange, batch, {"from": operator}))
    assert (settled, failed) == ([tid(batch[0])], {tid(batch[1]): 8, tid(batch[2]): 8})
    assert market.balanceOf(bob) == 2 * E18 and exchange.filled(order_tuple(buy)) == 2 * E18


def test_an_unsigned_twin_of_a_signed_order_gets_nothing_in_the_same_batch(
    exchange, market, operator, signed, tid, alice, bob
):
    """The operator forges a leg: bob's signed buy of 1 and a copy for 50 under his signature.
    The copy is another order (another digest): its signature is checked, and fails."""
    buy, buy_sig = signed(bob, True, 1 * E18, nonce=50)
    forged = dict(buy, quantity=50 * E18)
    sell, sell_sig = signed(alice, False, 60 * E18, nonce=50)
    batch = [
        trade(1, buy, buy_sig, sell, sell_sig, PRICE, 1 * E18),
        trade(2, forged, buy_sig, sell, sell_sig, PRICE, 50 * E18),
    ]
    settled, failed = outcome(settle_trades(exchange, batch, {"from": operator}))
    assert (settled, failed) == ([tid(batch[0])], {tid(batch[1]): 3})
    assert market.balanceOf(bob) == 1 * E18


def test_a_bad_signature_first_does_not_poison_the_order_for_the_batch(exchange, operator, signed, tid, alice, bob):
    buy, buy_sig = signed(bob, True, 2 * E18, nonce=60)
    sell, sell_sig = signed(alice, False, 2 * E18, nonce=60)
    garbage = b"\x01" * 65
    batch = [trade(1, buy, garbage, sell, sell_sig, PRICE, E18), trade(2, buy, buy_sig, sell, sell_sig, PRICE, E18)]
    assert outcome(settle_trades(exchange, batch, {"from": operator})) == ([tid(batch[1])], {tid(batch[0]): 3})


def test_cancel_order_spends_the_nonce_and_keeps_the_partial_fill(exchange, operator, signed, tid, alice, bob):
    buy, buy_sig = signed(bob, True, 5 * E18, nonce=70)
    sell, sell_sig = signed(alice, False, 5 * E18, nonce=70)
    settle_trades(exchange, [trade(1, buy, buy_sig, sell, sell_sig, PRICE, 2 * E18)], {"from": operator})
    exchange.cancelOrder(order_tuple(buy), {"from": bob})

    assert bits(exchange, bob, 70) & SPENT and exchange.cancelled(exchange.hashOrder(order_tuple(buy)))
    assert exchange.filled(order_tuple(buy)) == 2 * E18
    t = trade(2, buy, buy_sig, sell, sell_sig, PRICE, E18)
    assert outcome(settle_trades(exchange, [t], {"from": operator})) == ([], {tid(t): 6})
    # another order of bob with the same nonce cannot fill either (the venue never reuses one)
    twin, twin_sig = signed(bob, True, 1 * E18, nonce=70)
    t = trade(3, twin, twin_sig, sell, sell_sig, PRICE, E18)
    assert outcome(settle_trades(exchange, [t], {"from": operator})) == ([], {tid(t): 8})


@pytest.mark.parametrize("nonce", [0, 127, 128, 2**64 - 2])  # 2**64 - 1: the largest nonce settle() carries
def test_nonce_bits_at_word_edges(exchange, operator, signed, tid, alice, bob, nonce):
    buy, buy_sig = signed(bob, True, E18, nonce=nonce)
    sell, sell_sig = signed(alice, False, E18, nonce=nonce)
    neighbour = nonce + 1 if nonce & 127 != 127 else nonce - 1
    t = trade(1, buy, buy_sig, sell, sell_sig, PRICE, E18)
    assert outcome(settle_trades(exchange, [t], {"from": operator})) == ([tid(t)], {})
    assert bits(exchange, bob, nonce) == SPENT and bits(exchange, bob, neighbour) == 0
