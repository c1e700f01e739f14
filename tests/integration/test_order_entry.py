"""Order entry guarantees: idempotent retries, journal replay, funds and expiry checks, and
what a signature must bound (issue 13): a market order's real limit, a mandatory expiry, the
wallet's nonce sequence, node signing only on development chains."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, select
from web3 import Web3

from backend.chain.artifacts import load_abi
from backend.chain.local_node import dev_private_key
from backend.demo.wallet import Wallet
from backend.models.trading import Order, WalletNonce
from backend.trading.sequencer import Venue
from tests.support.live_stack import Investor
from tests.support.trading import fund_and_approve


def _signed(wallet, client, key, order):
    typed = client.post("/v1/orders/typed-data", json=order, headers={"X-API-Key": key}).json()
    return {
        **order,
        "nonce": typed["message"]["nonce"],
        "expires_at": typed["message"]["expiry"],
        "signature": wallet.sign_order(typed),
    }


def test_twenty_concurrent_retries_create_exactly_one_order(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    body = _signed(
        buyer.wallet,
        client,
        buyer.api_key,
        {"symbol": asset["symbol"], "side": "buy", "price": "1", "quantity": "1", "client_order_id": "same"},
    )
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda _: client.post("/v1/orders", json=body, headers=buyer.headers), range(20)))
    assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert client.get(f"/v1/markets/{asset['symbol']}/book").json()["bids"] == [["1", "1"]]


def test_replaying_the_journal_rebuilds_the_same_book(client, admin, chain_info, settings, make_asset, make_investor):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    symbol = asset["symbol"]
    for side, price, qty, who in (
        ("sell", "3", "5", seller),
        ("sell", "2.5", "5", seller),
        ("buy", "2", "4", buyer),
        ("buy", "2.5", "3", buyer),
        ("sell", "4", "1", seller),
    ):
        response = who.wallet.place_order(
            client, who.api_key, {"symbol": symbol, "side": side, "price": price, "quantity": qty}
        )
        assert response.status_code == 201, response.text
    cancel_id = client.get("/v1/orders", headers=seller.headers, params={"symbol": symbol}).json()[0]["id"]
    client.delete(f"/v1/orders/{cancel_id}", headers=seller.headers)

    live = client.app.state.venue.market(None, symbol).engine
    with Session(client.app.state.db) as session:
        replayed = Venue().market(session, symbol).engine
    assert replayed.state_hash() == live.state_hash()
    assert replayed.depth(None) == live.depth(None) != ([], [])


def test_market_buy_needs_cash_for_the_sweep(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer, cash="100")
    symbol = asset["symbol"]
    sell = {"symbol": symbol, "side": "sell", "price": "30", "quantity": "5"}
    seller.wallet.place_order(client, seller.api_key, sell)
    refused = buyer.wallet.place_order(
        client, buyer.api_key, {"symbol": symbol, "side": "buy", "type": "market", "quantity": "4"}
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "order.insufficient_cash"
    filled = buyer.wallet.place_order(
        client, buyer.api_key, {"symbol": symbol, "side": "buy", "type": "market", "quantity": "3"}
    )
    assert filled.status_code == 201 and filled.json()["status"] == "filled", filled.text


def test_an_order_that_already_expired_is_refused(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    response = client.post(
        "/v1/orders/typed-data",
        headers=buyer.headers,
        json={
            "symbol": asset["symbol"],
            "side": "buy",
            "price": "1",
            "quantity": "1",
            "expires_at": int(time.time()) - 60,
        },
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "order.expired"
    with Session(client.app.state.db) as session:
        assert session.exec(select(Order).where(Order.symbol == asset["symbol"])).all() == []


def _typed(client, investor, order):
    response = client.post("/v1/orders/typed-data", headers=investor.headers, json=order)
    assert response.status_code == 200, response.text
    return response.json()


def _exchange(client, node):
    address = client.app.state.chain.deployment.contracts["settlement_exchange"]
    abi = load_abi(client.app.state.settings.build_dir, "SettlementExchange")
    return node.w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)


def test_a_signed_order_must_name_its_nonce_and_expiry(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    order = {"symbol": asset["symbol"], "side": "buy", "price": "1", "quantity": "1"}
    signed = _signed(buyer.wallet, client, buyer.api_key, order)
    for missing in (("nonce",), ("expires_at",), ("nonce", "expires_at")):
        body = {k: v for k, v in signed.items() if k not in missing}
        response = client.post("/v1/orders", headers=buyer.headers, json=body)
        error = response.json()["error"]
        assert response.status_code == 422 and error["code"] == "validation.invalid", response.text
        assert [d["field"] for d in error["details"]] == list(missing)
    placed = client.post("/v1/orders", headers=buyer.headers, json=signed)
    assert placed.status_code == 201, placed.text


def test_every_order_gets_an_expiry_within_the_limits(client, admin, chain_info, settings, make_asset, make_investor):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    symbol = asset["symbol"]
    assert (
        seller.wallet.place_order(
            client, seller.api_key, {"symbol": symbol, "side": "sell", "price": "2", "quantity": "5"}
        ).status_code
        == 201
    )
    limit = {"symbol": symbol, "side": "buy", "price": "1", "quantity": "1"}
    now = int(time.time())
    gtc = _typed(client, buyer, limit)["message"]["expiry"]
    ioc = _typed(client, buyer, {**limit, "time_in_force": "IOC"})["message"]["expiry"]
    market = _typed(client, buyer, {**limit, "type": "market", "price": None})["message"]["expiry"]
    assert now + settings.order_max_ttl_seconds <= gtc <= now + settings.order_max_ttl_seconds + 5
    for short in (ioc, market):
        assert now + settings.order_short_ttl_seconds <= short <= now + settings.order_short_ttl_seconds + 5
    chosen = now + 3600
    assert _typed(client, buyer, {**limit, "expires_at": chosen})["message"]["expiry"] == chosen

    def refused(expires_at):
        response = client.post("/v1/orders/typed-data", headers=buyer.headers, json={**limit, "expires_at": expires_at})
        assert response.status_code == 422, response.text
        return response.json()["error"]["code"]

    assert refused(now + settings.order_max_ttl_seconds + 3600) == "order.expiry_too_far"
    assert refused(0) == "validation.invalid"  # 0 is no longer "never"
    assert refused(now + settings.order_expiry_margin_seconds) == "order.expired"  # leaves the book before it rests


def test_a_market_order_signs_the_collar_price_and_never_fills_beyond_it(
    client, admin, chain_info, settings, make_asset, make_investor
):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    symbol = asset["symbol"]
    market_buy = {"symbol": symbol, "side": "buy", "type": "market", "quantity": "3"}
    # No reference and no asks: no limit to sign.
    none = client.post("/v1/orders/typed-data", headers=buyer.headers, json=market_buy)
    assert none.status_code == 409 and none.json()["error"]["code"] == "order.no_market_price", none.text
    for price, qty in (("10", "1"), ("12", "5")):
        ask = seller.wallet.place_order(
            client, seller.api_key, {"symbol": symbol, "side": "sell", "price": price, "quantity": qty}
        )
        assert ask.status_code == 201, ask.text
    typed = _typed(client, buyer, market_buy)
    collar = Decimal(10) * (10_000 + settings.market_collar_bps) / 10_000  # the best ask: no reference yet
    expected = collar.quantize(Decimal("0.01"), rounding="ROUND_FLOOR")
    assert Decimal(typed["limit_price"]) == expected
    assert typed["message"]["price"] == int(expected * 10**6)  # cash units, signed
    body = {
        **market_buy,
        "price": typed["limit_price"],
        "nonce": typed["message"]["nonce"],
        "expires_at": typed["message"]["expiry"],
        "signature": buyer.wallet.sign_order(typed),
    }
    placed = client.post("/v1/orders", headers=buyer.headers, json=body)
    assert placed.status_code == 201, placed.text
    assert placed.json()["filled_quantity"] == "1" and placed.json()["status"] == "cancelled"
    assert [f["price"] for f in placed.json()["fills"]] == ["10"]  # 12 is beyond the signed limit
    with Session(client.app.state.db) as session:
        row = session.get(Order, placed.json()["id"])
        assert row.signed_price == str(int(expected * 10**6))
    # A limit tighter than the collar, chosen by the client, is the one signed and obeyed.
    tight = buyer.wallet.place_order(client, buyer.api_key, {**market_buy, "price": "11"})
    assert tight.status_code == 201 and tight.json()["filled_quantity"] == "0", tight.text
    # A market sell against the reference (the trade at 10): limit 10 less the collar, rounded up.
    typed_sell = _typed(client, seller, {"symbol": symbol, "side": "sell", "type": "market", "quantity": "1"})
    floor = Decimal(10) * (10_000 - settings.market_collar_bps) / 10_000
    assert Decimal(typed_sell["limit_price"]) == floor.quantize(Decimal("0.01"), rounding="ROUND_CEILING")


def test_nonces_are_a_per_wallet_sequence_from_the_chains_floor(
    client, admin, chain_info, node, make_asset, make_investor
):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    exchange = _exchange(client, node)
    # The seller raised its floor on chain before its first order: the sequence starts there.
    seller.wallet._send(seller.wallet._sign(exchange.functions.cancelUpTo(50), gas=100_000), what="cancelUpTo")
    order = {"symbol": asset["symbol"], "side": "buy", "price": "1", "quantity": "1"}
    assert [_typed(client, buyer, order)["message"]["nonce"] for _ in range(3)] == [1, 2, 3]
    sell = {**order, "side": "sell", "price": "5"}
    assert _typed(client, seller, sell)["message"]["nonce"] == 50
    with ThreadPoolExecutor(max_workers=8) as pool:
        nonces = list(pool.map(lambda _: _typed(client, buyer, order)["message"]["nonce"], range(16)))
    assert sorted(nonces) == list(range(4, 20))
    # A nonce the client chose is accepted once, and the sequence moves past it.
    chosen = _signed(buyer.wallet, client, buyer.api_key, {**order, "nonce": 40})
    assert chosen["nonce"] == 40
    assert client.post("/v1/orders", headers=buyer.headers, json=chosen).status_code == 201
    again = client.post("/v1/orders", headers=buyer.headers, json=chosen)
    assert again.status_code == 409 and again.json()["error"]["code"] == "order.duplicate_nonce"
    assert _typed(client, buyer, order)["message"]["nonce"] == 41
    # The seller raises its floor again: the watcher sees NonceFloorRaised, the sequence follows.
    seller.wallet._send(seller.wallet._sign(exchange.functions.cancelUpTo(80), gas=100_000), what="cancelUpTo")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with Session(client.app.state.db) as session:
            if session.get(WalletNonce, seller.wallet.address).next_nonce >= 80:
                break
        time.sleep(0.2)
    assert _typed(client, seller, sell)["message"]["nonce"] == 80


def test_the_order_row_keeps_the_contracts_order_hash_and_a_signature_it_accepts(
    client, admin, chain_info, node, make_asset, make_investor
):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    order = {"symbol": asset["symbol"], "side": "buy", "price": "1.5", "quantity": "2"}
    signed = _signed(buyer.wallet, client, buyer.api_key, order)
    placed = client.post("/v1/orders", headers=buyer.headers, json=signed)
    assert placed.status_code == 201, placed.text
    with Session(client.app.state.db) as session:
        row = session.get(Order, placed.json()["id"])
    struct = (
        row.wallet,
        asset["token_address"],
        True,
        int(row.signed_price),
        2 * 10**18,
        int(row.nonce),
        row.expiry,
    )
    valid, order_hash = _exchange(client, node).functions.verifyOrder(struct, bytes.fromhex(row.signature[2:])).call()
    assert valid is True and row.order_hash == "0x" + order_hash.hex()


def _node_held_investor(client, admin, node) -> Investor:
    """An investor whose wallet is one of ganache's unlocked accounts 4-8 (the first not yet
    onboarded: the browser tests take them the same way)."""
    for index in range(4, 9):
        wallet = Wallet(dev_private_key(index), node.rpc_url)
        created = client.post(
            "/v1/investors",
            headers=admin,
            json={
                "wallet": wallet.address,
                "name": f"Node account {index}",
                "country": "US",
                "accredited": True,
                "kyc_expires": (date.today() + timedelta(days=365)).isoformat(),
            },
        )
        if created.status_code == 201:
            return Investor(id=created.json()["id"], wallet=wallet, api_key=created.json()["api_key"])
    raise AssertionError(f"every node account 4-8 is already onboarded: {created.text}")


def test_the_node_signs_only_in_development_on_a_local_chain(
    client, admin, chain_info, node, monkeypatch, make_asset, make_investor
):
    """Unsigned orders: the node signs for an account it has unlocked (a ganache account,
    onboarded here) in development on a local chain; elsewhere order.signature_required."""
    asset = make_asset()
    seller, stranger = make_investor(), make_investor()
    buyer = _node_held_investor(client, admin, node)
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    order = {"symbol": asset["symbol"], "side": "buy", "price": "1", "quantity": "1"}
    chain = client.app.state.chain
    own = chain.settings
    for changes in ({"environment": "production"}, {"test_chain_ids": frozenset({1})}):
        monkeypatch.setattr(chain, "settings", own.model_copy(update=changes))
        refused = client.post("/v1/orders", headers=buyer.headers, json=order)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "order.signature_required"
    monkeypatch.setattr(chain, "settings", own)
    placed = client.post("/v1/orders", headers=buyer.headers, json=order)
    assert placed.status_code == 201, placed.text
    with Session(client.app.state.db) as session:
        row = session.get(Order, placed.json()["id"])
    struct = (row.wallet, asset["token_address"], True, int(row.signed_price), 10**18, int(row.nonce), row.expiry)
    valid, _ = _exchange(client, node).functions.verifyOrder(struct, bytes.fromhex(row.signature[2:])).call()
    assert valid is True
    # A wallet the node holds no key for: nothing to sign with.
    unsigned = client.post("/v1/orders", headers=stranger.headers, json=order)
    assert unsigned.status_code == 422 and unsigned.json()["error"]["code"] == "order.signature_required"
