"""The call auction on a live service (ganache, the service's own workers).

A new listing opens through a call: its first orders meet in it and uncross at one price.

The issue's crash against a live service (ganache, the service's own workers): after a
trade at 1.00, bids at 0.99, 0.95, 0.80, 0.50 and 0.10; a panic sell trades at 0.99 and
0.95 and stops at the band (limit state); the book does not recover, so the market halts;
the halt ends in a call auction where the panic sell rests instead of sweeping the stink
bids; buyers come back; the call uncrosses at one price (0.95), the bids at 0.80, 0.50
and 0.10 are untouched, and the auction trade settles on chain like any other."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from backend.api.app import create_app
from backend.cli import app as cli_app
from backend.demo.wallet import Wallet
from backend.models.trading import JournalEntry
from backend.trading.sequencer import Venue
from tests.support.live_stack import ADMIN_KEY, upload_document, upload_required_documents, wait_for_settlement
from tests.support.trading import Who, fund_and_approve


def _investor(client: TestClient, admin: dict, wallet: Wallet) -> Who:
    body = client.post(
        "/v1/investors",
        headers=admin,
        json={"wallet": wallet.address, "name": "A", "country": "US", "accredited": True, "kyc_expires": "2099-01-01"},
    ).json()
    return Who(wallet=wallet, api_key=body["api_key"])


def _place(client: TestClient, who: Who, symbol: str, side: str, price: str, quantity: str) -> dict:
    response = who.wallet.place_order(
        client, who.api_key, {"symbol": symbol, "side": side, "price": price, "quantity": quantity}
    )
    assert response.status_code == 201, response.text
    return response.json()


def _wait_status(client: TestClient, symbol: str, prefix: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(f"/v1/assets/{symbol}").json()["market_status"]
        if status.startswith(prefix):
            return status
        assert time.monotonic() < deadline, f"{symbol} never reached {prefix!r}: {status}"
        time.sleep(0.1)


def test_after_a_crash_the_market_reopens_by_auction_without_sweeping_the_stink_bids(
    settings, tmp_path, new_wallet: Callable[[], Wallet]
):
    own = settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path / 'auction.db'}",
            "disclosure_policy_enforced": False,
            "market_limit_state_seconds": 1,
            "market_halt_seconds": 1,
            "market_auction_seconds": 8,
        }
    )
    admin = {"X-API-Key": ADMIN_KEY}
    with TestClient(create_app(own), raise_server_exceptions=False) as client:
        chain_info = client.get("/v1/chain").json()
        symbol = "A" + new_wallet().address[2:7].upper()
        asset = client.post(
            "/v1/assets",
            headers=admin,
            json={
                "symbol": symbol,
                "name": "Auction",
                "kind": "equity",
                "total_supply": "1000",
                "tick_size": "0.01",
                "lot_size": "1",
                "issuer_wallet": new_wallet().address,
            },
        ).json()
        seller, buyer = _investor(client, admin, new_wallet()), _investor(client, admin, new_wallet())
        fund_and_approve(client, admin, chain_info, asset, seller, buyer, cash="100")
        assert client.get(f"/v1/markets/{symbol}/auction").json()["phase"] == "none"
        # A new listing opens through a call: the first orders meet there.
        _place(client, seller, symbol, "sell", "1.00", "1")
        assert client.get(f"/v1/assets/{symbol}").json()["market_status"].startswith("auction: opening (until ")
        _place(client, buyer, symbol, "buy", "1.00", "1")
        _wait_status(client, symbol, "open")  # uncrossed at 1.00: the reference
        for price in ("0.99", "0.95", "0.80", "0.50", "0.10"):
            _place(client, buyer, symbol, "buy", price, "2")

        panic = _place(client, seller, symbol, "sell", "0.01", "5")
        assert [(f["price"], f["quantity"]) for f in panic["fills"]] == [("0.99", "2"), ("0.95", "2")]
        assert panic["status"] == "cancelled"  # the rest stopped at the band: a limit state
        _wait_status(client, symbol, "halted: volatility")  # no bid came back inside the band
        status = _wait_status(client, symbol, "auction: reopening (until ")
        call = client.get(f"/v1/markets/{symbol}/auction").json()
        assert call["ends_at"] in status
        assert (call["phase"], call["reference_price"], call["collar_low"], call["collar_high"]) == (
            "reopening",
            "0.95",
            "0.86",
            "1.04",
        )

        with client.websocket_connect(f"/v1/ws/markets/{symbol}") as ws:
            assert ws.receive_json()["type"] == "snapshot"
            again = _place(client, seller, symbol, "sell", "0.01", "5")
            assert again["status"] == "open" and not again["fills"]  # nothing matches in the call
            call = client.get(f"/v1/markets/{symbol}/auction").json()
            assert (call["indicative_price"], call["matched_quantity"]) == ("0.1", "5")
            assert (call["imbalance_side"], call["imbalance_quantity"]) == ("buy", "1")
            _place(client, buyer, symbol, "buy", "0.96", "5")
            call = client.get(f"/v1/markets/{symbol}/auction").json()
            assert (call["indicative_price"], call["matched_quantity"], call["imbalance_quantity"]) == (
                "0.95",
                "5",
                "0",
            )
            # The websocket sent an `auction` message on each change of the figures, the uncross last.
            figures = []
            for _ in range(50):
                message = ws.receive_json()
                if message["type"] == "auction":
                    figures.append((message["phase"], message["indicative_price"], message["matched_quantity"]))
                    if message["phase"] == "none":
                        break
            assert figures == [("reopening", "0.1", "5"), ("reopening", "0.95", "5"), ("none", None, "0")], figures

        assert _wait_status(client, symbol, "open") == "open"  # the sweeper uncrossed the call
        book = client.get(f"/v1/markets/{symbol}/book").json()
        assert book["bids"] == [["0.8", "2"], ["0.5", "2"], ["0.1", "2"]] and book["asks"] == []
        trades = wait_for_settlement(client, admin, symbol, 4)
        auction = [t for t in trades if (t["price"], t["quantity"]) == ("0.95", "5")]
        assert len(auction) == 1 and auction[0]["settlement_status"] == "settled", trades
        assert client.get(f"/v1/orders/{again['id']}", headers=seller.headers).json()["status"] == "filled"
        assert client.get(f"/v1/markets/{symbol}/auction").json()["phase"] == "none"


def test_a_new_listing_opens_through_a_call_auction(settings, tmp_path, new_wallet: Callable[[], Wallet]):
    own = settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path / 'opening.db'}",
            "disclosure_policy_enforced": False,
            "market_auction_seconds": 6,
        }
    )
    admin = {"X-API-Key": ADMIN_KEY}
    with TestClient(create_app(own), raise_server_exceptions=False) as client:
        chain_info = client.get("/v1/chain").json()
        symbol = "O" + new_wallet().address[2:7].upper()
        asset = client.post(
            "/v1/assets",
            headers=admin,
            json={
                "symbol": symbol,
                "name": "Opening",
                "kind": "equity",
                "total_supply": "1000",
                "tick_size": "0.01",
                "lot_size": "1",
                "issuer_wallet": new_wallet().address,
            },
        ).json()
        seller, buyer = _investor(client, admin, new_wallet()), _investor(client, admin, new_wallet())
        fund_and_approve(client, admin, chain_info, asset, seller, buyer, cash="100")
        sell = _place(client, seller, symbol, "sell", "2.00", "3")
        buy = _place(client, buyer, symbol, "buy", "2.10", "4")
        assert (sell["status"], buy["status"], sell["fills"], buy["fills"]) == ("open", "open", [], [])
        call = client.get(f"/v1/markets/{symbol}/auction").json()
        # 3 lots at any price from 2.00 to 2.10; no reference yet: the middle of that range.
        assert (call["phase"], call["indicative_price"], call["matched_quantity"]) == ("opening", "2.05", "3")
        assert (call["imbalance_side"], call["imbalance_quantity"], call["collar_low"]) == ("buy", "1", None)
        _wait_status(client, symbol, "open")
        trades = wait_for_settlement(client, admin, symbol, 1)
        assert [(t["price"], t["quantity"], t["settlement_status"]) for t in trades] == [("2.05", "3", "settled")]
        assert client.get(f"/v1/markets/{symbol}/book").json()["bids"] == [["2.1", "1"]]
        app = client.app
        with Session(app.state.db) as session:
            kinds = [r.command["kind"] for r in session.exec(select(JournalEntry).where(JournalEntry.symbol == symbol))]
            replayed = Venue.for_settings(app.state.settings).market(session, symbol).engine
        assert kinds[:2] == ["OpenAuction", "PlaceOrder"] and "Expire" in kinds  # the sweeper's uncross tick
        assert replayed.state_hash() == app.state.venue.market(None, symbol).engine.state_hash()


def test_rwa_markets_status_shows_the_call_and_its_figures(settings, tmp_path, new_wallet: Callable[[], Wallet]):
    own = settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path / 'cli.db'}",
            "disclosure_policy_enforced": False,
            "market_auction_seconds": 300,
        }
    )
    admin = {"X-API-Key": ADMIN_KEY}
    with TestClient(create_app(own), raise_server_exceptions=False) as client:
        chain_info = client.get("/v1/chain").json()
        symbol = "C" + new_wallet().address[2:7].upper()
        asset = client.post(
            "/v1/assets",
            headers=admin,
            json={
                "symbol": symbol,
                "name": "CLI",
                "kind": "equity",
                "total_supply": "1000",
                "tick_size": "0.01",
                "lot_size": "1",
                "issuer_wallet": new_wallet().address,
            },
        ).json()
        seller, buyer = _investor(client, admin, new_wallet()), _investor(client, admin, new_wallet())
        fund_and_approve(client, admin, chain_info, asset, seller, buyer, cash="100")
        _place(client, seller, symbol, "sell", "1.00", "1")
        _place(client, buyer, symbol, "buy", "1.10", "2")
        served = client.get(f"/v1/markets/{symbol}/auction").json()
    env = {
        "DATABASE_URL": own.database_url,
        "RPC_URL": own.rpc_url,
        "RWA_DEPLOYMENT_FILE": str(own.deployment_file),
        "RWA_ADMIN_KEY": ADMIN_KEY,
        "RWA_MARKET_AUCTION_SECONDS": "300",
    }
    result = CliRunner().invoke(cli_app, ["markets", "status", symbol, "--json"], env=env)
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["market_status"].startswith("auction: opening (until ")
    assert shown["auction"] == served and served["indicative_price"] == "1.05"
    table = CliRunner().invoke(cli_app, ["markets", "status", symbol], env=env)
    assert table.exit_code == 0 and "indicative price" in table.output and "1.05" in table.output


def test_a_market_whose_disclosures_go_stale_and_are_restored_reopens_through_a_call(
    settings, tmp_path, new_wallet: Callable[[], Wallet]
):
    own = settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path / 'disclosure.db'}",
            "disclosure_policy_enforced": True,
            "market_auction_seconds": 3,
        }
    )
    admin = {"X-API-Key": ADMIN_KEY}
    with TestClient(create_app(own), raise_server_exceptions=False) as client:
        chain_info = client.get("/v1/chain").json()
        symbol = "D" + new_wallet().address[2:7].upper()
        body = {"symbol": symbol, "name": "Well", "kind": "oil_well", "total_supply": "1000", "tick_size": "0.01"}
        asset = client.post(
            "/v1/assets", headers=admin, json={**body, "lot_size": "1", "issuer_wallet": new_wallet().address}
        ).json()
        upload_required_documents(client, admin, symbol, "oil_well")
        seller, buyer = _investor(client, admin, new_wallet()), _investor(client, admin, new_wallet())
        fund_and_approve(client, admin, chain_info, asset, seller, buyer, cash="100")
        _place(client, seller, symbol, "sell", "1.00", "1")
        _place(client, buyer, symbol, "buy", "1.00", "1")
        _wait_status(client, symbol, "open")  # the opening call traded at 1.00
        ask = _place(client, seller, symbol, "sell", "1.10", "2")

        # A production report for a period 60 days ago is stale: the engine halts the market.
        upload_document(
            client,
            admin,
            symbol,
            "production_report",
            data=b"old production",
            effective_date=(date.today() - timedelta(days=60)).isoformat(),
        )
        assert client.get(f"/v1/assets/{symbol}").json()["market_status"] == (
            "halted: disclosure_missing (production_report)"
        )
        order = {"symbol": symbol, "side": "buy", "price": "1.10", "quantity": "1"}
        refused = buyer.wallet.place_order(client, buyer.api_key, order)
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "disclosure.missing"

        # Filed and current again: the market does not go straight back to continuous
        # trading (the resting ask at 1.10 would be hit by the first order): a call first.
        upload_document(client, admin, symbol, "production_report", data=b"current production")
        status = client.get(f"/v1/assets/{symbol}").json()["market_status"]
        assert status.startswith("auction: reopening (until "), status
        bid = _place(client, buyer, symbol, "buy", "1.10", "1")
        assert (bid["status"], bid["fills"]) == ("open", [])  # nothing matches in the call
        call = client.get(f"/v1/markets/{symbol}/auction").json()
        assert (call["phase"], call["indicative_price"], call["matched_quantity"]) == ("reopening", "1.1", "1")
        assert call["reference_price"] == "1"  # the last trade before the halt
        _wait_status(client, symbol, "open")
        trades = wait_for_settlement(client, admin, symbol, 2)
        assert [(t["price"], t["quantity"], t["settlement_status"]) for t in trades[:1]] == [("1.1", "1", "settled")]
        assert client.get(f"/v1/orders/{ask['id']}", headers=seller.headers).json()["status"] == "partially_filled"

        app = client.app
        with Session(app.state.db) as session:
            kinds = [r.command["kind"] for r in session.exec(select(JournalEntry).where(JournalEntry.symbol == symbol))]
            replayed = Venue.for_settings(app.state.settings).market(session, symbol).engine
        assert kinds.count("Halt") == 1 and kinds.index("Halt") < kinds.index("Resume") < len(kinds) - 2
        assert replayed.state_hash() == app.state.venue.market(None, symbol).engine.state_hash()
