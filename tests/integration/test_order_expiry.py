"""Every order expires: a resting order leaves the book by itself at its expiry (the signed
expiry less RWA_ORDER_EXPIRY_MARGIN_SECONDS), with no other traffic in its market; the
order shows "expired", the book and the websocket drop it, and the journal replays it."""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.api.app import create_app
from backend.models.trading import JournalEntry
from backend.trading.sequencer import Venue
from backend.trading.terms import MIN_LIFETIME_SECONDS
from tests.support.live_stack import ADMIN_KEY
from tests.support.trading import fund_and_approve


def _receive(ws: Any, timeout: float = 10) -> dict:
    """The next websocket message, or a failure after `timeout` (never a hung test)."""
    box: list[dict] = []
    reader = threading.Thread(target=lambda: box.append(ws.receive_json()), daemon=True)
    reader.start()
    reader.join(timeout)
    assert box, f"no websocket message within {timeout} s"
    return box[0]


def _wait_status(client, headers, order_id: str, *, not_in: tuple[str, ...], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        order = client.get(f"/v1/orders/{order_id}", headers=headers).json()
        if order["status"] not in not_in or time.monotonic() > deadline:
            return order
        time.sleep(0.2)


def test_a_resting_order_expires_by_itself(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    symbol = asset["symbol"]
    margin = client.app.state.settings.order_expiry_margin_seconds
    lifetime = 4  # seconds on the book
    # The shortest expiry order entry accepts, plus a little: the engine's expiry is `lifetime` s away.
    expires_at = int(time.time()) + margin + MIN_LIFETIME_SECONDS + lifetime
    short = buyer.wallet.place_order(
        client,
        buyer.api_key,
        {"symbol": symbol, "side": "buy", "price": "2", "quantity": "3", "expires_at": expires_at},
    )
    assert short.status_code == 201, short.text
    placed = short.json()
    assert placed["status"] == "open"
    kept = buyer.wallet.place_order(
        client, buyer.api_key, {"symbol": symbol, "side": "buy", "price": "1", "quantity": "1"}
    )
    assert kept.status_code == 201, kept.text  # the default GTC expiry: days away
    assert client.get(f"/v1/markets/{symbol}/book").json()["bids"] == [["2", "3"], ["1", "1"]]

    with client.websocket_connect(f"/v1/ws/markets/{symbol}") as ws:
        snapshot = _receive(ws)
        assert snapshot["type"] == "snapshot" and snapshot["bids"] == [["2", "3"], ["1", "1"]]
        # Nothing else happens in this market: the expiry sweeper alone takes the order off.
        order = _wait_status(
            client, buyer.headers, placed["id"], not_in=("open", "partially_filled"), timeout=lifetime + 20
        )
        assert order["status"] == "expired", order
        assert order["cancel_reason"] == "expired"
        assert time.time() >= expires_at - margin - 1  # not before its time (1 s of clock rounding)
        update = _receive(ws)
        assert update["type"] == "book" and update["bids"] == [["2", "0"]], update
        assert update["sequence"] == snapshot["sequence"] + 1

    assert client.get(f"/v1/markets/{symbol}/book").json()["bids"] == [["1", "1"]]
    assert client.get(f"/v1/orders/{kept.json()['id']}", headers=buyer.headers).json()["status"] == "open"
    listed = {o["id"]: o["status"] for o in client.get("/v1/orders", headers=buyer.headers).json()}
    assert listed[placed["id"]] == "expired"

    # The expiry is a journaled command: a replay of the journal rebuilds the same book.
    app = client.app
    with Session(app.state.db) as session:
        kinds = [row.command["kind"] for row in session.exec(select(JournalEntry).where(JournalEntry.symbol == symbol))]
        replayed = Venue.for_settings(app.state.settings).market(session, symbol).engine
    assert kinds.count("Expire") == 1, kinds
    live = app.state.venue.market(None, symbol).engine
    assert replayed.state_hash() == live.state_hash()
    assert live.next_expiry() is not None and live.next_expiry() > time.time_ns()  # the kept order's


def test_an_order_that_expired_while_the_service_was_down_leaves_the_book_after_a_restart(
    settings, tmp_path, new_wallet
):
    own = settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path / 'expiry.db'}",
            "settlement_enabled": False,
            "disclosure_policy_enforced": False,
            "order_expiry_margin_seconds": 0,
        }
    )
    admin = {"X-API-Key": ADMIN_KEY}
    with TestClient(create_app(own), raise_server_exceptions=False) as client:
        chain_info = client.get("/v1/chain").json()
        symbol = "E" + new_wallet().address[2:7].upper()
        asset = {
            "symbol": symbol,
            "name": "Expiry",
            "kind": "equity",
            "total_supply": "1000",
            "tick_size": "0.01",
            "lot_size": "1",
            "issuer_wallet": new_wallet().address,
        }
        assert client.post("/v1/assets", headers=admin, json=asset).status_code == 201
        wallet = new_wallet()
        investor = {"wallet": wallet.address, "name": "E", "country": "US", "accredited": True}
        body = client.post("/v1/investors", headers=admin, json={**investor, "kyc_expires": "2099-01-01"}).json()
        faucet = {"wallet": wallet.address, "amount": "100"}
        assert client.post("/v1/cash/faucet", headers=admin, json=faucet).status_code == 200
        wallet.approve(chain_info["contracts"]["cash_token"], chain_info["contracts"]["settlement_exchange"])
        expires_at = int(time.time()) + MIN_LIFETIME_SECONDS + 2
        order = {"symbol": symbol, "side": "buy", "price": "1", "quantity": "1", "expires_at": expires_at}
        placed = wallet.place_order(client, body["api_key"], order)
        assert placed.status_code == 201, placed.text
        client.app.state.order_expiry.stop()  # the service goes down before the order expires
        headers = {"X-API-Key": body["api_key"]}
        assert client.get(f"/v1/orders/{placed.json()['id']}", headers=headers).json()["status"] == "open"
    time.sleep(max(0.0, expires_at - time.time()) + 0.5)
    with TestClient(create_app(own), raise_server_exceptions=False) as client:  # the restart
        # No command reaches this market: the sweeper loads it and expires the order by itself.
        after = _wait_status(client, headers, placed.json()["id"], not_in=("open",), timeout=15)
        assert after["status"] == "expired", after
        assert client.get(f"/v1/markets/{symbol}/book").json()["bids"] == []
