"""The settlement worker's state machine, pass by pass, against a fake node.

pending -> submitted (its tx hash committed before the wait) -> settled, or failed by its own
TradeFailed code; a receipt that does not come in time is looked up again on the next pass; a
dropped transaction sends its trades back to pending and they are sent again; a fresh worker
after a crash resolves the `submitted` rows it finds; code 1 (settled already) is recorded as
settled; MAX_ATTEMPTS bounds a lone trade whose settle() reverts; a failed trade no longer
reserves its buyer's cash or its seller's units.

The database is a real SQLite file. The node is a fake (FakeNode below): a transaction pool
the test mines, drops or leaves waiting, the exchange's outcome per trade (the id it derives
from the orders in the calldata, as tradeIdOf does; a set of settled ids), and receipts whose
logs the real SettlementExchange ABI decodes. Batch splitting and gas sizing are
tests/backend/test_settlement_split.py's; a real ganache is tests/integration's.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak
from hexbytes import HexBytes
from sqlmodel import Session, SQLModel, select
from web3 import Web3
from web3.exceptions import TransactionNotFound

import backend.models  # noqa: F401 - every table on the metadata
from backend.chain.artifacts import load_abi
from backend.chain.client import calldata
from backend.config import Settings
from backend.db import make_engine
from backend.errors import ChainRejected, Unavailable
from backend.models.assets import Asset
from backend.models.compliance import Investor
from backend.models.settlement import TradeRecord
from backend.models.trading import Order
from backend.money import ASSET_DECIMALS, CASH_DECIMALS, to_units
from backend.settlement.packing import unpack_trades
from backend.settlement.worker import FAILURE_REASONS, MAX_ATTEMPTS, SettlementWorker
from backend.trading.projection import chain_trade_id
from backend.trading.reservations import reserved_asset_units, reserved_cash_units
from backend.trading.signing import order_digest, typed_data

CHAIN_ID = 1337
EXCHANGE = Web3.to_checksum_address("0x" + "e1" * 20)
TOKEN = Web3.to_checksum_address("0x" + "70" * 20)
OPERATOR = Web3.to_checksum_address("0x" + "0a" * 20)
BUYER_WALLET = Web3.to_checksum_address("0x" + "b1" * 20)
SELLER_WALLET = Web3.to_checksum_address("0x" + "51" * 20)
TRADE_GAS = 100_000
ORDER_FIELDS = ("trader", "asset", "isBuy", "price", "quantity", "nonce", "expiry")
TRADE_FIELDS = ("seq", "buy", "buySignature", "sell", "sellSignature", "price", "quantity")


def _topic(signature: str) -> HexBytes:
    return HexBytes(keccak(text=signature))


SETTLED_TOPIC = _topic("TradeSettled(bytes32,bytes32,bytes32,uint256,uint256)")
FAILED_TOPIC = _topic("TradeFailed(bytes32,uint8)")


def order_id_hash(order: dict[str, Any]) -> str:
    """The order's EIP-712 digest, from the order as the calldata carries it."""
    digest = order_digest(
        typed_data(
            chain_id=CHAIN_ID,
            exchange=EXCHANGE,
            trader=order["trader"],
            asset=order["asset"],
            is_buy=order["isBuy"],
            price=order["price"],
            quantity=order["quantity"],
            nonce=order["nonce"],
            expiry=order["expiry"],
        )
    )
    return "0x" + digest.hex()


@dataclass
class Tx:
    trades: list[dict[str, Any]]  # settle()'s Trade structs, decoded from the calldata
    gas: int

    @property
    def seqs(self) -> list[int]:
        return [t["seq"] for t in self.trades]


@dataclass
class FakeNode:
    """The parts of backend.chain.client.Chain the worker uses, over a node that mines only
    when told to (`mine`), or at once when `instant` is set."""

    settings: Settings
    instant: bool = True
    codes: dict[int, int] = field(default_factory=dict)  # trade seq -> its own TradeFailed code
    burns_all_gas: bool = False  # mined transactions use all the gas they were sent with
    reverts_on_chain: set[int] = field(default_factory=set)  # seqs whose settle() reverts as a whole when mined
    settled_ids: set[str] = field(default_factory=set)  # the exchange's settled(tradeId)
    settlements: Counter[str] = field(default_factory=Counter)  # trade id -> times settled
    pool: dict[str, Tx] = field(default_factory=dict)  # sent, not mined
    dropped: dict[str, Tx] = field(default_factory=dict)  # left the pool unmined
    receipts: dict[str, dict[str, Any]] = field(default_factory=dict)
    mined: dict[str, Tx] = field(default_factory=dict)
    sent: list[list[int]] = field(default_factory=list)  # seqs of every transaction, in order
    waits: list[float] = field(default_factory=list)  # the timeout of every wait()

    def __post_init__(self) -> None:
        self.chain_id = CHAIN_ID
        self.deployment = SimpleNamespace(contracts={"settlement_exchange": EXCHANGE})
        self.operator = SimpleNamespace(address=OPERATOR)
        self.w3 = SimpleNamespace(eth=self)  # the worker asks w3.eth for estimate_gas, get_transaction
        abi = load_abi(self.settings.build_dir, "SettlementExchange")
        self.exchange = Web3().eth.contract(address=EXCHANGE, abi=abi)  # the real ABI: calldata and logs
        self._hashes = (f"0x{n:064x}" for n in itertools.count(0xA000))
        self._blocks = itertools.count(1)

    # --- what the worker calls -----------------------------------------------------
    def core(self, key: str) -> Any:
        assert key == "settlement_exchange"
        return self.exchange

    def _rpc(self, call: Any) -> Any:
        return call()

    def block(self, ident: Any = "latest") -> dict[str, Any]:
        return {"gasLimit": 30_000_000}

    def decode_error(self, data: Any) -> tuple[None, list[Any]]:
        return None, []

    def call(self, fn: Any) -> Any:
        assert fn.fn_name == "settled"
        return HexBytes(fn.args[0]).to_0x_hex() in self.settled_ids

    def estimate_gas(self, tx: dict[str, Any]) -> int:  # state may change before it is mined
        return TRADE_GAS * len(self._decode(bytes(tx["data"])))

    def transact(self, fn: Any, *, gas: int, wait: bool) -> dict[str, Any]:
        assert not wait, "the worker commits `submitted` before it waits"
        tx_hash = next(self._hashes)
        self.pool[tx_hash] = Tx(self._decode(calldata(fn)), gas)
        self.sent.append(self.pool[tx_hash].seqs)
        if self.instant:
            self.mine(tx_hash)
        return {"transactionHash": HexBytes(tx_hash)}

    def wait(self, tx_hash: str, timeout: float = 120) -> dict[str, Any]:
        self.waits.append(timeout)
        receipt = self.receipts.get(tx_hash)
        if receipt is None:  # what Chain.wait raises once its timeout passes
            raise Unavailable("chain.timeout", f"transaction {tx_hash} not mined in time")
        if receipt["status"] != 1:
            raise ChainRejected("chain.reverted", f"transaction {tx_hash} reverted")
        return receipt

    def receipt_or_none(self, tx_hash: str) -> dict[str, Any] | None:
        return self.receipts.get(tx_hash)

    def will_be_mined(self, tx_hash: str) -> bool:
        return tx_hash in self.pool

    def get_transaction(self, tx_hash: str) -> dict[str, Any]:
        tx = self.pool.get(tx_hash) or self.mined.get(tx_hash)
        if tx is None:
            raise TransactionNotFound(f"transaction {tx_hash} not found")
        return {"gas": tx.gas}

    # --- what the test does to the node --------------------------------------------
    def mine(self, tx_hash: str) -> None:
        """Mine a pooled (or dropped) transaction: the exchange's settle() of its trades."""
        tx = self.pool.pop(tx_hash, None) or self.dropped.pop(tx_hash)
        self.mined[tx_hash] = tx
        block = next(self._blocks)
        receipt: dict[str, Any] = {
            "transactionHash": HexBytes(tx_hash),
            "blockHash": HexBytes(block.to_bytes(32, "big")),
            "blockNumber": block,
            "transactionIndex": 0,
            "gasUsed": tx.gas if self.burns_all_gas else TRADE_GAS * len(tx.trades) // 2,
            "logs": [],
        }
        self.receipts[tx_hash] = receipt
        if set(tx.seqs) & self.reverts_on_chain:
            receipt.update(status=0, gasUsed=tx.gas)
            return
        receipt["status"] = 1
        for trade in tx.trades:
            buy_hash, sell_hash = order_id_hash(trade["buy"]), order_id_hash(trade["sell"])
            trade_id = chain_trade_id(buy_hash, sell_hash, trade["seq"])
            if trade_id in self.settled_ids:
                self._log(receipt, [FAILED_TOPIC, HexBytes(trade_id)], encode(["uint8"], [1]))
            elif trade["seq"] in self.codes:
                self._log(receipt, [FAILED_TOPIC, HexBytes(trade_id)], encode(["uint8"], [self.codes[trade["seq"]]]))
            else:
                self.settled_ids.add(trade_id)
                self.settlements[trade_id] += 1
                data = encode(["uint256", "uint256"], [trade["price"], trade["quantity"]])
                self._log(receipt, [SETTLED_TOPIC, HexBytes(trade_id), HexBytes(buy_hash), HexBytes(sell_hash)], data)

    def drop(self, tx_hash: str) -> None:
        """The node forgets a pooled transaction (restart, eviction); it may still be mined later."""
        self.dropped[tx_hash] = self.pool.pop(tx_hash)

    def _log(self, receipt: dict[str, Any], topics: list[HexBytes], data: bytes) -> None:
        receipt["logs"].append(
            {
                "address": EXCHANGE,
                "topics": topics,
                "data": HexBytes(data),
                "logIndex": len(receipt["logs"]),
                "transactionIndex": 0,
                "transactionHash": receipt["transactionHash"],
                "blockHash": receipt["blockHash"],
                "blockNumber": receipt["blockNumber"],
            }
        )

    def _decode(self, data: bytes) -> list[dict[str, Any]]:
        _fn, args = self.exchange.decode_function_input(data)
        trades = []
        for raw in unpack_trades(args["packed"]):
            trade = dict(raw) if isinstance(raw, dict) else dict(zip(TRADE_FIELDS, raw, strict=True))
            for side in ("buy", "sell"):
                order = trade[side]
                trade[side] = dict(order) if isinstance(order, dict) else dict(zip(ORDER_FIELDS, order, strict=True))
            trades.append(trade)
        return trades


# --- the database ------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'settle.db'}", settlement_batch_size=10)


@pytest.fixture
def db(settings: Settings) -> Any:
    engine = make_engine(settings.database_url)  # the service's engine (foreign keys enforced)
    SQLModel.metadata.create_all(engine)  # the migrations are test_migrations.py's
    with Session(engine) as session:
        session.add(Investor(wallet=BUYER_WALLET, name="Buyer", country="US", kyc_expires=date(2099, 1, 1)))
        session.add(Investor(wallet=SELLER_WALLET, name="Seller", country="US", kyc_expires=date(2099, 1, 1)))
        session.add(
            Asset(
                symbol="ACME",
                name="Acme",
                kind="equity",
                tick_size="0.01",
                lot_size="1",
                total_supply="1000000",
                issuer_wallet="0x" + "44" * 20,
                token_address=TOKEN,
                rules_address="0x" + "55" * 20,
            )
        )
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def node(settings: Settings) -> FakeNode:
    return FakeNode(settings)


def _order(order_id: str, side: str, wallet: str, investor_id: int, nonce: int, price_ticks: int, lots: int) -> Order:
    """A filled order as order entry stores it: its signed fields and their EIP-712 digest."""
    signed_price = to_units(Decimal("0.01") * price_ticks, CASH_DECIMALS)
    expiry = 2_000_000_000
    digest = order_digest(
        typed_data(
            chain_id=CHAIN_ID,
            exchange=EXCHANGE,
            trader=wallet,
            asset=TOKEN,
            is_buy=side == "buy",
            price=signed_price,
            quantity=to_units(Decimal(lots), ASSET_DECIMALS),
            nonce=nonce,
            expiry=expiry,
        )
    )
    return Order(
        id=order_id,
        investor_id=investor_id,
        wallet=wallet,
        symbol="ACME",
        side=side,
        type="limit",
        time_in_force="GTC",
        price_ticks=price_ticks,
        quantity_lots=lots,
        filled_lots=lots,
        status="filled",
        signed_price=str(signed_price),
        nonce=str(nonce),
        expiry=expiry,
        signature="0x" + "aa" * 65,
        order_hash="0x" + digest.hex(),
    )


def add_trades(db: Any, count: int, *, first_seq: int = 1, price_ticks: int = 250, lots: int = 4) -> list[str]:
    """`count` pending trades, buyer 1 from seller 2, each between two orders of its own."""
    ids = []
    with Session(db) as session:
        for seq in range(first_seq, first_seq + count):
            buy = _order(f"b{seq}", "buy", BUYER_WALLET, 1, seq, price_ticks, lots)
            sell = _order(f"s{seq}", "sell", SELLER_WALLET, 2, seq, price_ticks, lots)
            session.add_all([buy, sell])
            session.flush()  # the orders before the trade that names them (foreign keys)
            session.add(
                TradeRecord(
                    id=f"ACME-{seq}",
                    symbol="ACME",
                    trade_seq=seq,
                    chain_trade_id=chain_trade_id(buy.order_hash or "", sell.order_hash or "", seq),
                    buy_order_id=buy.id,
                    sell_order_id=sell.id,
                    buyer_investor_id=1,
                    seller_investor_id=2,
                    taker_side="buy",
                    price_ticks=price_ticks,
                    quantity_lots=lots,
                )
            )
            ids.append(f"ACME-{seq}")
        session.commit()
    return ids


def rows(db: Any) -> dict[str, TradeRecord]:
    with Session(db, expire_on_commit=False) as session:
        return {t.id: t for t in session.exec(select(TradeRecord))}


def row(db: Any, trade_id: str) -> TradeRecord:
    return rows(db)[trade_id]


# --- pending -> submitted -> settled / failed ------------------------------------------------------


def test_the_tx_hash_is_committed_as_submitted_before_the_worker_waits_then_settled(db, node, settings):
    [trade_id] = add_trades(db, 1)
    seen_while_waiting: list[tuple[str, str | None, int]] = []
    real_wait = node.wait

    def wait(tx_hash: str, timeout: float = 120) -> dict[str, Any]:
        t = row(db, trade_id)  # another connection: only what was committed
        seen_while_waiting.append((t.settlement_status, t.tx_hash, t.attempts))
        return real_wait(tx_hash, timeout)

    node.wait = wait  # type: ignore[method-assign]
    worker = SettlementWorker(db, node, settings)
    assert worker.run_once() == 1
    [tx_hash] = node.mined
    assert seen_while_waiting == [("submitted", tx_hash, 1)]
    trade = row(db, trade_id)
    assert (trade.settlement_status, trade.tx_hash, trade.attempts) == ("settled", tx_hash, 1)
    assert trade.settled_at is not None and trade.failure_code is None
    assert node.waits == [worker.wait_seconds]
    assert worker.run_once() == 0 and node.sent == [[1]]  # nothing left to do, nothing resent


@pytest.mark.parametrize("code", sorted(set(FAILURE_REASONS) - {1}))
def test_a_trade_refused_by_its_own_code_fails_with_it_and_its_batch_mates_settle(db, node, settings, code):
    ids = add_trades(db, 3)
    node.codes[2] = code
    SettlementWorker(db, node, settings).run_once()
    trades = rows(db)
    [tx_hash] = node.mined
    failed = trades[ids[1]]
    assert (failed.settlement_status, failed.failure_code, failed.failure_reason, failed.tx_hash) == (
        "failed",
        code,
        FAILURE_REASONS[code],
        tx_hash,
    )
    assert failed.settled_at is None
    assert [trades[i].settlement_status for i in (ids[0], ids[2])] == ["settled", "settled"]
    SettlementWorker(db, node, settings).run_once()
    assert node.sent == [[1, 2, 3]]  # a failed trade is final: never sent again


def test_code_1_already_settled_is_recorded_as_settled(db, node, settings):
    ids = add_trades(db, 2)
    earlier = row(db, ids[0]).chain_trade_id
    node.settled_ids.add(earlier)  # settled by a transaction the worker lost track of
    node.settlements[earlier] += 1
    SettlementWorker(db, node, settings).run_once()
    trades = rows(db)
    first, second = trades[ids[0]], trades[ids[1]]
    assert (first.settlement_status, first.failure_code, first.failure_reason) == ("settled", None, None)
    assert first.tx_hash is None  # this transaction did not settle it: an earlier one did
    assert first.settled_at is not None
    assert second.settlement_status == "settled" and second.tx_hash in node.mined
    assert set(node.settlements.values()) == {1}


# --- a receipt that does not come, a dropped transaction ------------------------------------------


def test_a_receipt_that_never_comes_leaves_the_trade_submitted_and_the_next_pass_looks_again(db, node, settings):
    [trade_id] = add_trades(db, 1)
    node.instant = False
    worker = SettlementWorker(db, node, settings)
    with pytest.raises(Unavailable):  # the loop logs it as last_error and tries again later
        worker.run_once()
    [tx_hash] = node.pool
    assert (row(db, trade_id).settlement_status, row(db, trade_id).tx_hash) == ("submitted", tx_hash)
    assert worker.run_once() == 0  # still in the node's pool: nothing moved, not resent (the loop waits)
    assert row(db, trade_id).settlement_status == "submitted" and node.sent == [[1]]
    assert worker.backlog == 1
    node.mine(tx_hash)
    assert worker.run_once() == 1  # found by looking it up, not by waiting
    trade = row(db, trade_id)
    assert (trade.settlement_status, trade.tx_hash, trade.attempts) == ("settled", tx_hash, 1)
    assert node.sent == [[1]] and node.waits == [worker.wait_seconds]


def test_the_worker_loop_survives_a_wait_timeout_waits_between_looks_and_settles_later(db, node, settings):
    [trade_id] = add_trades(db, 1)
    node.instant = False
    looks: list[float] = []  # when the worker asked whether the pending transaction is still pooled
    real_will_be_mined = node.will_be_mined

    def will_be_mined(tx_hash: str) -> bool:
        looks.append(time.monotonic())
        return real_will_be_mined(tx_hash)

    node.will_be_mined = will_be_mined  # type: ignore[method-assign]
    worker = SettlementWorker(db, node, settings.model_copy(update={"settlement_interval_ms": 100}))
    worker.start()
    try:
        _until(lambda: len(looks) >= 2)  # the wait timed out (Unavailable) and the loop went on
        assert len(node.waits) == 1 and worker._thread is not None and worker._thread.is_alive()
        before = len(looks)
        time.sleep(0.5)
        # A transaction still pooled is nothing moved: the loop sleeps its interval between
        # looks rather than polling the node flat out (about 5 looks in 0.5 s, not hundreds).
        assert len(looks) - before <= 10
        [tx_hash] = node.pool
        node.mine(tx_hash)
        _until(lambda: row(db, trade_id).settlement_status == "settled")
        assert worker.last_error is None
    finally:
        worker.stop()
    assert node.sent == [[1]]


def _until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_a_dropped_transaction_sends_its_trades_back_to_pending_and_they_are_resent(db, node, settings):
    ids = add_trades(db, 2)
    node.instant = False
    worker = SettlementWorker(db, node, settings)
    with pytest.raises(Unavailable):
        worker.run_once()
    [first] = node.pool
    node.drop(first)
    node.instant = True
    assert worker.run_once() == 4  # two found dropped (back to the outbox), two settled
    trades = rows(db)
    [second] = node.mined
    assert second != first and node.sent == [[1, 2], [1, 2]]
    assert {(t.settlement_status, t.tx_hash) for t in trades.values()} == {("settled", second)}
    assert {trades[i].attempts for i in ids} == {2}


def test_a_dropped_transaction_mined_after_all_settles_nothing_twice(db, node, settings):
    ids = add_trades(db, 2)
    node.instant = False
    worker = SettlementWorker(db, node, settings)
    with pytest.raises(Unavailable):
        worker.run_once()
    [first] = node.pool
    node.drop(first)
    with pytest.raises(Unavailable):  # back to pending, resent, again no receipt yet
        worker.run_once()
    [second] = node.pool
    node.mine(first)  # the dropped one is mined after all (another node had it)
    node.mine(second)  # the resend: refused with code 1 for both
    assert worker.run_once() == 2
    trades = rows(db)
    assert {(t.settlement_status, t.failure_code) for t in trades.values()} == {("settled", None)}
    assert set(node.settlements.values()) == {1} and len(node.settlements) == len(ids)


# --- a crash between submit and receipt ------------------------------------------------------------


@pytest.mark.parametrize("meanwhile", ["mined", "still_pooled", "lost"])
def test_a_fresh_worker_after_a_crash_resolves_the_submitted_rows(db, node, settings, meanwhile):
    ids = add_trades(db, 3)
    node.instant = False

    def killed(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        raise SystemExit("the process died while waiting for the receipt")

    node.wait = killed  # type: ignore[method-assign]
    with pytest.raises(SystemExit):
        SettlementWorker(db, node, settings).run_once()
    del node.wait
    [tx_hash] = node.pool
    assert {(t.settlement_status, t.tx_hash) for t in rows(db).values()} == {("submitted", tx_hash)}
    if meanwhile == "mined":
        node.mine(tx_hash)
    elif meanwhile == "lost":
        node.pool.pop(tx_hash)  # the node restarted without it: it will never be mined
    node.instant = True
    restarted = make_engine(settings.database_url)  # a new process: new engine, new worker
    try:
        fresh = SettlementWorker(restarted, node, settings)
        fresh.run_once()
        trades = rows(db)
        if meanwhile == "still_pooled":
            assert {t.settlement_status for t in trades.values()} == {"submitted"}
            assert node.sent == [[1, 2, 3]]  # waited for, not sent twice
            node.mine(tx_hash)
            fresh.run_once()
            trades = rows(db)
        expected_tx = list(node.mined)[-1]  # the resend when the first was lost, else the first
        assert expected_tx == tx_hash or meanwhile == "lost"
        assert {(t.settlement_status, t.tx_hash) for t in trades.values()} == {("settled", expected_tx)}
        assert node.sent == ([[1, 2, 3], [1, 2, 3]] if meanwhile == "lost" else [[1, 2, 3]])
        assert set(node.settlements.values()) == {1} and len(node.settlements) == len(ids)
    finally:
        restarted.dispose()


# --- MAX_ATTEMPTS -----------------------------------------------------------------------------------


def test_a_lone_trade_whose_settle_reverts_is_retried_then_failed_at_max_attempts(db, node, settings):
    [trade_id] = add_trades(db, 1)
    node.reverts_on_chain.add(1)  # accepted by the node, reverted as a whole when mined
    worker = SettlementWorker(db, node, settings)
    for attempt in range(1, MAX_ATTEMPTS):
        worker.run_once()
        trade = row(db, trade_id)
        assert (trade.settlement_status, trade.attempts, trade.tx_hash) == ("pending", attempt, None)
    worker.run_once()
    trade = row(db, trade_id)
    assert (trade.settlement_status, trade.attempts, trade.failure_code) == ("failed", MAX_ATTEMPTS, None)
    assert f"reverted {MAX_ATTEMPTS} times" in (trade.failure_reason or "")
    assert trade.tx_hash == list(node.mined)[-1]  # the last reverted transaction, for the record
    assert len(node.sent) == MAX_ATTEMPTS
    worker.run_once()
    assert len(node.sent) == MAX_ATTEMPTS and row(db, trade_id).attempts == MAX_ATTEMPTS  # failed is final


def test_a_transfer_refusal_in_a_transaction_out_of_gas_is_resent_until_max_attempts_then_fails(db, node, settings):
    [trade_id] = add_trades(db, 1)
    node.codes[1] = 10  # cash transfer refused, every time
    node.burns_all_gas = True  # ... in a transaction that used all its gas: maybe starved (63/64)
    worker = SettlementWorker(db, node, settings)
    for attempt in range(1, MAX_ATTEMPTS):
        worker.run_once()
        assert (row(db, trade_id).settlement_status, row(db, trade_id).attempts) == ("pending", attempt)
    worker.run_once()
    trade = row(db, trade_id)
    assert (trade.settlement_status, trade.failure_code, trade.attempts) == ("failed", 10, MAX_ATTEMPTS)
    assert len(node.sent) == MAX_ATTEMPTS


def test_giving_up_on_a_trade_the_chain_settled_records_it_settled(db, node, settings):
    [trade_id] = add_trades(db, 1)
    node.reverts_on_chain.add(1)
    node.settled_ids.add(row(db, trade_id).chain_trade_id)  # a lost transaction settled it after all
    worker = SettlementWorker(db, node, settings)
    for _ in range(MAX_ATTEMPTS):
        worker.run_once()
    trade = row(db, trade_id)
    assert (trade.settlement_status, trade.failure_reason) == ("settled", None)
    assert trade.settled_at is not None


# --- reservations ---------------------------------------------------------------------------------


def _reserved(db: Any) -> tuple[int, int]:
    """(the buyer's reserved cash, the seller's reserved ACME units), in on-chain units."""
    with Session(db) as session:
        asset = session.exec(select(Asset)).one()
        cash = reserved_cash_units(session, investor_id=1, assets={"ACME": asset})
        units = reserved_asset_units(session, investor_id=2, asset=asset)
    return cash, units


@pytest.mark.parametrize("outcome", ["failed", "settled"])
def test_a_trade_reserves_funds_until_it_leaves_the_outbox(db, node, settings, outcome):
    add_trades(db, 1, price_ticks=250, lots=4)
    cost = to_units(Decimal("2.50") * 4, CASH_DECIMALS)
    units = to_units(Decimal(4), ASSET_DECIMALS)
    assert _reserved(db) == (cost, units)  # pending
    node.instant = False
    if outcome == "failed":
        node.codes[1] = 10
    worker = SettlementWorker(db, node, settings)
    with pytest.raises(Unavailable):
        worker.run_once()
    assert _reserved(db) == (cost, units)  # submitted: still reserved
    node.mine(next(iter(node.pool)))
    worker.run_once()
    assert {t.settlement_status for t in rows(db).values()} == {outcome}
    assert _reserved(db) == (0, 0)  # released (failed) or moved on chain (settled)
