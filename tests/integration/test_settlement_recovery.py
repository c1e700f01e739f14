"""Settlement is idempotent across crashes: nothing lost, nothing settled twice."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from hexbytes import HexBytes
from sqlmodel import Session, select

from backend.api.app import create_app
from backend.demo.wallet import token_balance
from backend.models.settlement import TradeRecord
from backend.settlement.worker import SettlementWorker
from tests.support.trading import market_with_a_trade


class Crash(Exception):
    pass


@pytest.fixture
def manual(settings, tmp_path):
    """A second service on the same chain whose settlement we drive by hand."""
    own = settings.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'manual.db'}", "settlement_enabled": False}
    )
    with TestClient(create_app(own), raise_server_exceptions=False) as client:
        yield client


def _trade(app, symbol):
    with Session(app.state.db, expire_on_commit=False) as session:
        [trade] = session.exec(select(TradeRecord).where(TradeRecord.symbol == symbol)).all()
    return trade


def test_crash_after_submit_is_confirmed_not_resent_and_a_lost_tx_never_doubles(manual, node, new_wallet):
    client = manual
    symbol, asset, seller, buyer = market_with_a_trade(client, new_wallet)

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

    # A fresh worker (the restarted service) confirms the mined transaction instead of resending
    # (on a pass of its own once the node has the receipt: anvil mines a moment after answering).
    restarted = SettlementWorker(app.state.db, app.state.chain, app.state.settings)
    for _ in range(40):
        restarted.run_once()
        with Session(app.state.db, expire_on_commit=False) as session:
            trade = session.get(TradeRecord, trade.id)
        if trade.settlement_status != "submitted":
            break
        time.sleep(0.25)
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


def test_a_reverted_settlement_is_retried_and_settles_once(manual, node, new_wallet):
    """A settle() transaction that runs out of gas is mined as reverted: detected, its trade
    goes back to the outbox and the next transaction settles it - once, with no nonce left behind."""
    symbol, asset, _seller, buyer = market_with_a_trade(manual, new_wallet, quantity="2")
    app = manual.app
    worker = SettlementWorker(app.state.db, app.state.chain, app.state.settings)
    worker.gas_limit = lambda estimate: 80_000  # enough to be accepted and mined, too little to settle
    start = node.w3.eth.block_number
    assert worker.run_once() == 0  # nothing left the outbox
    trade = _trade(app, symbol)
    assert trade.settlement_status == "pending" and trade.attempts == 1 and trade.tx_hash is None
    exchange = app.state.chain.core("settlement_exchange").address
    sent = [
        tx["hash"]
        for number in range(start + 1, node.w3.eth.block_number + 1)
        for tx in node.w3.eth.get_block(number, full_transactions=True)["transactions"]
        if tx["to"] == exchange and tx["gas"] == 80_000
    ]
    assert [node.w3.eth.get_transaction_receipt(h)["status"] for h in sent] == [0]

    worker = SettlementWorker(app.state.db, app.state.chain, app.state.settings)
    worker.run_once()  # resubmitted with the estimate's gas
    trade = _trade(app, symbol)
    assert trade.settlement_status == "settled" and trade.attempts == 2, trade
    assert token_balance(node.rpc_url, asset["token_address"], buyer.wallet.address) == 2 * 10**18
    latest, pending = app.state.chain.operator_nonces()
    assert latest == pending


def test_a_transaction_the_node_lost_is_sent_again_with_the_nodes_nonce(manual, node, new_wallet):
    """The outbox says a trade was submitted, but the node never saw that transaction (it lost
    it, e.g. across a restart). The trade goes back to the outbox and is sent again with the
    node's pending nonce: settled once, with one transaction, and nothing waits behind a nonce
    gap in the node's queue (a one-request-at-a-time ganache would stop answering anyone)."""
    symbol, asset, _seller, buyer = market_with_a_trade(manual, new_wallet, quantity="4")
    app = manual.app
    chain = app.state.chain
    _latest, pending = chain.operator_nonces()
    with Session(app.state.db, expire_on_commit=False) as session:
        [trade] = session.exec(select(TradeRecord).where(TradeRecord.symbol == symbol)).all()
        trade.settlement_status, trade.tx_hash, trade.attempts = "submitted", "0x" + "cd" * 32, 1
        session.add(trade)
        session.commit()
    chain.w3.provider._request_kwargs["timeout"] = 5  # a send into a gap would hang: fail instead
    try:
        # the node does not know the transaction: back to the outbox, and sent again
        SettlementWorker(app.state.db, chain, app.state.settings).run_once()
    finally:
        chain.w3.provider._request_kwargs["timeout"] = 30
    trade = _trade(app, symbol)
    assert trade.settlement_status == "settled" and trade.attempts == 2, trade
    exchange = chain.core("settlement_exchange")
    settled = exchange.events.TradeSettled().get_logs(from_block=chain.deployment.block)
    assert sum(HexBytes(e["args"]["tradeId"]).to_0x_hex() == trade.chain_trade_id for e in settled) == 1
    refused = exchange.events.TradeFailed().get_logs(from_block=chain.deployment.block)
    assert not [e for e in refused if HexBytes(e["args"]["tradeId"]).to_0x_hex() == trade.chain_trade_id]
    assert token_balance(node.rpc_url, asset["token_address"], buyer.wallet.address) == 4 * 10**18
    latest, pending_after = chain.operator_nonces()
    assert latest == pending_after == pending + 1
    assert node.w3.provider.make_request("txpool_content", [])["result"]["queued"] == {}
