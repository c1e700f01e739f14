"""Reconciliation against the venue's own ledger, on a real chain: after issuance, faucet cash,
trades (one order filled by two) and a distribution with a claim, every asset and cash row
agrees; a transfer behind the venue's back, or a settled trade whose record is altered in the
database, shows up as a difference for the asset and for cash, and `rwa reconcile` exits 1."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner
from web3 import Web3

from backend.chain.artifacts import load_abi
from backend.cli import app
from backend.commands import common
from backend.config import ROOT
from backend.demo import issuer as issuer_wallet
from backend.demo.wallet import Wallet
from backend.models.settlement import TradeRecord
from backend.settlement.ledger import CASH
from backend.settlement.reconcile import Report, reconcile
from tests.support.live_stack import cli_env, wait_for_settlement
from tests.support.trading import fund_and_approve

UNIT, CASH_UNIT = 10**18, 10**6
ERC20_ABI = load_abi(ROOT / "build" / "contracts", "CashToken")  # transfer(to, amount), as every ERC-20


def _reconcile(client, symbol: str, *wallets: str) -> Report:
    with Session(client.app.state.db) as session:
        return reconcile(session, client.app.state.chain, symbols=[symbol, CASH], wallets=set(wallets))


def _rows(report: Report) -> dict[tuple[str, str], tuple[int, int]]:
    """(symbol, wallet) -> (on chain, ledger)."""
    return {(row.symbol, row.wallet): (row.onchain, row.ledger) for row in report.rows}


def _transfer(wallet: Wallet, token: str, to: str, amount: int) -> str:
    """A plain ERC-20 transfer signed by the wallet: no venue record explains it."""
    contract = wallet.w3.eth.contract(address=Web3.to_checksum_address(token), abi=ERC20_ABI)
    return wallet._send(wallet._sign(contract.functions.transfer(to, amount), gas=300_000), what="transfer")


@pytest.fixture
def traded(client, admin, chain_info, make_asset, make_investor, new_wallet):
    """Issued 100 to the seller, 10,000 cash to the buyer; a sell of 10 @ 12.50 filled by two buys
    (4, then 3), a deposit of 100 by the issuer and the seller's claim of its share."""
    issuer = new_wallet()
    asset = make_asset(issuer_wallet=issuer.address)
    seller, buyer = make_investor(country="US"), make_investor(country="GB")
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    order = {"symbol": asset["symbol"], "type": "limit", "price": "12.50"}
    sell = seller.wallet.place_order(client, seller.api_key, {**order, "side": "sell", "quantity": "10"})
    assert sell.status_code == 201, sell.text
    for quantity in ("4", "3"):
        buy = buyer.wallet.place_order(client, buyer.api_key, {**order, "side": "buy", "quantity": quantity})
        assert buy.status_code == 201 and buy.json()["status"] == "filled", buy.text
    trades = wait_for_settlement(client, admin, asset["symbol"], 2)
    assert {t["settlement_status"] for t in trades} == {"settled"}, trades
    deposit = issuer_wallet.distribute(
        lambda method, path, **kw: client.request(method, path, headers=admin, **kw),
        issuer,
        asset["symbol"],
        {"amount": "100", "memo": "reconcile test"},
    )
    assert deposit.status_code == 201, deposit.text
    seller.wallet.claim(chain_info["contracts"]["revenue_distributor"], asset["token_address"])
    return asset, seller, buyer, issuer


def test_a_clean_run_agrees_for_every_asset_and_cash_row(client, traded):
    asset, seller, buyer, issuer = traded
    symbol, s, b = asset["symbol"], seller.wallet.address, buyer.wallet.address
    report = _reconcile(client, symbol, s, b, issuer.address)
    assert report.ok, [row for row in report.differences]
    assert report.unexplained == []
    rows = _rows(report)
    assert rows[(symbol, s)] == (93 * UNIT, 93 * UNIT)
    assert rows[(symbol, b)] == (7 * UNIT, 7 * UNIT)
    paid = 87_500_000  # 7 x 12.50 in cash units
    assert rows[(CASH, b)] == (10_000 * CASH_UNIT - paid, 10_000 * CASH_UNIT - paid)
    # the seller also claimed its share of the deposit: 93 of the 100 units held then
    assert rows[(CASH, s)] == (paid + 93 * CASH_UNIT, paid + 93 * CASH_UNIT)
    # the faucet minted the issuer the deposit, which it paid out: a zero row that agrees (hidden)
    assert (CASH, issuer.address) not in rows and report.hidden_zero_rows >= 1


def test_a_transfer_behind_the_venues_back_differs_for_the_asset_and_for_cash(client, chain_info, traded):
    asset, seller, buyer, _ = traded
    symbol, s, b = asset["symbol"], seller.wallet.address, buyer.wallet.address
    asset_tx = _transfer(seller.wallet, asset["token_address"], b, 2 * UNIT)
    cash_tx = _transfer(buyer.wallet, chain_info["contracts"]["cash_token"], s, 5 * CASH_UNIT)

    report = _reconcile(client, symbol, s, b)
    assert not report.ok
    differences = {(row.symbol, row.wallet): row.difference for row in report.differences}
    assert differences == {
        (symbol, s): -2 * UNIT,
        (symbol, b): 2 * UNIT,
        (CASH, s): 5 * CASH_UNIT,
        (CASH, b): -5 * CASH_UNIT,
    }
    assert {m.tx_hash for m in report.unexplained} == {asset_tx.lower(), cash_tx.lower()}


def test_an_altered_trade_record_differs_for_the_asset_and_for_cash(client, traded):
    asset, seller, buyer, _ = traded
    symbol, s, b = asset["symbol"], seller.wallet.address, buyer.wallet.address
    with Session(client.app.state.db) as session:
        trade = session.exec(
            select(TradeRecord).where(TradeRecord.symbol == symbol, TradeRecord.quantity_lots == 3)
        ).one()
        trade.quantity_lots = 5  # the database now says 5 settled where the chain moved 3
        session.add(trade)
        session.commit()
    report = _reconcile(client, symbol, s, b)
    differences = {(row.symbol, row.wallet): row.difference for row in report.differences}
    assert differences == {
        (symbol, s): 2 * UNIT,  # holds 2 more than the ledger says
        (symbol, b): -2 * UNIT,
        (CASH, s): -25 * CASH_UNIT,  # 2 x 12.50
        (CASH, b): 25 * CASH_UNIT,
    }
    # the settlement transaction is named: its transfers (3 and 37.50) no longer net to the
    # trade it settled, as the database now records it (with them, the transfers of any other
    # trade of those wallets the same transaction settled: a batch is listed as a whole)
    assert {(m.symbol, m.amount) for m in report.unexplained} >= {
        (symbol, 3 * UNIT),
        (CASH, 3 * 1250 * CASH_UNIT // 100),
    }
    assert len({m.tx_hash for m in report.unexplained}) == 1


def test_rwa_reconcile_prints_the_difference_and_exits_1(client, settings, chain_info, traded, monkeypatch):
    asset, seller, buyer, _ = traded
    monkeypatch.setattr(common.console, "width", 240)
    env = cli_env(settings)
    args = ["reconcile", "-s", asset["symbol"], "-s", "CASH", "-w", seller.wallet.address, "-w", buyer.wallet.address]
    clean = CliRunner().invoke(app, args, env=env)
    assert clean.exit_code == 0, clean.output
    assert "✓ all 2 positions agree with the chain" in clean.output
    assert "cash: all 2 wallets agree with the ledger" in clean.output

    tx = _transfer(buyer.wallet, chain_info["contracts"]["cash_token"], seller.wallet.address, CASH_UNIT)
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == common.FAILED, result.output
    assert "cash: 2 of 2 wallets differ from the ledger" in result.output
    assert tx.lower() in result.output  # listed among the transfers the ledger does not explain

    bad = CliRunner().invoke(app, ["reconcile", "-w", "not-a-wallet"], env=env)
    assert bad.exit_code == common.BAD_INPUT
