"""Order entry guarantees: idempotent retries, journal replay, funds and expiry checks."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session, select

from backend.trading.models import Order
from backend.trading.sequencer import Venue
from tests.integration.test_trade_flow import _fund_and_approve


def _signed(wallet, client, key, order):
    typed = client.post("/v1/orders/typed-data", json=order, headers={"X-API-Key": key}).json()
    return {**order, "nonce": typed["message"]["nonce"], "signature": wallet.sign_order(typed)}


def test_twenty_concurrent_retries_create_exactly_one_order(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    _fund_and_approve(client, admin, chain_info, asset, seller, buyer)
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
    _fund_and_approve(client, admin, chain_info, asset, seller, buyer)
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
    _fund_and_approve(client, admin, chain_info, asset, seller, buyer, cash="100")
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
    _fund_and_approve(client, admin, chain_info, asset, seller, buyer)
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
