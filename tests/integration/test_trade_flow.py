"""One trade end to end: whitelisted investors, signed orders, match, DvP on chain."""

from __future__ import annotations

from backend.demo.wallet import token_balance
from tests.support.live_stack import wait_for_settlement
from tests.support.trading import fund_and_approve


def test_matched_orders_settle_delivery_versus_payment_on_chain(
    client, admin, chain_info, node, make_asset, make_investor
):
    asset = make_asset()
    seller, buyer = make_investor(country="US"), make_investor(country="GB")
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)

    sell = seller.wallet.place_order(
        client,
        seller.api_key,
        {"symbol": asset["symbol"], "side": "sell", "type": "limit", "price": "12.50", "quantity": "10"},
    )
    assert sell.status_code == 201, sell.text
    assert sell.json()["status"] == "open"
    book = client.get(f"/v1/markets/{asset['symbol']}/book").json()
    assert book["asks"] == [["12.5", "10"]] and book["bids"] == []

    buy = buyer.wallet.place_order(
        client,
        buyer.api_key,
        {"symbol": asset["symbol"], "side": "buy", "type": "limit", "price": "13", "quantity": "4"},
    )
    assert buy.status_code == 201, buy.text
    assert buy.json()["status"] == "filled"
    assert buy.json()["fills"][0]["price"] == "12.5"  # the resting order's price

    [trade] = wait_for_settlement(client, admin, asset["symbol"], 1)
    assert trade["settlement_status"] == "settled", trade
    assert trade["tx_hash"].startswith("0x")
    cash = chain_info["contracts"]["cash_token"]
    assert token_balance(node.rpc_url, asset["token_address"], buyer.wallet.address) == 4 * 10**18
    assert token_balance(node.rpc_url, asset["token_address"], seller.wallet.address) == 96 * 10**18
    assert token_balance(node.rpc_url, cash, seller.wallet.address) == 50 * 10**6
    assert token_balance(node.rpc_url, cash, buyer.wallet.address) == (10000 - 50) * 10**6

    account = client.get("/v1/account", headers=seller.headers).json()
    assert account["assets"][asset["symbol"]] == {"onchain": "96", "reserved": "6", "available": "90"}
    book = client.get(f"/v1/markets/{asset['symbol']}/book").json()
    assert book["asks"] == [["12.5", "6"]]


def test_order_signed_by_another_wallet_is_refused(client, admin, chain_info, make_asset, make_investor, new_wallet):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    order = {"symbol": asset["symbol"], "side": "sell", "type": "limit", "price": "1", "quantity": "1"}
    typed = client.post("/v1/orders/typed-data", json=order, headers=seller.headers).json()
    forged = new_wallet().sign_order(typed)
    response = client.post(
        "/v1/orders",
        headers=seller.headers,
        json={
            **order,
            "nonce": typed["message"]["nonce"],
            "expires_at": typed["message"]["expiry"],
            "signature": forged,
        },
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "order.bad_signature"


def test_cancel_removes_the_order_from_the_book(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    placed = buyer.wallet.place_order(
        client,
        buyer.api_key,
        {"symbol": asset["symbol"], "side": "buy", "type": "limit", "price": "2", "quantity": "5"},
    ).json()
    assert client.get(f"/v1/markets/{asset['symbol']}/book").json()["bids"] == [["2", "5"]]
    cancelled = client.delete(f"/v1/orders/{placed['id']}", headers=buyer.headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.get(f"/v1/markets/{asset['symbol']}/book").json()["bids"] == []
    # another investor cannot see or cancel it
    assert client.delete(f"/v1/orders/{placed['id']}", headers=seller.headers).status_code == 404


def test_repeated_client_order_id_returns_the_original_order(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    order = {
        "symbol": asset["symbol"],
        "side": "buy",
        "type": "limit",
        "price": "1",
        "quantity": "1",
        "client_order_id": "retry-me",
    }
    first = buyer.wallet.place_order(client, buyer.api_key, order)
    second = buyer.wallet.place_order(client, buyer.api_key, order)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert client.get(f"/v1/markets/{asset['symbol']}/book").json()["bids"] == [["1", "1"]]


def test_selling_more_than_held_is_refused(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer, units="5")
    response = seller.wallet.place_order(
        client,
        seller.api_key,
        {"symbol": asset["symbol"], "side": "sell", "type": "limit", "price": "1", "quantity": "6"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "order.insufficient_balance"


def test_off_tick_price_and_off_lot_quantity_are_refused(client, make_asset, make_investor):
    asset = make_asset(tick_size="0.05", lot_size="10")
    buyer = make_investor()
    base = {"symbol": asset["symbol"], "side": "buy", "type": "limit"}
    tick = client.post("/v1/orders/typed-data", headers=buyer.headers, json={**base, "price": "1.01", "quantity": "10"})
    lot = client.post("/v1/orders/typed-data", headers=buyer.headers, json={**base, "price": "1.05", "quantity": "15"})
    assert tick.json()["error"]["code"] == "order.invalid_tick"
    assert lot.json()["error"]["code"] == "order.invalid_lot"


def test_issuing_to_a_wallet_that_is_not_whitelisted_is_refused(client, admin, make_asset, new_wallet):
    asset = make_asset()
    response = client.post(
        f"/v1/assets/{asset['symbol']}/issue", headers=admin, json={"to_wallet": new_wallet().address, "quantity": "1"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "compliance.receiver_not_whitelisted"
