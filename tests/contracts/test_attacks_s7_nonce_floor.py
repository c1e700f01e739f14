"""Attack review s7 (issue 17): settle()'s packed record carries an order's nonce in 64 bits.
A wallet that raised its floor past 2^64 - 1 (a "cancel everything" button that sends
type(uint256).max, a script's typo) could never have an order settled on this exchange again:
every nonce settle() can carry would be below its floor (code 6), and a floor never comes
down. cancelUpTo refuses a floor above 2^64 - 1 (SettlementExchangeNonceFloorTooHigh), so
nonce 2^64 - 1 always stays usable on chain."""

import pytest
from helpers import E18, order, settle_trades, trade

PRICE = 25 * 10**6
TOP = 2**64 - 1  # the largest nonce settle() carries


def _settles(exchange, market, operator, sign, seller, buyer, nonce) -> bool:
    sell = order(seller, market, False, PRICE, E18, nonce=nonce)
    buy = order(buyer, market, True, PRICE, E18, nonce=1)
    tx = settle_trades(exchange, [trade(1, buy, sign(buy), sell, sign(sell), PRICE, E18)], {"from": operator})
    return "TradeSettled" in tx.events


@pytest.mark.parametrize("floor", [2**64, 2**256 - 1])
def test_a_floor_past_the_packed_nonces_is_refused_or_leaves_a_nonce_to_trade_with(
    exchange, market, operator, sign, alice, bob, floor
):
    try:
        exchange.cancelUpTo(floor, {"from": alice})
    except Exception:  # noqa: BLE001 - refused: the wallet keeps nonces to trade with
        assert exchange.nonceFloor(alice) == 0
        assert _settles(exchange, market, operator, sign, alice, bob, TOP)
        return
    assert _settles(exchange, market, operator, sign, alice, bob, TOP), f"floor {floor}: the wallet can never trade"
