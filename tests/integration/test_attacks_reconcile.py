"""Attacks on `rwa reconcile` against the venue's ledger (issue 17), on a real chain.

A compliance officer relies on the report: every position that moved in a way the venue's
records do not explain must show up (a row that differs, and the transfer listed). Each test
moves value behind the venue's back in a way the ledger might take on trust: the hot
settlement key settling two signed orders the venue never matched (both cancelled at the
venue, their signatures still valid on chain), the revenue distributor paying out cash no
holder was owed, and transfers that cancel each other out.
"""

from __future__ import annotations

from types import SimpleNamespace

from sqlmodel import Session, select
from web3 import Web3

from backend.assets.service import get_asset
from backend.models.distributions import Distribution
from backend.models.settlement import TradeRecord
from backend.models.trading import Order
from backend.settlement.encoding import trade_struct
from backend.settlement.ledger import CASH
from backend.settlement.packing import pack_trades
from backend.statuses import SettlementStatus
from tests.integration.test_reconcile_ledger import ERC20_ABI, _reconcile, _transfer, traded  # noqa: F401
from tests.support.live_stack import TEST_NODE

UNIT, CASH_UNIT = 10**18, 10**6


def _differences(report) -> dict[tuple[str, str], int]:
    return {(row.symbol, row.wallet): row.difference for row in report.differences}


def _trade_of_3(session: Session, symbol: str) -> TradeRecord:
    """The fixture's second trade (3 of the sell of 10)."""
    return session.exec(select(TradeRecord).where(TradeRecord.symbol == symbol, TradeRecord.quantity_lots == 3)).one()


def _settle_orders_the_venue_never_matched(client, asset: dict, seller, buyer) -> str:
    """A sell and a buy of 1 @ 20, each cancelled at the venue (never matched, so no trade
    record), settled against each other by the hot settlement key; the settle() tx hash."""
    symbol = asset["symbol"]
    for rest in client.get("/v1/orders", headers=seller.headers, params={"status": "partially_filled"}).json():
        assert client.delete(f"/v1/orders/{rest['id']}", headers=seller.headers).status_code == 200
    ids = []
    for who, side in ((seller, "sell"), (buyer, "buy")):
        placed = who.wallet.place_order(
            client, who.api_key, {"symbol": symbol, "side": side, "price": "20", "quantity": "1"}
        )
        assert placed.status_code == 201 and placed.json()["status"] == "open", placed.text
        ids.append(placed.json()["id"])
        assert client.delete(f"/v1/orders/{ids[-1]}", headers=who.headers).status_code == 200
    chain = client.app.state.chain
    with Session(client.app.state.db) as session:
        sell, buy = (session.get(Order, i) for i in ids)
        listed = get_asset(session, symbol)
        trade = SimpleNamespace(trade_seq=2**40 + int(ids[0][-6:], 16) % 10**6, price_ticks=2000, quantity_lots=1)
        struct = trade_struct(trade, buy, sell, listed)  # type: ignore[arg-type]
    receipt = chain.transact(chain.core("settlement_exchange").functions.settle(pack_trades([struct])), gas=1_500_000)
    tx_hash = Web3.to_hex(receipt["transactionHash"]).lower()
    token = chain.w3.eth.contract(address=asset["token_address"], abi=ERC20_ABI)
    assert token.functions.balanceOf(buyer.wallet.address).call() == 8 * UNIT  # 7 traded + 1 behind our back
    return tx_hash


def test_the_hot_key_settling_orders_the_venue_never_matched_differs(client, traded):  # noqa: F811
    asset, seller, buyer, _ = traded
    _settle_orders_the_venue_never_matched(client, asset, seller, buyer)
    s, b, symbol = seller.wallet.address, buyer.wallet.address, asset["symbol"]
    report = _reconcile(client, symbol, s, b)
    assert _differences(report) == {
        (symbol, s): -1 * UNIT,
        (symbol, b): 1 * UNIT,
        (CASH, s): 20 * CASH_UNIT,
        (CASH, b): -20 * CASH_UNIT,
    }


def test_the_hot_key_settling_orders_the_venue_never_matched_lists_its_transaction(client, traded):  # noqa: F811
    """The rows differ (above), but the report should also name the transaction: today a
    settle() transaction's transfers are all taken to be the database's trades and dropped."""
    asset, seller, buyer, _ = traded
    tx_hash = _settle_orders_the_venue_never_matched(client, asset, seller, buyer)
    report = _reconcile(client, asset["symbol"], seller.wallet.address, buyer.wallet.address)
    assert tx_hash in {m.tx_hash for m in report.unexplained}


def _send_as(node, sender: str, to: str, data: str) -> None:
    """A transaction from `sender` (a contract's address) without its key: the node's
    impersonation (ganache: evm_addAccount; anvil: anvil_impersonateAccount)."""
    w3 = node.w3
    if TEST_NODE == "anvil":
        w3.provider.make_request("anvil_impersonateAccount", [sender])
        w3.provider.make_request("anvil_setBalance", [sender, hex(10**18)])
    else:
        w3.provider.make_request("evm_addAccount", [sender, ""])
        w3.provider.make_request("personal_unlockAccount", [sender, "", 0])
        w3.provider.make_request("evm_setAccountBalance", [sender, hex(10**18)])
    tx = w3.eth.send_transaction({"from": sender, "to": to, "data": data, "gas": 200_000, "gasPrice": w3.eth.gas_price})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


def test_cash_the_distributor_pays_to_someone_owed_nothing_is_noticed(client, node, chain_info, traded, make_investor):  # noqa: F811
    """The distributor holds the deposit's unclaimed cash (the buyer's 7 of 100). A payout to
    a wallet that held nothing at the distribution (a distributor bug, or its key misused),
    without the distributor's RevenueClaimed event, is unexplained."""
    asset = traded[0]
    mallory = make_investor()
    contracts = chain_info["contracts"]
    distributor, cash = Web3.to_checksum_address(contracts["revenue_distributor"]), contracts["cash_token"]
    token = node.w3.eth.contract(address=Web3.to_checksum_address(cash), abi=ERC20_ABI)
    data = token.functions.transfer(mallory.wallet.address, 7 * CASH_UNIT)._encode_transaction_data()
    _send_as(node, distributor, Web3.to_checksum_address(cash), data)
    assert token.functions.balanceOf(mallory.wallet.address).call() == 7 * CASH_UNIT
    try:
        report = _reconcile(client, asset["symbol"], mallory.wallet.address, distributor)
        assert not report.ok, report.rows
        assert (mallory.wallet.address, 7 * CASH_UNIT) in {(m.receiver, m.amount) for m in report.unexplained}
    finally:  # the module's later tests compare the distributor's cash: give the 7 back
        back = token.functions.transfer(distributor, 7 * CASH_UNIT)._encode_transaction_data()
        _send_as(node, mallory.wallet.address, Web3.to_checksum_address(cash), back)


def test_transfers_that_cancel_out_still_fail_the_reconciliation(client, traded):  # noqa: F811
    """The seller lends 5 units to the buyer and gets them back (behind the venue's back, e.g.
    to pass a holding threshold or a vote in between): the balances agree again, the report
    lists both transfers, and yet it says everything agrees (rwa reconcile exits 0)."""
    asset, seller, buyer, _ = traded
    s, b = seller.wallet.address, buyer.wallet.address
    _transfer(seller.wallet, asset["token_address"], b, 5 * UNIT)
    _transfer(buyer.wallet, asset["token_address"], s, 5 * UNIT)
    report = _reconcile(client, asset["symbol"], s, b)
    assert len(report.unexplained) == 2
    assert not report.ok


def test_a_trade_recorded_failed_that_settled_on_chain_differs(client, traded):  # noqa: F811
    """The worker's bug the other way round: the chain settled the trade of 3, the database
    says it failed. Its transfers are in a settle() transaction (never taken as the ledger),
    so seller and buyer differ for the asset and for cash."""
    asset, seller, buyer, _ = traded
    symbol, s, b = asset["symbol"], seller.wallet.address, buyer.wallet.address
    with Session(client.app.state.db) as session:
        trade = _trade_of_3(session, symbol)
        trade.settlement_status = SettlementStatus.FAILED
        session.add(trade)
        session.commit()
    assert _differences(_reconcile(client, symbol, s, b)) == {
        (symbol, s): -3 * UNIT,
        (symbol, b): 3 * UNIT,
        (CASH, s): 37_500_000,  # 3 x 12.50
        (CASH, b): -37_500_000,
    }


def test_a_distribution_recorded_larger_than_its_deposit_differs(client, traded, chain_info):  # noqa: F811
    """The Distribution row says 150 where the issuer deposited 100: the issuer and the
    distributor differ by 50 in cash."""
    asset, _, _, issuer = traded
    distributor = Web3.to_checksum_address(chain_info["contracts"]["revenue_distributor"])
    with Session(client.app.state.db) as session:
        row = session.exec(select(Distribution).where(Distribution.symbol == asset["symbol"])).one()
        row.amount = "150"
        session.add(row)
        session.commit()
    differences = _differences(_reconcile(client, asset["symbol"], issuer.address, distributor))
    assert differences == {(CASH, issuer.address): 50 * CASH_UNIT, (CASH, distributor): -50 * CASH_UNIT}


def test_a_trade_recorded_settled_that_the_chain_never_settled_differs(client, traded):  # noqa: F811
    """The database says a third trade of 2 settled, in the settle() transaction of the trade
    of 3, which never carried it: the ledger counts it, the chain does not, the rows differ."""
    asset, seller, buyer, _ = traded
    symbol, s, b = asset["symbol"], seller.wallet.address, buyer.wallet.address
    with Session(client.app.state.db) as session:
        real = _trade_of_3(session, symbol)
        ghost = TradeRecord.model_validate(
            {**real.model_dump(), "id": f"{symbol}-ghost", "trade_seq": real.trade_seq + 1000, "quantity_lots": 2}
        )
        session.add(ghost)
        session.commit()
    assert _differences(_reconcile(client, symbol, s, b)) == {
        (symbol, s): 2 * UNIT,
        (symbol, b): -2 * UNIT,
        (CASH, s): -25 * CASH_UNIT,
        (CASH, b): 25 * CASH_UNIT,
    }
