"""Market data: websocket snapshot + increments, candles, and the operator kill switch."""

from __future__ import annotations

from tests.support.live_stack import upload_required_documents
from tests.support.trading import fund_and_approve


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


def test_kill_switch_halts_new_orders_but_not_cancels(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    symbol = asset["symbol"]
    resting = buyer.wallet.place_order(
        client, buyer.api_key, {"symbol": symbol, "side": "buy", "price": "1", "quantity": "1"}
    ).json()
    assert client.post(f"/v1/markets/{symbol}/halt", headers=buyer.headers).status_code == 403
    halted = client.post(f"/v1/markets/{symbol}/halt", headers=admin).json()
    assert halted["market_status"] == "halted: operator"
    assert client.get(f"/v1/assets/{symbol}").json()["market_status"] == "halted: operator"
    refused = seller.wallet.place_order(
        client, seller.api_key, {"symbol": symbol, "side": "sell", "price": "1", "quantity": "1"}
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "market.halted"
    assert client.delete(f"/v1/orders/{resting['id']}", headers=buyer.headers).json()["status"] == "cancelled"
    assert client.post(f"/v1/markets/{symbol}/resume", headers=admin).json()["market_status"] == "open"


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


def test_websocket_announces_the_kill_switch_with_its_reason(client, admin, make_asset):
    symbol = make_asset()["symbol"]
    with client.websocket_connect(f"/v1/ws/markets/{symbol}") as ws:
        assert ws.receive_json()["market_status"] == "open"
        client.post(f"/v1/markets/{symbol}/halt", headers=admin)
        halted = _next_status(ws)
        client.post(f"/v1/markets/{symbol}/resume", headers=admin)
        resumed = _next_status(ws)
    assert halted["market_status"] == "halted: operator" and halted["halted"] is True
    assert resumed["market_status"] == "open" and resumed["sequence"] == halted["sequence"] + 1
