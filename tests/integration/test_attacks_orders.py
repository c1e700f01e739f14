"""Attacks on order entry and cancellation, tried against a live stack (a real ganache).

A fresh pair of eyes on issue 13 ("a signature authorizes exactly what the investor meant"):
each test is an attempt by a malicious investor (or a client bug) and asserts the venue's
answer. docs/security.md's threat-model table lists them.
"""

from __future__ import annotations

import time
from typing import Any

from sqlmodel import Session

from backend.compliance.sync import token_contract
from tests.support.trading import fund_and_approve

OBEYED_WITHIN = 10.0  # seconds: issue 13's bound for the chain's word to take effect


def _typed(client, investor, order: dict[str, Any]) -> dict[str, Any]:
    typed = client.post("/v1/orders/typed-data", json=order, headers=investor.headers)
    assert typed.status_code == 200, typed.text
    return typed.json()


def _sell_order(symbol: str, price: str = "40") -> dict[str, Any]:
    return {"symbol": symbol, "side": "sell", "price": price, "quantity": "1", "expires_at": int(time.time()) + 3600}


def _listed(client, admin, chain_info, make_asset, make_investor) -> tuple[dict, Any, Any]:
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    return asset, seller, buyer


def _signed(client, investor, order: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The order with a signature over its typed data, with `changes` applied to the typed
    data's domain (chainId, verifyingContract) or message before signing."""
    data = _typed(client, investor, order)
    for key, value in changes.items():
        (data["domain"] if key in data["domain"] else data["message"])[key] = value
    return {
        **order,
        "nonce": int(data["message"]["nonce"]),
        "expires_at": int(data["message"]["expiry"]),
        "signature": investor.wallet.sign_order(data),
    }


def test_an_order_with_the_largest_nonce_is_refused_or_cancellable_never_a_500(
    client, admin, chain_info, make_asset, make_investor
):
    """A wallet signs nonce 2^256-1 or 2^64 (settle()'s packed record carries 64 bits): refused
    at entry with 422, never a resting order the worker cannot send. 2^64-1, the top nonce, is
    taken, and as no nonce floor exists above it (cancelUpTo refuses floors past 2^64-1) DELETE
    answers cancelOrder(order), which the wallet can send; 2^64-2 gets cancelUpTo(2^64-1)."""
    asset, seller, _ = _listed(client, admin, chain_info, make_asset, make_investor)
    for nonce in (2**256 - 1, 2**64):
        order = _signed(client, seller, _sell_order(asset["symbol"]), nonce=nonce)
        placed = client.post("/v1/orders", json=order, headers=seller.headers)
        assert placed.status_code == 422, placed.text
        assert placed.json()["error"]["code"] == "validation.invalid"
    order = _signed(client, seller, _sell_order(asset["symbol"], "41"), nonce=2**64 - 2)
    placed = client.post("/v1/orders", json=order, headers=seller.headers)
    assert placed.status_code == 201, placed.text
    deleted = client.delete(f"/v1/orders/{placed.json()['id']}", headers=seller.headers)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["onchain_cancel"]["function"] == "cancelUpTo(uint256)"
    assert deleted.json()["onchain_cancel"]["nonce"] == str(2**64 - 1)

    order = _signed(client, seller, _sell_order(asset["symbol"], "42"), nonce=2**64 - 1)
    placed = client.post("/v1/orders", json=order, headers=seller.headers)
    assert placed.status_code == 201, placed.text
    deleted = client.delete(f"/v1/orders/{placed.json()['id']}", headers=seller.headers)
    assert deleted.status_code == 200, deleted.text
    onchain = deleted.json()["onchain_cancel"]
    assert onchain["function"].startswith("cancelOrder(") and onchain["nonce"] == str(2**64 - 1)
    wallet, w3 = seller.wallet, seller.wallet.w3
    tx = {
        "to": w3.to_checksum_address(onchain["to"]),
        "data": onchain["data"],
        "value": 0,
        "nonce": w3.eth.get_transaction_count(wallet.address),
        "gas": 150_000,
        "gasPrice": w3.eth.gas_price,
        "chainId": w3.eth.chain_id,
    }
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(wallet.account.sign_transaction(tx).raw_transaction)
    )
    assert receipt["status"] == 1  # the exchange took it: this very order (its hash) is cancelled
    cancelled = w3.keccak(text="OrderCancelled(bytes32,address)")
    assert any(log["topics"][0] == cancelled for log in receipt["logs"]), receipt["logs"]


def test_a_signature_for_another_chain_or_exchange_is_refused(client, admin, chain_info, make_asset, make_investor):
    """The service rebuilds the typed data with its own chain id and exchange: a signature over
    another domain (a replay from a testnet, a phishing site's contract) recovers another signer."""
    asset, seller, _ = _listed(client, admin, chain_info, make_asset, make_investor)
    other_exchange = "0x" + "11" * 20
    for changes in ({"chainId": chain_info["chain_id"] + 1}, {"verifyingContract": other_exchange}):
        order = _signed(client, seller, _sell_order(asset["symbol"]), **changes)
        refused = client.post("/v1/orders", json=order, headers=seller.headers)
        assert refused.status_code == 422, (changes, refused.text)
        assert refused.json()["error"]["code"] == "order.bad_signature"
    assert client.get(f"/v1/markets/{asset['symbol']}/book").json()["asks"] == []


def test_a_signature_over_another_asset_or_quantity_is_refused(client, admin, chain_info, make_asset, make_investor):
    """A signed order replayed with other terms (another market's token, a larger quantity, a
    lower price) is refused: the service hashes the terms it will settle, not the client's."""
    asset, seller, _ = _listed(client, admin, chain_info, make_asset, make_investor)
    other = make_asset()
    order = _sell_order(asset["symbol"])
    signed = _signed(client, seller, order)
    for replay in (
        {**signed, "symbol": other["symbol"]},
        {**signed, "quantity": "2"},
        {**signed, "price": "39"},
        {**signed, "side": "buy"},
    ):
        refused = client.post("/v1/orders", json=replay, headers=seller.headers)
        assert refused.status_code in (409, 422), refused.text
        assert refused.json()["error"]["code"] in ("order.bad_signature", "compliance.insufficient_balance"), (
            refused.text
        )
    # the genuine order still goes in once, and its replay is a duplicate
    assert client.post("/v1/orders", json=signed, headers=seller.headers).status_code == 201
    again = client.post("/v1/orders", json=signed, headers=seller.headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "order.duplicate_nonce", again.text


def test_a_freeze_made_on_chain_outside_the_service_cancels_resting_orders_within_seconds(
    client, admin, chain_info, make_asset, make_investor
):
    """The governance key freezes a wallet with a raw call (a script, or `rwa admin` in another
    process that cannot reach this service's books): the chain has spoken, so the wallet's
    resting orders must leave the book within seconds, not at the next minute's sweep
    (meanwhile they match and every trade fails at settlement with code 9)."""
    asset, seller, _ = _listed(client, admin, chain_info, make_asset, make_investor)
    order = _signed(client, seller, _sell_order(asset["symbol"]))
    placed = client.post("/v1/orders", json=order, headers=seller.headers)
    assert placed.status_code == 201, placed.text
    app = client.app
    from backend.assets.service import get_asset

    with Session(app.state.db) as session:
        row = get_asset(session, asset["symbol"])
    app.state.chain.transact(
        token_contract(app.state.chain, row).functions.setWalletFrozen(seller.wallet.address, True), governance=True
    )
    start = time.monotonic()
    while True:
        now = client.get(f"/v1/orders/{placed.json()['id']}", headers=seller.headers).json()
        if now["status"] == "cancelled":
            assert now["cancel_reason"] == "frozen", now
            break
        assert time.monotonic() - start < OBEYED_WITHIN, f"still {now['status']} {OBEYED_WITHIN}s after the freeze"
        time.sleep(0.2)


def test_typed_data_never_hands_out_a_nonce_below_the_wallets_floor(
    client, admin, chain_info, make_asset, make_investor
):
    """The wallet raises its own floor beyond the service's 64-bit sequence (cancelUpTo(2^62 + 10)):
    typed-data must not keep handing out nonces the chain already refuses (every order signed with
    one would be refused 409 order.nonce_cancelled: the wallet locked out of order entry)."""
    asset, seller, _ = _listed(client, admin, chain_info, make_asset, make_investor)
    order = _sell_order(asset["symbol"])
    first = int(_typed(client, seller, order)["message"]["nonce"])  # the service knows the wallet now
    floor = 2**62 + 10
    seller.wallet.cancel_up_to(chain_info["contracts"]["settlement_exchange"], floor)
    start = time.monotonic()
    while True:  # until the watcher has seen NonceFloorRaised
        answer = client.post("/v1/orders/typed-data", json=order, headers=seller.headers)
        if answer.status_code != 200 or int(answer.json()["message"]["nonce"]) >= floor:
            break
        data = answer.json()  # sign the very nonce typed-data handed out (asking again races the watcher)
        signed = {
            **order,
            "nonce": int(data["message"]["nonce"]),
            "expires_at": int(data["message"]["expiry"]),
            "signature": seller.wallet.sign_order(data),
        }
        placed = client.post("/v1/orders", json=signed, headers=seller.headers)
        if placed.status_code == 409:  # the watcher saw the floor between typed-data and this order
            assert placed.json()["error"]["code"] == "order.nonce_cancelled", placed.text
        assert time.monotonic() - start < OBEYED_WITHIN, "typed-data still hands out nonces below the floor"
        time.sleep(0.3)
    assert first < floor
    if answer.status_code != 200:  # refusing is fine too, with a domain error
        assert answer.status_code == 409 and answer.json()["error"]["code"] == "order.nonce_exhausted", answer.text
