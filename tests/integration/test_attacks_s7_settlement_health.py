"""Attack review s7 (issue 16/17): /health while every settlement fails.

A settle() that reverts as a whole is handled inside the worker's pass and leaves no error
behind: mined and reverted, its trades go back to the outbox (`_reverted`: no last_error at
all); refused by a node that simulates first, `_refused_alone` sets last_error, which the loop
clears as soon as the pass returns (backend/settlement/worker.py, SettlementWorker._loop). A hot
key that lost its OPERATOR_ROLE (a governance mistake, a rotation half done) makes every trade
revert and fail after MAX_ATTEMPTS, while /health shows `settlement.last_error: null` and `ok` -
in thread mode and, through the child's reports, in process mode alike.
"""

from __future__ import annotations

import time

import pytest
from sqlmodel import Session
from web3 import Web3

from backend.models.settlement import TradeRecord
from backend.settlement.worker import SettlementWorker
from tests.support.trading import fund_and_approve


@pytest.fixture
def slow_worker(client):
    """The app's settlement worker replaced by one that waits 5 s after a pass that settled
    nothing (so /health is read between two passes); the app's own worker is put back after."""
    app = client.app
    original = app.state.settlement
    original.stop()
    settings = app.state.settings.model_copy(update={"settlement_interval_ms": 5000})
    worker = SettlementWorker(app.state.db, app.state.chain, settings)
    app.state.settlement = worker
    try:
        yield worker
    finally:
        worker.stop()
        again = SettlementWorker(app.state.db, app.state.chain, app.state.settings)
        app.state.settlement = again
        again.start()


def test_health_shows_settlement_failing_when_the_hot_key_lost_its_role(
    client, admin, chain_info, make_asset, make_investor, slow_worker
):
    chain = client.app.state.chain
    exchange = chain.core("settlement_exchange")
    role = Web3.keccak(text="OPERATOR_ROLE")
    operator = chain.operator.address
    asset = make_asset()
    symbol = asset["symbol"]
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    chain.transact(exchange.functions.revokeRole(role, operator), governance=True)
    try:
        for who, side in ((seller, "sell"), (buyer, "buy")):
            body = {"symbol": symbol, "side": side, "type": "limit", "price": "10", "quantity": "1"}
            assert who.wallet.place_order(client, who.api_key, body).status_code == 201
        slow_worker.start()
        deadline = time.monotonic() + 30
        while True:  # the first pass: settle() reverts, the trade goes back to the outbox
            trades = client.get("/v1/trades", headers=admin, params={"symbol": symbol}).json()
            if trades and _reverted_once(client, trades[0]["id"]):
                break
            assert time.monotonic() < deadline, trades
            time.sleep(0.05)
        health = client.get("/health").json()
    finally:
        chain.transact(exchange.functions.grantRole(role, operator), governance=True)
    assert health["settlement"]["last_error"], f"settlement cannot settle anything, /health says: {health}"


def _reverted_once(client, trade_id: str) -> bool:
    """The trade was sent, reverted, and waits in the outbox for the next pass."""
    with Session(client.app.state.db) as session:
        trade = session.get(TradeRecord, trade_id)
        return trade is not None and trade.attempts >= 1 and trade.settlement_status == "pending"
