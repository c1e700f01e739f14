"""Settlement is idempotent across crashes: nothing lost, nothing settled twice."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.api.app import create_app
from backend.demo.wallet import token_balance
from backend.settlement.models import TradeRecord
from backend.settlement.worker import SettlementWorker
from tests.integration.conftest import ADMIN_KEY
from tests.integration.test_trade_flow import _fund_and_approve


class Crash(Exception):
    pass


@pytest.fixture
def manual(settings, tmp_path):
    """A second service on the same chain whose settlement we drive by hand."""
    own = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'manual.db'}",
                                      "settlement_enabled": False})
    with TestClient(create_app(own), raise_server_exceptions=False) as client:
        yield client


def test_crash_after_submit_is_confirmed_not_resent_and_a_lost_tx_never_doubles(manual, node, new_wallet):
    from tests.integration.conftest import upload_required_documents

    client, admin = manual, {"X-API-Key": ADMIN_KEY}
    chain_info = client.get("/v1/chain").json()
    symbol = "R" + new_wallet().address[2:7].upper()
    asset = client.post("/v1/assets", headers=admin, json={
        "symbol": symbol, "name": "Recovery test", "kind": "equity", "total_supply": "1000",
        "tick_size": "0.01", "lot_size": "1", "issuer_wallet": new_wallet().address}).json()
    upload_required_documents(client, admin, symbol, "equity")
    investors = []
    for _ in range(2):
        wallet = new_wallet()
        body = client.post("/v1/investors", headers=admin, json={
            "wallet": wallet.address, "name": "R", "country": "US", "accredited": True,
            "kyc_expires": "2099-01-01"}).json()

        class Who:
            pass

        who = Who()
        who.wallet, who.api_key, who.headers = wallet, body["api_key"], {"X-API-Key": body["api_key"]}
        investors.append(who)
    seller, buyer = investors
    _fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    seller.wallet.place_order(client, seller.api_key, {"symbol": symbol, "side": "sell", "price": "2", "quantity": "3"})
    buyer.wallet.place_order(client, buyer.api_key, {"symbol": symbol, "side": "buy", "price": "2", "quantity": "3"})

    app = client.app
    worker = SettlementWorker(app.state.db, app.state.chain, app.state.settings)
    real_wait = app.state.chain.wait

    def crash(*_args, **_kwargs):
        raise Crash("killed while waiting for the receipt")

    app.state.chain.wait = crash
    with pytest.raises(Crash):
        worker.run_once()
    app.state.chain.wait = real_wait
    with Session(app.state.db, expire_on_commit=False) as session:
        [trade] = session.exec(select(TradeRecord).where(TradeRecord.symbol == symbol)).all()
    assert trade.settlement_status == "submitted" and trade.tx_hash

    # A fresh worker (the restarted service) confirms the mined transaction instead of resending.
    SettlementWorker(app.state.db, app.state.chain, app.state.settings).run_once()
    with Session(app.state.db, expire_on_commit=False) as session:
        trade = session.get(TradeRecord, trade.id)
    assert trade.settlement_status == "settled" and trade.attempts == 1
    token = asset["token_address"]
    assert token_balance(node.rpc_url, token, buyer.wallet.address) == 3 * 10**18

    # Pretend the record of that transaction was lost: the trade goes back to the outbox,
    # is sent again, the contract refuses the known trade id, and it stays settled once.
    with Session(app.state.db, expire_on_commit=False) as session:
        trade = session.get(TradeRecord, trade.id)
        trade.settlement_status, trade.tx_hash = "submitted", "0x" + "ab" * 32
        session.add(trade)
        session.commit()
    worker = SettlementWorker(app.state.db, app.state.chain, app.state.settings)
    worker.run_once()  # unknown tx -> back to pending
    worker.run_once()  # resubmitted -> TradeFailed(code 1) -> settled
    with Session(app.state.db, expire_on_commit=False) as session:
        trade = session.get(TradeRecord, trade.id)
    assert trade.settlement_status == "settled"
    assert token_balance(node.rpc_url, token, buyer.wallet.address) == 3 * 10**18
    assert token_balance(node.rpc_url, token, seller.wallet.address) == 97 * 10**18
