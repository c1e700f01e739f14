"""One order-placing flow (backend.client.place_signed_order) behind ExchangeClient, the
demo's Api and the tests' Wallet: typed-data, the wallet's signature of exactly that typed
data, then the order with the nonce, expiry and (market) limit that were signed."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from eth_account import Account

from backend.client import ApiError, ExchangeClient
from backend.demo.api import Api, ScenarioError
from backend.demo.wallet import Wallet
from backend.trading.signing import recover_signer, typed_data

EXCHANGE, ASSET = Account.create().address, Account.create().address


class Venue:
    """A fake /v1/orders: answers typed-data for the order it is sent, records what is placed."""

    def __init__(self, trader: str, *, refuse_typed: bool = False):
        self.trader, self.refuse_typed = trader, refuse_typed
        self.placed: list[dict[str, Any]] = []
        self.typed: dict[str, Any] = {}
        self.keys: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.keys.append(request.headers.get("X-API-Key"))
        if request.url.path == "/v1/orders/typed-data":
            if self.refuse_typed:
                return httpx.Response(409, json={"error": {"code": "order.no_market_price", "message": "none"}})
            market = body.get("type") == "market"
            self.typed = typed_data(
                chain_id=1337,
                exchange=EXCHANGE,
                trader=self.trader,
                asset=ASSET,
                is_buy=body["side"] == "buy",
                price=13_100_000 if market else 12_500_000,
                quantity=4 * 10**18,
                nonce=7,
                expiry=1_900_000_000,
            )
            return httpx.Response(200, json={**self.typed, "limit_price": "13.1" if market else "12.5"})
        self.placed.append(body)
        return httpx.Response(201, json={"id": "o1", "status": "open"})


def _check_signed(venue: Venue, placed: dict[str, Any]) -> None:
    assert placed["nonce"] == 7 and placed["expires_at"] == 1_900_000_000
    assert recover_signer(venue.typed, placed["signature"]) == venue.trader


@pytest.mark.parametrize("kind", ["limit", "market"])
def test_exchange_client_signs_the_typed_data_and_sends_what_was_signed(kind: str):
    account = Account.create()
    venue = Venue(account.address)
    client = ExchangeClient(
        "http://venue", api_key="k", private_key=account.key.to_0x_hex(), transport=httpx.MockTransport(venue)
    )
    order = client.place_order("ACME", "buy", quantity="4", price="12.5" if kind == "limit" else None)
    assert order["id"] == "o1"
    [placed] = venue.placed
    _check_signed(venue, placed)
    assert placed["price"] == ("12.5" if kind == "limit" else "13.1")  # a market order sends its signed limit
    assert set(venue.keys) == {"k"}


def test_exchange_client_raises_the_venues_error_when_typed_data_is_refused():
    account = Account.create()
    venue = Venue(account.address, refuse_typed=True)
    client = ExchangeClient("http://venue", private_key=account.key.to_0x_hex(), transport=httpx.MockTransport(venue))
    with pytest.raises(ApiError) as refused:
        client.place_order("ACME", "buy", quantity="4")
    assert refused.value.code == "order.no_market_price" and venue.placed == []


def test_the_demo_and_the_test_wallet_place_through_the_same_flow():
    account = Account.create()
    wallet = Wallet(account.key.to_0x_hex(), "http://127.0.0.1:1")  # no node is asked
    venue = Venue(account.address)
    api = Api("http://venue", admin_key="admin")
    api.http = httpx.Client(base_url="http://venue", transport=httpx.MockTransport(venue))
    api.keys["kenji"] = "kenji-key"
    placed, limit = api.place_market(wallet, "kenji", {"symbol": "ACME", "side": "buy", "type": "market"}, "buy")
    assert placed["id"] == "o1" and limit == "13.1"
    assert venue.placed[-1]["price"] == "13.1"
    _check_signed(venue, venue.placed[-1])
    assert set(venue.keys) == {"kenji-key"}

    http = httpx.Client(base_url="http://venue", transport=httpx.MockTransport(venue))
    response = wallet.place_order(http, "own-key", {"symbol": "ACME", "side": "sell", "price": "12.5"})
    assert response.status_code == 201
    assert venue.placed[-1]["price"] == "12.5"
    _check_signed(venue, venue.placed[-1])
    assert venue.keys[-1] == "own-key"

    venue.refuse_typed = True
    with pytest.raises(ScenarioError):
        api.place_market(wallet, "kenji", {"symbol": "ACME", "side": "buy", "type": "market"}, "buy")
