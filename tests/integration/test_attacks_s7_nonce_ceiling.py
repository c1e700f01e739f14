"""Attack review s7 (issue 17): the nonce ceiling after the packed encoding. DELETE answers
with the cancelUpTo(nonce + 1) the wallet signs to kill the order on chain. For an order at
2^64 - 2 that is cancelUpTo(2^64 - 1), the highest floor the contract takes: afterwards the one
nonce at the floor, 2^64 - 1, must still be accepted at entry (settle() carries it), else
following the venue's own instructions locks the wallet out for good (a floor never comes
down). Order entry takes nonces up to 2^64 - 1, and for that top nonce DELETE answers
cancelOrder(order) (no floor exists above it)."""

from __future__ import annotations

import copy
import time

from tests.integration.test_attacks_orders import OBEYED_WITHIN, _listed, _sell_order, _signed, _typed


def test_the_venues_own_on_chain_cancel_leaves_the_wallet_a_nonce_to_trade_with(
    client, admin, chain_info, make_asset, make_investor
):
    asset, seller, _ = _listed(client, admin, chain_info, make_asset, make_investor)
    symbol = asset["symbol"]
    order = _sell_order(symbol, "41")
    template = _typed(client, seller, order)  # the order's typed data: signed below with nonces of our own
    highest = _signed(client, seller, _sell_order(symbol), nonce=2**64 - 2)
    placed = client.post("/v1/orders", json=highest, headers=seller.headers)
    assert placed.status_code == 201, placed.text
    deleted = client.delete(f"/v1/orders/{placed.json()['id']}", headers=seller.headers)
    assert deleted.status_code == 200, deleted.text
    floor = int(deleted.json()["onchain_cancel"]["nonce"])
    assert floor == 2**64 - 1
    seller.wallet.cancel_up_to(chain_info["contracts"]["settlement_exchange"], floor)  # as DELETE said

    start = time.monotonic()
    while client.post("/v1/orders/typed-data", json=order, headers=seller.headers).status_code == 200:
        assert time.monotonic() - start < OBEYED_WITHIN, "the service has not seen the floor"
        time.sleep(0.3)  # until the watcher has seen NonceFloorRaised (typed-data: nonce_exhausted)
    answers = []
    for nonce in (floor - 1, floor):  # below the floor; at it (the largest nonce settle() carries)
        typed = copy.deepcopy(template)
        typed["message"]["nonce"] = nonce
        signed = {
            **order,
            "nonce": nonce,
            "expires_at": int(typed["message"]["expiry"]),
            "signature": seller.wallet.sign_order(typed),
        }
        answer = client.post("/v1/orders", json=signed, headers=seller.headers)
        answers.append((nonce, answer.status_code, answer.json().get("error", {}).get("code")))
    assert any(status == 201 for _, status, _ in answers), f"locked out of the venue: {answers}"
