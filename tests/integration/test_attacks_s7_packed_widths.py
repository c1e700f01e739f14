"""Attack review s7 (issue 17): settle()'s packed encoding (backend/settlement/packing.py,
contracts/settlement/PackedBatch.sol) carries an order's nonce in 64 bits; order entry takes
a signed nonce up to 2^64-1 only (backend/api/routes/orders.py, OrderCreate.nonce), so what it
accepts the contract can settle.

A malicious investor signs orders with a nonce of 2^64 or more: they rest, match, print on the
tape (moving the reference price and the bands) and then fail at the worker, unsent ("settle()
cannot carry this trade") - the phantom liquidity docs/security.md says the API closed by
accepting exactly what the contract accepts. packing.py's docstring relies on "nonces below
2**62", which holds only for the nonces typed-data hands out, not for the ones a wallet signs.
"""

from __future__ import annotations

from tests.integration.test_attacks_orders import _listed, _sell_order, _signed
from tests.support.live_stack import wait_for_settlement


def test_an_accepted_order_with_a_wide_nonce_settles_or_is_refused_at_entry(
    client, admin, chain_info, make_asset, make_investor
):
    asset, seller, buyer = _listed(client, admin, chain_info, make_asset, make_investor)
    symbol = asset["symbol"]
    order = _signed(client, seller, _sell_order(symbol), nonce=2**64)
    placed = client.post("/v1/orders", json=order, headers=seller.headers)
    if placed.status_code != 201:  # refused at entry, as the contract would refuse it
        assert placed.status_code == 422 and placed.json()["error"]["code"] == "validation.invalid", placed.text
        return
    buy = {"symbol": symbol, "side": "buy", "type": "limit", "price": "40", "quantity": "1"}
    bought = buyer.wallet.place_order(client, buyer.api_key, buy)
    assert bought.status_code == 201 and bought.json()["status"] == "filled", bought.text  # printed on the tape
    trades = wait_for_settlement(client, admin, symbol, 1)
    assert [t["settlement_status"] for t in trades] == ["settled"], f"matched, printed, never settled: {trades}"
