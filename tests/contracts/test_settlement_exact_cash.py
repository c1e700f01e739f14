"""A trade's cash is exact: price * quantity / 1e18 is never rounded against the seller.

Found by an attack review: five trades of just under 1e18 / price asset units each moved the
seller's tokens for 0 cash (price * quantity / 1e18 rounded down). Now such a trade fails with
code 8 (FAIL_QUANTITY) and nothing moves; the venue's tick and lot sizes always make the amount exact."""

from helpers import E18, order, settle_trades, trade

PRICE = 25 * 10**6  # 25 cash units (6 decimals) per whole asset unit
FAIL_QUANTITY = 8


def _failed_codes(tx) -> list[int]:
    return [e["code"] for e in tx.events["TradeFailed"]] if "TradeFailed" in tx.events else []


def test_a_dust_trade_whose_cash_would_round_to_zero_fails_and_moves_nothing(
    exchange, market, cash, operator, sign, alice, bob
):
    sell = order(alice, market, False, PRICE, 5 * E18, nonce=1)
    buy = order(bob, market, True, PRICE, 5 * E18, nonce=1)
    dust = E18 // PRICE - 1  # price * dust / 1e18 < 1
    tokens, money = market.balanceOf(alice), cash.balanceOf(alice)
    batch = [trade(seq, buy, sign(buy), sell, sign(sell), PRICE, dust) for seq in range(1, 6)]
    tx = settle_trades(exchange, batch, {"from": operator})
    assert _failed_codes(tx) == [FAIL_QUANTITY] * 5
    assert market.balanceOf(alice) == tokens and cash.balanceOf(alice) == money


def test_an_inexact_amount_fails_even_when_it_is_not_dust(exchange, market, cash, operator, sign, alice, bob):
    sell = order(alice, market, False, PRICE, 5 * E18, nonce=2)
    buy = order(bob, market, True, PRICE, 5 * E18, nonce=2)
    tx = settle_trades(exchange, [trade(1, buy, sign(buy), sell, sign(sell), PRICE, E18 + 1)], {"from": operator})
    assert _failed_codes(tx) == [FAIL_QUANTITY]


def test_an_exact_amount_settles_at_the_signed_price(exchange, market, cash, operator, sign, alice, bob):
    sell = order(alice, market, False, PRICE, 5 * E18, nonce=3)
    buy = order(bob, market, True, PRICE, 5 * E18, nonce=3)
    tokens, money = market.balanceOf(alice), cash.balanceOf(alice)
    quantity = E18 // 100  # 0.01 units: 0.25 cash, exact
    tx = settle_trades(exchange, [trade(1, buy, sign(buy), sell, sign(sell), PRICE, quantity)], {"from": operator})
    assert _failed_codes(tx) == []
    assert tokens - market.balanceOf(alice) == quantity
    assert cash.balanceOf(alice) - money == PRICE * quantity // E18
