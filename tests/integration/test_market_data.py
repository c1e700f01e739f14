"""Market data: websocket snapshot + increments, candles, and the operator kill switch."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from backend.api.app import create_app
from backend.demo.wallet import Wallet
from tests.support.live_stack import ADMIN_KEY, upload_required_documents
from tests.support.trading import Who, fund_and_approve


@pytest.fixture(scope="module")
def calls(settings, tmp_path_factory) -> Iterator[TestClient]:
    """The service with its phases on (the shared stack turns them off): a halt ends in a
    2-s reopening call, a new listing opens through one."""
    own = settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path_factory.mktemp('calls') / 'rwa.db'}",
            "disclosure_policy_enforced": False,
            "market_auction_seconds": 2,
            "market_limit_state_seconds": 1,
        }
    )
    with TestClient(create_app(own), raise_server_exceptions=False) as client:
        yield client


def _listing(client: TestClient, new_wallet: Callable[[], Wallet]) -> dict:
    symbol = "K" + new_wallet().address[2:7].upper()
    body = {"symbol": symbol, "name": "Kill switch", "kind": "equity", "total_supply": "1000"}
    body |= {"tick_size": "0.01", "lot_size": "1", "issuer_wallet": new_wallet().address}
    return client.post("/v1/assets", headers={"X-API-Key": ADMIN_KEY}, json=body).json()


def _investor(client: TestClient, wallet: Wallet) -> Who:
    body = {"wallet": wallet.address, "name": "K", "country": "US", "accredited": True, "kyc_expires": "2099-01-01"}
    made = client.post("/v1/investors", headers={"X-API-Key": ADMIN_KEY}, json=body).json()
    return Who(wallet=wallet, api_key=made["api_key"])


def _wait_status(client: TestClient, symbol: str, prefix: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while not (status := client.get(f"/v1/assets/{symbol}").json()["market_status"]).startswith(prefix):
        assert time.monotonic() < deadline, f"{symbol} never reached {prefix!r}: {status}"
        time.sleep(0.1)
    return status


def test_websocket_sends_snapshot_then_sequenced_increments(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    symbol = asset["symbol"]
    seller.wallet.place_order(client, seller.api_key, {"symbol": symbol, "side": "sell", "price": "5", "quantity": "3"})
    with client.websocket_connect(f"/v1/ws/markets/{symbol}") as ws:
        snapshot = ws.receive_json()
        assert snapshot["type"] == "snapshot"
        assert snapshot["asks"] == [["5", "3"]] and snapshot["market_status"] == "open"
        buy = {"symbol": symbol, "side": "buy", "price": "5", "quantity": "1"}
        buyer.wallet.place_order(client, buyer.api_key, buy)
        book = ws.receive_json()
        trade = ws.receive_json()
    assert book == {
        "type": "book",
        "symbol": symbol,
        "sequence": snapshot["sequence"] + 1,
        "bids": [],
        "asks": [["5", "2"]],
    }
    assert trade["type"] == "trade" and trade["sequence"] == book["sequence"]
    assert trade["trade"]["price"] == "5" and trade["trade"]["quantity"] == "1"

    candles = client.get(f"/v1/markets/{symbol}/candles", params={"interval": "1m"}).json()
    assert candles[-1]["open"] == "5" and candles[-1]["volume"] == "1" and candles[-1]["trades"] == 1


def test_unknown_market_websocket_gets_an_error_message(client):
    with client.websocket_connect("/v1/ws/markets/NOPE") as ws:
        message = ws.receive_json()
    assert message["type"] == "error" and message["error"]["code"] == "asset.not_found"


def test_kill_switch_halts_new_orders_but_not_cancels_and_resumes_through_a_call(
    calls, new_wallet: Callable[[], Wallet]
):
    client, admin = calls, {"X-API-Key": ADMIN_KEY}
    asset = _listing(client, new_wallet)
    seller, buyer = _investor(client, new_wallet()), _investor(client, new_wallet())
    fund_and_approve(client, admin, client.get("/v1/chain").json(), asset, seller, buyer, cash="100")
    symbol = asset["symbol"]
    resting = buyer.wallet.place_order(
        client, buyer.api_key, {"symbol": symbol, "side": "buy", "price": "1", "quantity": "1"}
    ).json()
    _wait_status(client, symbol, "open")  # the new listing's opening call ended (nothing crossed)
    assert client.post(f"/v1/markets/{symbol}/halt", headers=buyer.headers).status_code == 403
    halted = client.post(f"/v1/markets/{symbol}/halt", headers=admin).json()
    assert halted["market_status"] == "halted: operator"
    assert client.get(f"/v1/assets/{symbol}").json()["market_status"] == "halted: operator"
    refused = seller.wallet.place_order(
        client, seller.api_key, {"symbol": symbol, "side": "sell", "price": "1", "quantity": "1"}
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "market.halted"
    assert client.delete(f"/v1/orders/{resting['id']}", headers=buyer.headers).json()["status"] == "cancelled"
    # Resuming does not go straight back to continuous trading: a reopening call first.
    resumed = client.post(f"/v1/markets/{symbol}/resume", headers=admin).json()["market_status"]
    assert resumed.startswith("auction: reopening (until "), resumed
    sell = {"symbol": symbol, "side": "sell", "price": "1", "quantity": "1"}
    in_call = seller.wallet.place_order(client, seller.api_key, sell)
    assert in_call.status_code == 201 and in_call.json()["status"] == "open"  # accepted, nothing matches
    assert client.get(f"/v1/markets/{symbol}/auction").json()["phase"] == "reopening"
    assert _wait_status(client, symbol, "open") == "open"


def _next_status(ws, limit: int = 20) -> dict:
    """The next `status` message (book and trade messages and heartbeats are skipped)."""
    for _ in range(limit):
        message = ws.receive_json()
        if message["type"] == "status":
            return message
    raise AssertionError(f"no status message in {limit} messages")


def test_websocket_announces_status_when_disclosures_open_the_market(client, admin, make_asset):
    asset = make_asset(documents=False)
    symbol = asset["symbol"]
    with client.websocket_connect(f"/v1/ws/markets/{symbol}") as ws:
        snapshot = ws.receive_json()
        assert snapshot["market_status"].startswith("halted: ") and "disclosure" in snapshot["market_status"]
        upload_required_documents(client, admin, symbol, asset["kind"])
        status = _next_status(ws)
    assert status["market_status"] == "open" and status["halted"] is False
    assert status["symbol"] == symbol and status["sequence"] == snapshot["sequence"]


def test_websocket_announces_the_kill_switch_with_its_reason(calls, new_wallet: Callable[[], Wallet]):
    client, admin = calls, {"X-API-Key": ADMIN_KEY}
    symbol = _listing(client, new_wallet)["symbol"]
    with client.websocket_connect(f"/v1/ws/markets/{symbol}") as ws:
        assert ws.receive_json()["market_status"] == "open"
        client.post(f"/v1/markets/{symbol}/halt", headers=admin)
        halted = _next_status(ws)
        client.post(f"/v1/markets/{symbol}/resume", headers=admin)
        call = _next_status(ws)
        reopened = _next_status(ws)  # the sweeper uncrosses the call when it ends
    assert halted["market_status"] == "halted: operator" and halted["halted"] is True
    # A market that never traded ends the halt in its opening call (no reference price yet).
    assert call["market_status"].startswith("auction: opening (until ") and call["halted"] is False
    # "open" may be announced once the call's time is up, before the sweeper's uncross command
    # lands (same sequence), never before the call itself
    assert reopened["market_status"] == "open" and reopened["sequence"] >= call["sequence"] > halted["sequence"]
