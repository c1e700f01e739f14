"""Faults against a real service process: SIGKILL under a steady order flow, and a chain outage.

Bounded versions of `make chaos` (bench/chaos.py). Run with -s to see the figures.
Only invariants are asserted, never timings: the machine is shared and noisy.
"""

from __future__ import annotations

import os

import pytest
from sqlmodel import Session, select
from web3 import Web3

from backend.chain.artifacts import load_abi
from backend.chain.client import Chain
from backend.config import ROOT
from backend.db import make_engine
from backend.models.settlement import TradeRecord
from bench.chaos import run_chaos, wait_settled
from bench.stack import ADMIN_KEY, MarketSetup, Stack, Trader, order_body, set_up_market
from tests.support.live_stack import TEST_PORT

KILLS = int(os.environ.get("RWA_CHAOS_KILLS", "3"))
SERVICE_PORT = int(os.environ.get("RWA_CHAOS_SERVICE_PORT", "8178"))
OUTAGE_CHAIN_PORT = int(os.environ.get("RWA_OUTAGE_CHAIN_PORT", "8579"))
OUTAGE_SERVICE_PORT = int(os.environ.get("RWA_OUTAGE_SERVICE_PORT", "8179"))


@pytest.fixture
def service(node, tmp_path, stack_database_url):
    """A service process with a database of its own, on the session's chain."""
    stack = Stack(
        tmp_path / "stack",
        chain_port=TEST_PORT,
        service_port=SERVICE_PORT,
        rpc_url=node.rpc_url,
        deployment_file=node.deployment_file,
        database_url=stack_database_url,
        env={"RWA_FUNDS_MAX_AGE_MS": "1000"},
    )
    try:
        stack.start_service()
        yield stack
    finally:
        stack.close()


def test_sigkill_at_random_moments_loses_no_order_and_settles_no_trade_twice(service):
    result = run_chaos(service, kills=KILLS, traders=4, seed=KILLS)
    print(f"\nSIGKILL x{KILLS}: {result.figures()}")
    verdict = result.verdict
    assert result.kills == KILLS and verdict.acknowledged > 0 and verdict.trades > 0
    assert verdict.missing_orders == [] and verdict.missing_fills == []  # acknowledged orders all present
    assert verdict.lost_trades == [] and verdict.extra_trades == []  # trades == a replay of the journal
    assert verdict.book_matches_replay and verdict.open_orders_match_replay
    assert verdict.unfinished == 0 and verdict.doubled == 0 and verdict.settled_disagree == 0
    assert verdict.balance_mismatches == []
    assert verdict.nonce_latest == verdict.nonce_pending


@pytest.fixture
def own_chain(tmp_path, stack_database_url):
    """Our own ganache (with a database directory, so it can stop and come back) and service."""
    stack = Stack(
        tmp_path / "outage",
        chain_port=OUTAGE_CHAIN_PORT,
        service_port=OUTAGE_SERVICE_PORT,
        database_url=stack_database_url,
    )
    try:
        stack.start_chain()
        stack.start_service()
        yield stack
    finally:  # also when a start fails: no node or service left on the ports
        stack.close()


def _transfer(stack: Stack, setup: MarketSetup, sender: Trader, receiver: Trader, units: int) -> None:
    """The sender moves its tokens itself, outside the venue (its wallet, its key)."""
    w3 = Web3(Web3.HTTPProvider(stack.rpc_url))
    token = w3.eth.contract(address=setup.token, abi=load_abi(ROOT / "build" / "contracts", "AssetToken"))
    tx = token.functions.transfer(receiver.wallet.address, units).build_transaction(
        {
            "from": sender.wallet.address,
            "nonce": w3.eth.get_transaction_count(sender.wallet.address),
            "gas": 300_000,
            "gasPrice": w3.eth.gas_price,
            "chainId": w3.eth.chain_id,
        }
    )
    sent = w3.eth.send_raw_transaction(sender.wallet.account.sign_transaction(tx).raw_transaction)
    assert w3.eth.wait_for_transaction_receipt(sent)["status"] == 1


def test_chain_outage_matching_goes_on_health_degrades_and_settlement_drains(own_chain):
    stack = own_chain
    setup = set_up_market(stack, traders=5, units=1_000)
    a, b, c, d, e = setup.traders
    with stack.client() as client:

        def place(trader: Trader, side: str, price: int, lots: int, tag: str) -> dict:
            body = order_body(setup, trader, side=side, price_ticks=price, lots=lots, client_order_id=tag)
            response = client.post("/v1/orders", json=body, headers=trader.headers)
            assert response.status_code == 201, response.text
            return response.json()

        for i, trader in enumerate(setup.traders):  # every wallet's funds read live once, far from the action
            place(trader, "buy", 900, 1, f"bid-{i}")
            place(trader, "sell", 1100, 1, f"ask-{i}")
        _transfer(stack, setup, a, c, 990 * 10**18)  # A keeps 10 units; the venue has not seen that yet

        stack.stop_chain()
        health = stack.health()
        assert health["status"] == "degraded" and any(r.startswith("chain") for r in health["reasons"]), health
        # Matching goes on from the last known balances: D sells to E; A sells 50 it no longer has to B.
        place(d, "sell", 1000, 2, "d-sell")
        assert place(e, "buy", 1000, 2, "e-buy")["status"] == "filled"
        place(a, "sell", 1000, 50, "a-sell")
        assert place(b, "buy", 1000, 50, "b-buy")["status"] == "filled"
        book = client.get(f"/v1/markets/{setup.symbol}/book").json()
        assert book["bids"][0] == ["9", "5"] and book["asks"][0] == ["11", "5"]
        down = stack.health()
        assert down["status"] == "degraded" and down["settlement"]["pending"] == 2, down
        print(f"\nchain down: /health {down['status']} {down['reasons']}, outbox {down['settlement']}")

        stack.start_chain()
        drained = wait_settled(stack, setup.symbol, timeout=300)
        after = stack.health()
        print(f"chain back: outbox drained in {drained:.1f}s, /health {after['status']}")
        assert after["status"] == "ok" and after["settlement"]["pending"] == 0
    engine = make_engine(str(stack.database_url))
    with Session(engine) as session:
        trades = {
            t.quantity_lots: t for t in session.exec(select(TradeRecord).where(TradeRecord.symbol == setup.symbol))
        }
    engine.dispose()
    assert trades[2].settlement_status == "settled", trades[2]
    # The honest outcome of an order the venue could not check: settlement refuses it, with the reason.
    assert trades[50].settlement_status == "failed" and trades[50].failure_code == 9, trades[50]
    assert "asset transfer refused" in (trades[50].failure_reason or "")
    chain = Chain(stack.settings())
    latest, pending = chain.operator_nonces()
    assert latest == pending
    with stack.client() as client:
        seller = client.get("/v1/trades", headers={"X-API-Key": ADMIN_KEY}, params={"symbol": setup.symbol}).json()
    assert sorted(t["settlement_status"] for t in seller) == ["failed", "settled"]
