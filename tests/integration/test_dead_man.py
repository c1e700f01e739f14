"""The dead-man's switch: heartbeats keep an investor's orders alive; a lapse cancels them all."""

from __future__ import annotations

import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.api.app import create_app
from backend.clock import utcnow
from backend.models.compliance import Investor
from backend.models.trading import DeadManSwitch, Order
from backend.trading import dead_man
from backend.trading.sequencer import Venue
from tests.support.live_stack import ADMIN_KEY
from tests.support.trading import fund_and_approve


def _wait_fired(client, headers, *, before: str | None = None, timeout=60) -> dict:
    """The switch's status once it has fired (again, when it had fired `before`)."""
    deadline = time.monotonic() + timeout
    while True:
        status = client.get("/v1/orders/dead-man", headers=headers).json()
        if status["fired_at"] not in (None, before) or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def test_arming_refreshing_and_disarming(client, make_investor):
    investor = make_investor()
    assert client.get("/v1/orders/dead-man", headers=investor.headers).json()["armed"] is False
    armed = client.post("/v1/orders/dead-man", headers=investor.headers, json={"timeout_seconds": 60}).json()
    assert armed["armed"] and armed["timeout_seconds"] == 60 and armed["deadline"] > armed["now"]
    again = client.post("/v1/orders/dead-man", headers=investor.headers, json={"timeout_seconds": 60}).json()
    assert again["deadline"] >= armed["deadline"]  # a heartbeat pushes the deadline out
    off = client.post("/v1/orders/dead-man", headers=investor.headers, json={"timeout_seconds": 0}).json()
    assert off["armed"] is False and off["deadline"] is None
    for bad in (-1, 86_401, "10", 1.5, True):
        response = client.post("/v1/orders/dead-man", headers=investor.headers, json={"timeout_seconds": bad})
        assert response.status_code == 422 and response.json()["error"]["code"] == "validation.invalid"
    assert client.post("/v1/orders/dead-man", json={"timeout_seconds": 5}).status_code == 401


def test_a_lapsed_switch_cancels_all_orders_in_every_market_and_only_then(
    client, admin, chain_info, make_asset, make_investor
):
    first, second = make_asset(), make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, first, seller, buyer)
    for symbol, price in ((first["symbol"], "1"), (first["symbol"], "2"), (second["symbol"], "1")):
        placed = buyer.wallet.place_order(
            client, buyer.api_key, {"symbol": symbol, "side": "buy", "price": price, "quantity": "1"}
        )
        assert placed.status_code == 201, placed.text
    kept = seller.wallet.place_order(
        client, seller.api_key, {"symbol": first["symbol"], "side": "sell", "price": "5", "quantity": "1"}
    )

    # Deterministic clock: a refreshed deadline is not due; a lapsed one fires once.
    app = client.app
    venue: Venue = app.state.venue
    start = utcnow() + timedelta(days=1)  # far beyond the background sweeper's "now"
    with Session(app.state.db, expire_on_commit=False) as session:
        buyer_row = session.get(Investor, buyer.id)
        dead_man.arm(session, investor=buyer_row, timeout_seconds=10, now=start)
        assert dead_man.sweep(session, venue, now=start + timedelta(seconds=9)) == 0
        dead_man.arm(session, investor=buyer_row, timeout_seconds=10, now=start + timedelta(seconds=9))
        assert dead_man.sweep(session, venue, now=start + timedelta(seconds=15)) == 0
        open_orders = session.exec(select(Order).where(Order.investor_id == buyer.id, Order.status == "open")).all()
        assert len(open_orders) == 3
        assert dead_man.sweep(session, venue, now=start + timedelta(seconds=19)) == 1
        assert dead_man.sweep(session, venue, now=start + timedelta(seconds=30)) == 0  # fired once
        switch = session.get(DeadManSwitch, buyer.id)
        assert switch.deadline is None and switch.cancelled_orders == 3

    orders = client.get("/v1/orders", headers=buyer.headers).json()
    assert sorted(o["status"] for o in orders) == ["cancelled"] * 3
    assert client.get(f"/v1/orders/{kept.json()['id']}", headers=seller.headers).json()["status"] == "open"
    assert client.get(f"/v1/markets/{first['symbol']}/book").json()["bids"] == []
    with Session(app.state.db) as session:  # the cancels went through the journal: a replay agrees
        replayed = Venue.for_settings(app.state.settings).market(session, first["symbol"]).engine
    assert replayed.state_hash() == venue.market(None, first["symbol"]).engine.state_hash()

    # And the background sweeper fires a real lapse on its own.
    again = buyer.wallet.place_order(
        client, buyer.api_key, {"symbol": second["symbol"], "side": "buy", "price": "1", "quantity": "1"}
    )
    armed = client.post("/v1/orders/dead-man", headers=buyer.headers, json={"timeout_seconds": 1}).json()
    fired = _wait_fired(client, buyer.headers, before=armed["fired_at"])
    assert fired["armed"] is False and fired["cancelled_orders"] == 1, fired
    assert client.get(f"/v1/orders/{again.json()['id']}", headers=buyer.headers).json()["status"] == "cancelled"


def test_a_restarted_service_honours_a_deadline_that_lapsed_while_it_was_down(settings, tmp_path, new_wallet):
    own = settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path / 'deadman.db'}",
            "settlement_enabled": False,
            "disclosure_policy_enforced": False,
        }
    )
    admin = {"X-API-Key": ADMIN_KEY}
    with TestClient(create_app(own), raise_server_exceptions=False) as client:
        chain_info = client.get("/v1/chain").json()
        symbol = "D" + new_wallet().address[2:7].upper()
        assert (
            client.post(
                "/v1/assets",
                headers=admin,
                json={
                    "symbol": symbol,
                    "name": "Dead man",
                    "kind": "equity",
                    "total_supply": "1000",
                    "tick_size": "0.01",
                    "lot_size": "1",
                    "issuer_wallet": new_wallet().address,
                },
            ).status_code
            == 201
        )
        wallet = new_wallet()
        body = client.post(
            "/v1/investors",
            headers=admin,
            json={
                "wallet": wallet.address,
                "name": "D",
                "country": "US",
                "accredited": True,
                "kyc_expires": "2099-01-01",
            },
        ).json()
        assert (
            client.post("/v1/cash/faucet", headers=admin, json={"wallet": wallet.address, "amount": "100"}).status_code
            == 200
        )
        wallet.approve(chain_info["contracts"]["cash_token"], chain_info["contracts"]["settlement_exchange"])
        for price in ("1", "2"):
            placed = wallet.place_order(
                client, body["api_key"], {"symbol": symbol, "side": "buy", "price": price, "quantity": "1"}
            )
            assert placed.status_code == 201, placed.text
    # The service is down. The switch had been armed before, and its deadline passes meanwhile.
    engine = client.app.state.db
    with Session(engine) as session:
        investor = session.get(Investor, body["id"])
        dead_man.arm(session, investor=investor, timeout_seconds=5, now=utcnow() - timedelta(seconds=60))
    with TestClient(create_app(own), raise_server_exceptions=False) as client:  # the restart
        fired = _wait_fired(client, {"X-API-Key": body["api_key"]})
        assert fired["cancelled_orders"] == 2, fired
        orders = client.get("/v1/orders", headers={"X-API-Key": body["api_key"]}).json()
        assert sorted(o["status"] for o in orders) == ["cancelled", "cancelled"]
        assert client.get(f"/v1/markets/{symbol}/book").json()["bids"] == []
