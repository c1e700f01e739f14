"""Settlement on a real chain never fails a trade for the batch's sake, and trade ids cannot alias.

- One large batch of deliberately expensive trades (buyers that hold the asset for the first
  time, after a revenue deposit, under a lock-up rule: every trade writes new storage) settles
  every trade in one pass: the gas budget (GAS_PER_TRADE a trade) covers them.
- A batch given too little gas reverts as a whole on chain: it is split and every trade settles,
  none charged an attempt for the batch.
- A trade sequence number reused with other orders (a database restored from a backup) is
  another trade id: it settles for real instead of being taken for the settled one.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hexbytes import HexBytes
from sqlmodel import Session, select

from backend.api.app import create_app
from backend.demo.issuer import distribute as issuer_pays
from backend.demo.wallet import token_balance
from backend.models.settlement import TradeRecord
from backend.models.trading import Order
from backend.settlement.packing import TRADE_BYTES
from backend.settlement.worker import SettlementWorker
from backend.trading.projection import chain_trade_id
from tests.support.compliance import put_rules
from tests.support.live_stack import ADMIN_KEY, upload_required_documents
from tests.support.trading import Who, market_with_a_trade

ADMIN = {"X-API-Key": ADMIN_KEY}
UNIT = 10**18


@pytest.fixture
def manual(settings, tmp_path):
    """A service of its own on the shared chain whose settlement the test drives, 40 trades a batch."""
    own = settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path / 'batches.db'}",
            "settlement_enabled": False,
            "settlement_batch_size": 40,
        }
    )
    with TestClient(create_app(own), raise_server_exceptions=False) as client:
        yield client


def _investor(client, new_wallet, *, cash: str | None = None) -> Who:
    wallet = new_wallet()
    body = client.post(
        "/v1/investors",
        headers=ADMIN,
        json={"wallet": wallet.address, "name": "B", "country": "US", "accredited": True, "kyc_expires": "2099-01-01"},
    )
    assert body.status_code == 201, body.text
    who = Who(wallet=wallet, api_key=body.json()["api_key"])
    if cash is not None:
        faucet = client.post("/v1/cash/faucet", headers=ADMIN, json={"wallet": wallet.address, "amount": cash})
        assert faucet.status_code == 200, faucet.text
    return who


def _expensive_trades(client, new_wallet, count: int, *, sellers: int = 4) -> tuple[dict, list[Who]]:
    """An oil-well asset with a lock-up rule and a revenue deposit paid to its sellers, then
    `count` trades of 1 unit, each to a buyer that never held it: all matched, none settled."""
    chain_info = client.get("/v1/chain").json()
    exchange = chain_info["contracts"]["settlement_exchange"]
    symbol = "G" + new_wallet().address[2:7].upper()
    created = client.post(
        "/v1/assets",
        headers=ADMIN,
        json={
            "symbol": symbol,
            "name": "Gas test",
            "kind": "oil_well",
            "total_supply": "100000",
            "tick_size": "0.01",
            "lot_size": "1",
            "issuer_wallet": (issuer := new_wallet()).address,
        },
    )
    assert created.status_code == 201, created.text
    asset = created.json()
    upload_required_documents(client, ADMIN, symbol, "oil_well")
    per_seller = -(-count // sellers)
    holders = []
    for _ in range(sellers):
        seller = _investor(client, new_wallet)
        issued = client.post(
            f"/v1/assets/{symbol}/issue", headers=ADMIN, json={"to_wallet": seller.wallet.address, "quantity": "100"}
        )
        assert issued.status_code == 200, issued.text
        seller.wallet.approve(asset["token_address"], exchange)
        holders.append(seller)
    # issued before the lock-up rule (an issue is a transfer from the issuer: it would lock them)
    assert put_rules(client, ADMIN, symbol, lockup_seconds=3600).status_code == 200
    deposit = issuer_pays(  # the issuer's wallet signs its approval and deposit
        lambda method, path, **kw: client.request(method, path, headers=ADMIN, **kw), issuer, symbol, {"amount": "1000"}
    )
    assert deposit.status_code == 201, deposit.text
    for seller in holders:
        sell = {"symbol": symbol, "side": "sell", "type": "limit", "price": "10", "quantity": str(per_seller)}
        placed = seller.wallet.place_order(client, seller.api_key, sell)
        assert placed.status_code == 201, placed.text
    buyers = []
    for _ in range(count):
        buyer = _investor(client, new_wallet, cash="100")
        buyer.wallet.approve(chain_info["contracts"]["cash_token"], exchange)
        buy = {"symbol": symbol, "side": "buy", "type": "limit", "price": "10", "quantity": "1"}
        placed = buyer.wallet.place_order(client, buyer.api_key, buy)
        assert placed.status_code == 201 and placed.json()["status"] == "filled", placed.text
        buyers.append(buyer)
    return asset, buyers


def _trades(app, symbol: str) -> list[TradeRecord]:
    with Session(app.state.db, expire_on_commit=False) as session:
        return list(session.exec(select(TradeRecord).where(TradeRecord.symbol == symbol)))


def _settle_transactions(node, exchange, start: int) -> list[tuple[int, int, int]]:
    """(status, trades carried, gas used) of each settle() transaction sent after block `start`."""
    sent = []
    for number in range(start + 1, node.w3.eth.block_number + 1):
        for tx in node.w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["to"] == exchange.address:
                _fn, args = exchange.decode_function_input(tx["input"])
                receipt = node.w3.eth.get_transaction_receipt(tx["hash"])
                sent.append((receipt["status"], len(args["packed"]) // TRADE_BYTES, receipt["gasUsed"]))
    return sent


def test_one_large_batch_of_expensive_trades_settles_every_trade(manual, node, new_wallet):
    count = 36
    asset, buyers = _expensive_trades(manual, new_wallet, count, sellers=count)
    app = manual.app
    # each id was recorded at match time (the maker's hash read from its row) as the contract derives it
    exchange = app.state.chain.core("settlement_exchange")
    with Session(app.state.db) as session:
        recorded = _trades(app, asset["symbol"])
        assert len(recorded) == count
        for trade in recorded[:5]:
            buy, sell = session.get(Order, trade.buy_order_id), session.get(Order, trade.sell_order_id)
            assert buy is not None and sell is not None
            derived = exchange.functions.tradeIdOf(HexBytes(buy.order_hash), HexBytes(sell.order_hash), trade.trade_seq)
            assert HexBytes(app.state.chain.call(derived)).to_0x_hex() == trade.chain_trade_id
    worker = SettlementWorker(app.state.db, app.state.chain, app.state.settings)
    start = node.w3.eth.block_number
    assert worker.run_once() == count
    trades = _trades(app, asset["symbol"])
    assert {t.settlement_status for t in trades} == {"settled"}, [(t.id, t.failure_reason) for t in trades]
    assert {t.attempts for t in trades} == {1}
    [(status, carried, gas_used)] = _settle_transactions(node, app.state.chain.core("settlement_exchange"), start)
    assert status == 1 and carried == count
    # expensive trades (about 281k each before issue 17's storage work, about 248k after): well
    # above a usual trade, and all settled in one transaction under the worker's budget
    assert gas_used > 200_000 * count, gas_used
    for buyer in buyers:
        assert token_balance(node.rpc_url, asset["token_address"], buyer.wallet.address) == UNIT


def test_a_batch_that_runs_out_of_gas_is_split_and_every_trade_settles(manual, node, new_wallet):
    count = 10
    asset, buyers = _expensive_trades(manual, new_wallet, count, sellers=count)
    app = manual.app
    worker = SettlementWorker(app.state.db, app.state.chain, app.state.settings)
    # a block of 1M gas as far as the worker knows (these trades cost about 280k each): the
    # batch of ten and its halves are sent with 1M and run out of gas on chain; 2 or 3 fit
    worker.block_gas_limit = lambda: 1_000_000  # type: ignore[method-assign]
    start = node.w3.eth.block_number
    assert worker.run_once() == count
    trades = _trades(app, asset["symbol"])
    assert {t.settlement_status for t in trades} == {"settled"}, [(t.id, t.failure_reason) for t in trades]
    assert {t.attempts for t in trades} == {1}  # the reverted batches are not the trades' doing
    sent = _settle_transactions(node, app.state.chain.core("settlement_exchange"), start)
    assert [(status, carried) for status, carried, _gas in sent] == [
        (0, 10),
        (0, 5),
        (1, 2),
        (1, 3),
        (0, 5),
        (1, 2),
        (1, 3),
    ]
    assert all(gas <= 1_000_000 for _status, _carried, gas in sent)
    for buyer in buyers:
        assert token_balance(node.rpc_url, asset["token_address"], buyer.wallet.address) == UNIT
    latest, pending = app.state.chain.operator_nonces()
    assert latest == pending


def test_a_reused_trade_seq_with_other_orders_settles_for_real(manual, node, new_wallet):
    """A database restored from a backup hands out a settled trade's sequence number again, to a
    trade of other orders: its id differs, so it settles (assets move) instead of being recorded
    as settled with nothing moved."""
    client = manual
    symbol, asset, seller, buyer = market_with_a_trade(client, new_wallet, quantity="3")
    app = client.app
    chain = app.state.chain
    SettlementWorker(app.state.db, chain, app.state.settings).run_once()
    [first] = _trades(app, symbol)
    assert first.settlement_status == "settled"
    order = {"symbol": symbol, "type": "limit", "price": "2", "quantity": "2"}
    assert seller.wallet.place_order(client, seller.api_key, {**order, "side": "sell"}).status_code == 201
    assert buyer.wallet.place_order(client, buyer.api_key, {**order, "side": "buy"}).status_code == 201
    with Session(app.state.db, expire_on_commit=False) as session:
        second = session.exec(select(TradeRecord).where(TradeRecord.id != first.id, TradeRecord.symbol == symbol)).one()
        buy, sell = session.get(Order, second.buy_order_id), session.get(Order, second.sell_order_id)
        assert buy is not None and sell is not None and buy.order_hash and sell.order_hash
        # the restore: the first trade's row is gone and its number is handed out again
        session.delete(session.get(TradeRecord, first.id))
        session.flush()
        second.trade_seq = first.trade_seq
        second.chain_trade_id = chain_trade_id(buy.order_hash, sell.order_hash, first.trade_seq)
        session.add(second)
        session.commit()
    assert second.chain_trade_id != first.chain_trade_id
    exchange = chain.core("settlement_exchange")
    tradeid_onchain = chain.call(
        exchange.functions.tradeIdOf(HexBytes(buy.order_hash), HexBytes(sell.order_hash), first.trade_seq)
    )
    assert HexBytes(tradeid_onchain).to_0x_hex() == second.chain_trade_id
    assert not chain.call(exchange.functions.settled(HexBytes(second.chain_trade_id), first.trade_seq))

    start = chain.block_number()
    SettlementWorker(app.state.db, chain, app.state.settings).run_once()
    [again] = _trades(app, symbol)
    assert again.settlement_status == "settled" and again.trade_seq == first.trade_seq
    [event] = exchange.events.TradeSettled().get_logs(from_block=start + 1)
    assert HexBytes(event["args"]["tradeId"]).to_0x_hex() == again.chain_trade_id
    assert HexBytes(event["args"]["buyOrderHash"]).to_0x_hex() == buy.order_hash
    assert HexBytes(event["args"]["sellOrderHash"]).to_0x_hex() == sell.order_hash
    token = asset["token_address"]
    assert token_balance(node.rpc_url, token, buyer.wallet.address) == 5 * UNIT  # 3 + 2: it moved
    assert token_balance(node.rpc_url, token, seller.wallet.address) == 95 * UNIT
    assert token_balance(node.rpc_url, chain.core("cash_token").address, seller.wallet.address) == 10 * 10**6
