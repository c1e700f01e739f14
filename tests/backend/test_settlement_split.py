"""The settlement worker's gas budget and batch splitting, against a fake chain with a gas model.

The fake mines settle() at once: each trade costs its gas, a call over the gas it was given
(or a block's) reverts as a whole, and a "poisoned" trade reverts any settle() that carries it.
What is checked is the worker's side: every trade settles that can, a trade fails only for its
own code or after MAX_ATTEMPTS reverts alone, and nothing is sent twice.
(tests/integration/test_settlement_batches.py does the same on a real ganache.)"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from hexbytes import HexBytes
from sqlmodel import Session, SQLModel, create_engine, select
from web3 import Web3

import backend.models  # noqa: F401 - every table on the metadata
from backend.chain.artifacts import load_abi
from backend.chain.client import calldata
from backend.config import Settings
from backend.errors import ChainRejected
from backend.models.assets import Asset
from backend.models.settlement import TradeRecord
from backend.models.trading import Order
from backend.settlement.encoding import order_hash
from backend.settlement.packing import unpack_trades
from backend.settlement.worker import GAS_BASE, GAS_PER_TRADE, MAX_ATTEMPTS, SettlementWorker
from backend.trading.projection import chain_trade_id

EXCHANGE = "0x" + "11" * 20
TOKEN = "0x" + "22" * 20
BASE_GAS = 30_000


@dataclass
class Deployment:
    contracts: dict[str, str] = field(default_factory=lambda: {"settlement_exchange": EXCHANGE})


class FakeChain:
    """Just enough of backend.chain.client.Chain for the worker, with settle() simulated."""

    def __init__(self, settings: Settings, *, block_gas_limit: int):
        self.settings = settings
        self.chain_id = 1337
        self.deployment = Deployment()
        self.block_gas_limit = block_gas_limit
        self.cost: dict[int, int] = {}  # trade seq -> gas its settlement costs
        self.codes: dict[int, int] = {}  # trade seq -> its own TradeFailed code
        self.poisoned: set[int] = set()  # trade seqs whose settle() reverts as a whole
        self.ids: dict[int, str] = {}  # trade seq -> the id the contract derives
        self.settled: set[str] = set()
        self.receipts: dict[str, dict] = {}
        self.sent: list[tuple[list[int], int]] = []  # (seqs, gas) of every transaction
        self.operator = type("Operator", (), {"address": "0x" + "33" * 20})()
        self.w3 = type("W3", (), {"eth": self})()
        self._contract = Web3().eth.contract(
            address=Web3.to_checksum_address(EXCHANGE), abi=load_abi(settings.build_dir, "SettlementExchange")
        )
        self._tx = itertools.count(1)

    # the worker's view of the chain
    def core(self, key: str) -> Any:
        assert key == "settlement_exchange"
        return self

    @property
    def functions(self) -> Any:
        return self._contract.functions

    class events:
        @staticmethod
        def TradeSettled() -> Any:
            return Processor(lambda r: [{"args": {"tradeId": HexBytes(i)}} for i in r["settled"]])

        @staticmethod
        def TradeFailed() -> Any:
            return Processor(lambda r: [{"args": {"tradeId": HexBytes(i), "code": c}} for i, c in r["failed"]])

    def _rpc(self, call: Any) -> Any:
        return call()

    def block(self, ident: Any = "latest") -> dict:
        return {"gasLimit": self.block_gas_limit}

    def decode_error(self, data: Any) -> tuple[None, list]:
        return None, []

    def call(self, fn: Any) -> Any:
        assert fn.fn_name == "settled"
        return HexBytes(fn.args[0]).to_0x_hex() in self.settled

    def _seqs(self, data: bytes) -> list[int]:
        _fn, args = self._contract.decode_function_input(data)
        return [trade[0] for trade in unpack_trades(args["packed"])]

    def _gas_needed(self, seqs: list[int]) -> int:
        return BASE_GAS + sum(self.cost[s] for s in seqs)

    def get_transaction(self, tx_hash: str) -> dict:
        return {"gas": self.receipts[tx_hash]["gas"]}

    def transact(self, fn: Any, *, gas: int, wait: bool) -> dict:
        assert not wait and gas <= self.block_gas_limit
        seqs = self._seqs(calldata(fn))
        self.sent.append((seqs, gas))
        tx_hash = "0x" + next(self._tx).to_bytes(32, "big").hex()
        receipt: dict[str, Any] = {"transactionHash": HexBytes(tx_hash), "gas": gas, "settled": [], "failed": []}
        needed = self._gas_needed(seqs)
        if needed > gas or set(seqs) & self.poisoned:
            receipt.update(status=0, gasUsed=gas)
        else:
            receipt.update(status=1, gasUsed=needed)
            for s in seqs:
                trade_id = self.ids[s]
                if trade_id in self.settled:
                    receipt["failed"].append((trade_id, 1))
                elif s in self.codes:
                    receipt["failed"].append((trade_id, self.codes[s]))
                else:
                    self.settled.add(trade_id)
                    receipt["settled"].append(trade_id)
        self.receipts[tx_hash] = receipt
        return {"transactionHash": HexBytes(tx_hash)}

    def wait(self, tx_hash: str, timeout: float = 0) -> dict:
        receipt = self.receipts[tx_hash]
        if receipt["status"] != 1:
            raise ChainRejected("chain.reverted", "reverted")
        return receipt

    def receipt_or_none(self, tx_hash: str) -> dict | None:
        return self.receipts.get(tx_hash)

    def will_be_mined(self, tx_hash: str) -> bool:
        return False


@dataclass
class Processor:
    read: Any

    def process_receipt(self, receipt: dict, errors: Any = None) -> list:
        return self.read(receipt)


@pytest.fixture
def stack(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'w.db'}", settlement_batch_size=40)
    db = create_engine(settings.database_url)
    SQLModel.metadata.create_all(db)
    chain = FakeChain(settings, block_gas_limit=2_000_000)
    with Session(db) as session:
        session.add(
            Asset(
                symbol="GAS",
                name="Gas test",
                kind="equity",
                tick_size="0.01",
                lot_size="1",
                total_supply="1000",
                issuer_wallet="0x" + "44" * 20,
                token_address=TOKEN,
                rules_address="0x" + "55" * 20,
            )
        )
        session.commit()
    return db, chain, settings


def _trades(db, chain: FakeChain, costs: list[int], *, first_seq: int = 1, hashes: bool = True) -> list[str]:
    """One trade per cost (gas), each between two orders of its own; returns the trade ids."""
    ids = []
    with Session(db, expire_on_commit=False) as session:
        asset = session.exec(select(Asset)).one()
        for k, cost in enumerate(costs):
            seq = first_seq + k
            orders = []
            for side in ("buy", "sell"):
                order = Order(
                    id=os.urandom(16).hex(),
                    investor_id=1 if side == "buy" else 2,
                    wallet=Web3.to_checksum_address(os.urandom(20).hex()),
                    symbol="GAS",
                    side=side,
                    type="limit",
                    time_in_force="GTC",
                    price_ticks=100,
                    quantity_lots=5,
                    signed_price=str(10**6),
                    nonce=str(seq),
                    expiry=2_000_000_000,
                    signature="0x" + "aa" * 65,
                    order_hash=("0x" + os.urandom(32).hex()) if hashes else None,
                )
                session.add(order)
                orders.append(order)
            buy_hash, sell_hash = (order_hash(chain, o, asset) for o in orders)  # type: ignore[arg-type]
            trade_id = chain_trade_id(buy_hash, sell_hash, seq)
            chain.cost[seq], chain.ids[seq] = cost, trade_id
            session.add(
                TradeRecord(
                    id=f"GAS-{seq}",
                    symbol="GAS",
                    trade_seq=seq,
                    chain_trade_id=trade_id if hashes else "",
                    buy_order_id=orders[0].id,
                    sell_order_id=orders[1].id,
                    buyer_investor_id=1,
                    seller_investor_id=2,
                    taker_side="buy",
                    price_ticks=100,
                    quantity_lots=5,
                )
            )
            ids.append(f"GAS-{seq}")
            session.commit()
    return ids


def _status(db) -> dict[str, TradeRecord]:
    with Session(db, expire_on_commit=False) as session:
        return {t.id: t for t in session.exec(select(TradeRecord))}


def test_gas_is_the_worst_case_budget_capped_at_a_block(stack):
    db, chain, settings = stack
    _trades(db, chain, [100_000] * 4)
    SettlementWorker(db, chain, settings).run_once()
    [(seqs, gas)] = chain.sent
    assert seqs == [1, 2, 3, 4] and gas == GAS_BASE + 4 * GAS_PER_TRADE
    assert all(t.settlement_status == "settled" and t.attempts == 1 for t in _status(db).values())
    chain.block_gas_limit = 500_000  # a budget over a block: a block's gas
    _trades(db, chain, [110_000] * 4, first_seq=5)
    SettlementWorker(db, chain, settings).run_once()
    assert chain.sent[-1] == ([5, 6, 7, 8], 500_000)


def test_a_batch_over_a_block_is_split_until_every_part_fits_and_all_settle(stack):
    db, chain, settings = stack
    costs = [266_000 if k % 3 else 90_000 for k in range(37)]  # about 8M in all, blocks of 2M
    _trades(db, chain, costs)
    done = SettlementWorker(db, chain, settings).run_once()
    trades = _status(db)
    assert done == 37
    assert {t.settlement_status for t in trades.values()} == {"settled"}
    assert all(t.attempts == 1 for t in trades.values())  # the reverted batches count against none
    assert {seq for seqs, _gas in chain.sent for seq in seqs} == set(range(1, 38))
    assert all(gas <= chain.block_gas_limit for _seqs, gas in chain.sent)
    assert chain.sent[0][0] == list(range(1, 38))  # the whole batch first: it reverted, then halves
    assert len(chain.settled) == 37  # each settled once


def test_a_transaction_out_of_gas_is_split_and_its_trades_not_charged(stack):
    db, chain, settings = stack
    _trades(db, chain, [200_000] * 6)
    worker = SettlementWorker(db, chain, settings)
    real = worker.gas_limit
    worker.gas_limit = lambda n: BASE_GAS + 200_000 * n - 1 if n > 3 else real(n)  # type: ignore[method-assign]
    assert worker.run_once() == 6
    assert [seqs for seqs, _gas in chain.sent] == [[1, 2, 3, 4, 5, 6], [1, 2, 3], [4, 5, 6]]
    assert chain.receipts["0x" + (1).to_bytes(32, "big").hex()]["status"] == 0
    trades = _status(db)
    assert {t.settlement_status for t in trades.values()} == {"settled"}
    assert {t.attempts for t in trades.values()} == {1}  # the reverted batch of six is not counted


def test_a_trade_that_reverts_every_batch_fails_alone_and_only_it(stack):
    db, chain, settings = stack
    ids = _trades(db, chain, [100_000] * 8)
    chain.poisoned.add(6)
    chain.codes[3] = 9  # its own refusal: failed at once, with that code
    worker = SettlementWorker(db, chain, settings)
    for _ in range(MAX_ATTEMPTS):
        worker.run_once()
    trades = _status(db)
    assert trades[ids[5]].settlement_status == "failed"
    assert trades[ids[5]].attempts == MAX_ATTEMPTS and "reverted 5 times" in (trades[ids[5]].failure_reason or "")
    assert trades[ids[2]].settlement_status == "failed" and trades[ids[2]].failure_code == 9
    others = [t for i, t in trades.items() if i not in (ids[2], ids[5])]
    assert {t.settlement_status for t in others} == {"settled"}
    assert sum(seqs == [6] for seqs, _gas in chain.sent) == MAX_ATTEMPTS  # its own tries, alone


def test_a_poisoned_trade_is_retried_before_it_fails(stack):
    db, chain, settings = stack
    [trade_id] = _trades(db, chain, [100_000])
    chain.poisoned.add(1)
    worker = SettlementWorker(db, chain, settings)
    assert worker.run_once() == 0  # nothing moved: the loop waits before the next pass
    assert _status(db)[trade_id].settlement_status == "pending"
    chain.poisoned.clear()  # whatever it was (a paused exchange) passed
    worker.run_once()
    trade = _status(db)[trade_id]
    assert trade.settlement_status == "settled" and trade.attempts == 2


def test_a_transfer_failure_in_a_transaction_that_burnt_its_gas_is_sent_again(stack):
    db, chain, settings = stack
    ids = _trades(db, chain, [100_000] * 2)
    chain.codes[2] = 10
    worker = SettlementWorker(db, chain, settings)
    worker.gas_limit = lambda n: BASE_GAS + 100_000 * n  # type: ignore[method-assign]  # all of it used
    worker.run_once()
    trades = _status(db)
    assert trades[ids[0]].settlement_status == "settled"
    assert trades[ids[1]].settlement_status == "pending"  # maybe starved of gas: once more
    del chain.codes[2]
    worker.run_once()
    assert _status(db)[ids[1]].settlement_status == "settled"


def test_ids_are_derived_for_trades_recorded_without_order_hashes(stack):
    db, chain, settings = stack
    ids = _trades(db, chain, [100_000] * 3, hashes=False)
    SettlementWorker(db, chain, settings).run_once()
    trades = _status(db)
    assert {t.settlement_status for t in trades.values()} == {"settled"}
    assert [trades[i].chain_trade_id for i in ids] == [chain.ids[1], chain.ids[2], chain.ids[3]]
    with Session(db) as session:
        assert all(o.order_hash for o in session.exec(select(Order)))


def test_after_a_crash_a_reverted_batch_found_on_restart_is_not_charged_and_settles(stack):
    db, chain, settings = stack
    _trades(db, chain, [100_000] * 4)
    worker = SettlementWorker(db, chain, settings)
    worker.gas_limit = lambda n: BASE_GAS + 100_000 * n - 1  # type: ignore[method-assign]  # out of gas on chain

    def crash(*_args: Any, **_kwargs: Any) -> dict:
        raise RuntimeError("killed while waiting for the receipt")

    chain.wait = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        worker.run_once()
    assert {(t.settlement_status, t.attempts) for t in _status(db).values()} == {("submitted", 1)}
    del chain.wait
    assert SettlementWorker(db, chain, settings).run_once() == 8  # four confirmed (reverted), four settled
    trades = _status(db)
    assert {(t.settlement_status, t.attempts) for t in trades.values()} == {("settled", 1)}
    assert [seqs for seqs, _gas in chain.sent] == [[1, 2, 3, 4], [1, 2, 3, 4]]


def test_a_lone_trade_whose_transaction_reverts_fails_after_max_attempts(stack):
    db, chain, settings = stack
    [trade_id] = _trades(db, chain, [100_000])
    worker = SettlementWorker(db, chain, settings)
    worker.gas_limit = lambda n: BASE_GAS + 100_000 * n - 1  # type: ignore[method-assign]
    for attempt in range(1, MAX_ATTEMPTS + 1):
        worker.run_once()
        trade = _status(db)[trade_id]
        assert trade.attempts == attempt
        assert trade.settlement_status == ("failed" if attempt == MAX_ATTEMPTS else "pending")
    assert "reverted 5 times" in (trade.failure_reason or "") and trade.failure_code is None
