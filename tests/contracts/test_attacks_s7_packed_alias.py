"""Attack review s7 (issue 17): the packed settle() narrows an order's fields (nonce and expiry
to 64 bits, prices and quantities to 128) and widens them back before hashing. The hot key
cannot alias a signed order whose field is past its width with the truncated value: the
contract hashes the widened value, so the signature is for other bytes (code 3 or 4), nothing
moves, and the nonce the truncation names stays unspent for the order really signed with it.
"""

import pytest
from helpers import E18, order, pack_trades, trade

PRICE = 25 * 10**6
BAD_BUY_SIGNATURE, BAD_SELL_SIGNATURE = 3, 4


@pytest.mark.parametrize(
    "side, field, wide",
    [
        ("buy", "nonce", 2**64 + 7),
        ("sell", "nonce", 2**70 + 7),
        ("buy", "expiry", 2**64 + 2**40),
        ("buy", "price", 2**128 + PRICE),
        ("sell", "quantity", 2**128 + E18),
    ],
)
def test_a_signed_field_past_its_width_cannot_be_settled_as_its_truncation(
    exchange, market, cash, operator, sign, alice, bob, side, field, wide
):
    buy = order(bob, market, True, PRICE, E18, nonce=7)
    sell = order(alice, market, False, PRICE, E18, nonce=7)
    signed = dict(buy if side == "buy" else sell, **{field: wide})  # what the wallet signed
    width = 64 if field in ("nonce", "expiry") else 128
    packed_order = dict(signed, **{field: wide % 2**width})  # what the hot key packs
    signature = sign(signed)
    if side == "buy":
        t = trade(1, packed_order, signature, sell, sign(sell), PRICE, E18)
    else:
        t = trade(1, buy, sign(buy), packed_order, signature, PRICE, E18)
    before = (market.balanceOf(alice), market.balanceOf(bob), cash.balanceOf(alice), cash.balanceOf(bob))

    tx = exchange.settle(pack_trades([t]), {"from": operator})

    assert "TradeSettled" not in tx.events
    assert [e["code"] for e in tx.events["TradeFailed"]] == [BAD_BUY_SIGNATURE if side == "buy" else BAD_SELL_SIGNATURE]
    assert (market.balanceOf(alice), market.balanceOf(bob), cash.balanceOf(alice), cash.balanceOf(bob)) == before
    assert exchange.nonceBitmap(bob, 0) == 0 and exchange.nonceBitmap(alice, 0) == 0  # nonce 7 unspent for both
