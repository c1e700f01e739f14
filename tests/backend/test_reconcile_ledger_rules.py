"""Which on-chain transfers the venue's ledger counts (backend/settlement/ledger.py), on a scripted
chain: audited governance transactions and cash mints count; a settlement transaction's own
transfers never do (the database's trades stand in, at their recorded quantity and price); a
deposit comes from its Distribution row and a claim from the distributor counts; a trade mined
after the compared block waits; anything else is unexplained."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from hexbytes import HexBytes
from sqlmodel import Session, SQLModel
from web3 import Web3
from web3.exceptions import Web3RPCError

import backend.models  # noqa: F401 - every table on the metadata
from backend.chain.artifacts import load_abi
from backend.config import ROOT
from backend.db import make_engine
from backend.errors import Unavailable
from backend.models.assets import Asset
from backend.models.compliance import Investor
from backend.models.distributions import Distribution
from backend.models.governance import AuditEntry
from backend.models.settlement import TradeRecord
from backend.models.trading import Order
from backend.settlement.ledger import CASH, CLAIMED_TOPIC, TRANSFER_TOPIC, ZERO, build

TOKEN, CASH_TOKEN, EXCHANGE, DISTRIBUTOR = (Web3.to_checksum_address(f"0x{c * 40}") for c in "abef")
SELLER, BUYER, OUTSIDER, ISSUER = (Web3.to_checksum_address(f"0x{c * 40}") for c in "1234")
UNIT, CASH_UNIT = 10**18, 10**6
EXCHANGE_CONTRACT = Web3().eth.contract(
    address=EXCHANGE, abi=load_abi(ROOT / "build" / "contracts", "SettlementExchange")
)


def _topic(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


def _transfer(token: str, sender: str, receiver: str, amount: int, block: int, tx: int) -> dict[str, Any]:
    return {
        "address": token,
        "topics": [TRANSFER_TOPIC, _topic(sender), _topic(receiver)],
        "data": amount.to_bytes(32, "big"),
        "blockNumber": block,
        "transactionHash": HexBytes(tx.to_bytes(32, "big")),
    }


def _claimed(holder: str, amount: int, block: int, tx: int) -> dict[str, Any]:
    """The distributor's RevenueClaimed(asset, holder, amount) event."""
    return {
        **_transfer(DISTRIBUTOR, ZERO, ZERO, 0, block, tx),
        "topics": [CLAIMED_TOPIC, _topic(TOKEN), _topic(holder)],
        "data": amount.to_bytes(32, "big"),
    }


def _tx(n: int) -> str:
    return HexBytes(n.to_bytes(32, "big")).to_0x_hex()


T1_ID = bytes([0x11] * 32)  # the chain's id of trade t1, settled in transaction 3

LOGS = [
    _transfer(TOKEN, ZERO, SELLER, 100 * UNIT, 2, 1),  # issuance (audited)
    _transfer(CASH_TOKEN, ZERO, BUYER, 1000 * CASH_UNIT, 3, 2),  # faucet
    # a settlement transaction: the chain moved 4 and 50.00; the database says what counts
    {**_transfer(EXCHANGE, ZERO, ZERO, 0, 4, 3), "topics": [EXCHANGE_CONTRACT.events.TradeSettled().topic, T1_ID]},
    _transfer(TOKEN, SELLER, BUYER, 4 * UNIT, 4, 3),
    _transfer(CASH_TOKEN, BUYER, SELLER, 50 * CASH_UNIT, 4, 3),
    _transfer(CASH_TOKEN, ZERO, ISSUER, 100 * CASH_UNIT, 5, 4),  # the faucet funds the issuer
    _transfer(CASH_TOKEN, ISSUER, DISTRIBUTOR, 100 * CASH_UNIT, 5, 5),  # the deposit
    _transfer(CASH_TOKEN, DISTRIBUTOR, SELLER, 10 * CASH_UNIT, 6, 6),  # a claim ...
    _claimed(SELLER, 10 * CASH_UNIT, 6, 6),  # ... with the distributor's event
    _transfer(TOKEN, SELLER, OUTSIDER, 1 * UNIT, 7, 7),  # behind the venue's back
    # an exchange event that is not a settlement (a cancel) does not hide a transfer beside it
    {**_transfer(EXCHANGE, ZERO, ZERO, 0, 8, 8), "topics": [EXCHANGE_CONTRACT.events.OrderCancelled().topic]},
    _transfer(TOKEN, SELLER, OUTSIDER, 1 * UNIT, 8, 8),
]


class FakeChain:
    deployment = SimpleNamespace(
        block=1,
        contracts={
            "settlement_exchange": EXCHANGE,
            "revenue_distributor": DISTRIBUTOR,
            "cash_token": CASH_TOKEN,
        },
    )

    def logs(self, *, addresses: list[str], from_block: int, to_block: int) -> list[dict[str, Any]]:
        wanted = {a.lower() for a in addresses}
        return [g for g in LOGS if g["address"].lower() in wanted and from_block <= g["blockNumber"] <= to_block]

    def core(self, key: str) -> Any:
        assert key == "settlement_exchange"
        return EXCHANGE_CONTRACT

    def receipt_or_none(self, tx_hash: str) -> dict | None:
        return {"blockNumber": 20} if tx_hash == _tx(9) else None


@pytest.fixture
def session():
    engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _order(oid: str, wallet: str, side: str) -> Order:
    return Order(
        id=oid,
        investor_id=1,
        wallet=wallet,
        symbol="ACME",
        side=side,
        type="limit",
        time_in_force="GTC",
        price_ticks=1250,
        quantity_lots=10,
        signed_price="12500000",
        nonce=oid,
        signature="0x",
    )


def _trade(tid: str, quantity: int, status: str, tx: str | None) -> TradeRecord:
    return TradeRecord(
        id=tid,
        symbol="ACME",
        trade_seq=int(tid[1:]),
        chain_trade_id=HexBytes(T1_ID).to_0x_hex() if tid == "t1" else "",
        buy_order_id="b",
        sell_order_id="s",
        buyer_investor_id=2,
        seller_investor_id=1,
        taker_side="buy",
        price_ticks=1250,
        quantity_lots=quantity,
        settlement_status=status,
        tx_hash=tx,
    )


@pytest.fixture
def venue(session):
    session.add(
        Asset(
            symbol="ACME",
            name="Acme",
            kind="equity",
            tick_size="0.01",
            lot_size="1",
            total_supply="1000",
            issuer_wallet=ISSUER,
            token_address=TOKEN,
            rules_address="0x" + "9" * 40,
        )
    )
    for iid, wallet in ((1, SELLER), (2, BUYER)):
        session.add(Investor(id=iid, wallet=wallet, name=wallet[:4], country="US", kyc_expires=date(2099, 1, 1)))
    session.commit()
    session.add_all([_order("b", BUYER, "buy"), _order("s", SELLER, "sell")])
    session.commit()
    session.add_all(
        [
            _trade("t1", 4, "settled", _tx(3)),
            _trade("t2", 3, "settled", _tx(9)),  # mined at block 20: after the compared block
            _trade("t3", 2, "pending", None),
            _trade("t4", 5, "failed", None),
        ]
    )
    session.add(
        AuditEntry(
            seq=1,
            at="",
            actor="admin",
            action="asset.mint",
            reason_code="",
            reason="",
            prev_hash="",
            hash="h",
            tx_hash=_tx(1),
        )
    )
    session.add(Distribution(symbol="ACME", kind="dividend", amount="100", status="confirmed", block_number=5))
    session.commit()
    return session


def test_the_ledger_counts_the_venues_records_and_nothing_else(venue):
    ledger = build(venue, FakeChain(), block=10)  # type: ignore[arg-type]
    assert ledger.expected["ACME"] == {SELLER: 96 * UNIT, BUYER: 4 * UNIT}
    assert ledger.expected[CASH] == {
        BUYER: 950 * CASH_UNIT,
        SELLER: 60 * CASH_UNIT,  # 4 x 12.50 from the trade record, 10 claimed
        ISSUER: 0,
        DISTRIBUTOR: 90 * CASH_UNIT,
    }
    assert ledger.settling["ACME"] == {SELLER: -2 * UNIT, BUYER: 2 * UNIT}
    assert ledger.settling[CASH] == {BUYER: -25 * CASH_UNIT, SELLER: 25 * CASH_UNIT}
    assert [(m.symbol, m.sender, m.receiver, m.tx_hash) for m in ledger.unexplained] == [
        ("ACME", SELLER, OUTSIDER, _tx(7)),
        ("ACME", SELLER, OUTSIDER, _tx(8)),
    ]
    assert OUTSIDER in ledger.touched["ACME"]


def test_the_database_not_the_settlement_transaction_decides_a_trades_amounts(venue):
    trade = venue.get(TradeRecord, "t1")
    trade.quantity_lots = 6
    venue.add(trade)
    venue.commit()
    ledger = build(venue, FakeChain(), block=10)  # type: ignore[arg-type]
    assert ledger.expected["ACME"] == {SELLER: 94 * UNIT, BUYER: 6 * UNIT}
    assert ledger.expected[CASH][BUYER] == 925 * CASH_UNIT
    # and the settlement transaction's transfers (4 and 50.00) no longer net to what it settled
    assert {(m.symbol, m.amount) for m in ledger.unexplained if m.tx_hash == _tx(3)} == {
        ("ACME", 4 * UNIT),
        (CASH, 50 * CASH_UNIT),
    }


@pytest.mark.parametrize(
    "event",
    [
        None,  # no RevenueClaimed at all (the distributor's key misused, or a bug)
        _claimed(BUYER, 3 * CASH_UNIT, 9, 10),  # an event naming another holder
        _claimed(OUTSIDER, 2 * CASH_UNIT, 9, 10),  # an event with another amount
    ],
)
def test_cash_out_of_the_distributor_counts_only_with_its_claim_event(venue, monkeypatch, event):
    payout = _transfer(CASH_TOKEN, DISTRIBUTOR, OUTSIDER, 3 * CASH_UNIT, 9, 10)
    monkeypatch.setitem(globals(), "LOGS", [*LOGS, payout, *([event] if event else [])])
    ledger = build(venue, FakeChain(), block=10)  # type: ignore[arg-type]
    assert OUTSIDER not in ledger.expected[CASH]
    assert ledger.expected[CASH][DISTRIBUTOR] == 90 * CASH_UNIT
    assert (CASH, OUTSIDER, 3 * CASH_UNIT) in {(m.symbol, m.receiver, m.amount) for m in ledger.unexplained}


def test_a_symbol_filter_leaves_cash_out_unless_asked(venue):
    ledger = build(venue, FakeChain(), block=10, symbols={"ACME"})  # type: ignore[arg-type]
    assert CASH not in ledger.expected and CASH not in ledger.settling
    cash_only = build(venue, FakeChain(), block=10, symbols={CASH})  # type: ignore[arg-type]
    assert "ACME" not in cash_only.expected and cash_only.expected[CASH][BUYER] == 950 * CASH_UNIT


def test_a_node_that_refuses_the_logs_is_a_clear_unavailable_not_a_traceback(venue):
    class Refusing(FakeChain):
        def logs(self, **_: Any) -> list[dict[str, Any]]:
            raise Web3RPCError("query returned more than 10000 results")

    with pytest.raises(Unavailable) as refused:
        build(venue, Refusing(), block=10)  # type: ignore[arg-type]
    assert refused.value.code == "chain.logs_refused" and "blocks 1-10" in refused.value.message
