"""The settlement worker: outbox -> settle() batches -> settled / failed.

Trade ids. The contract names a trade keccak256(abi.encode(buyHash, sellHash, seq)) of both
orders' EIP-712 digests and the venue's trade sequence number (backend/settlement/encoding.py
builds the same). It refuses an id it settled before (code 1), and as the id names the orders,
code 1 means exactly "this trade settled already" (in a transaction we lost track of): it is
recorded as settled. A sequence number reused with other orders (a database restored from an
old backup) is another id and settles for real.

Gas. A batch is sent with its measured worst case (GAS_PER_TRADE a trade, above the most
expensive trade measured: fresh wallets after a revenue deposit under a lock-up, about 281k, plus
GAS_BASE), capped at the block gas limit; only the gas used is paid. Not eth_estimateGas: ganache
answers one request at a time and its estimate re-runs the whole batch several times, which held
every other caller (order entry's funds reads, the watchers) for seconds per batch. When the
transaction reverts as a whole (out of gas: a batch over a block, or a trade dearer than the
budget), the batch is split in halves and each half settled in turn, recursively, down to single
trades. A trade is marked
`failed` only for its own TradeFailed code, or when settle() of that trade alone reverts as a
whole MAX_ATTEMPTS times (a reverted batch of several does not count against its trades). A
transfer failure (code 9 or 10) in a transaction that burnt almost all of its gas may be the
token call starved by the 63/64 rule rather than a refusal: that trade goes back to the outbox
(up to MAX_ATTEMPTS times).

Crashes. Idempotent end to end. A trade is marked `submitted` with its tx hash (committed)
before we wait for the receipt, so after a crash we look the transaction up instead of
guessing. A dropped transaction sends its trades back to `pending`; should it be mined after
all, the resent trades are refused with code 1 and recorded as settled - nothing settles twice.
A transaction the node no longer knows (e.g. it lost transactions across a restart), or holds
queued behind a nonce gap, sends its trades back to the outbox; the next transaction takes the
node's pending nonce (Chain never keeps one of its own), so it fills any gap.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from hexbytes import HexBytes
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from web3.exceptions import ContractCustomError, ContractLogicError, TransactionNotFound, Web3RPCError
from web3.logs import DISCARD

from backend.chain.client import Chain, calldata
from backend.clock import utcnow
from backend.config import Settings
from backend.errors import ChainRejected, DomainError
from backend.models.settlement import TradeRecord
from backend.settlement.encoding import Prepared, packed_batch, prepare
from backend.statuses import UNSETTLED, SettlementStatus

log = logging.getLogger(__name__)

FAILURE_REASONS = {
    1: "trade id already settled",
    2: "orders do not form a valid buy/sell pair",
    3: "bad buy signature",
    4: "bad sell signature",
    5: "order expired",
    6: "order cancelled on chain",
    7: "price outside the orders' limits",
    8: "quantity exceeds what the orders have left (or its cash amount is not exact)",
    9: "asset transfer refused (compliance, balance or allowance)",
    10: "cash transfer refused (balance or allowance)",
}
ALREADY_SETTLED = 1
TRANSFER_CODES = (9, 10)
MAX_ATTEMPTS = 5
# A settle() batch's gas budget (docs/gas.md): the dearest trade measured costs about 281k
# (fresh wallets after a revenue deposit, under a lock-up); a batch of 50 fits a 30M block.
GAS_PER_TRADE = 350_000
GAS_BASE = 100_000
# A transaction that used this share of its gas limit or more may have starved a token call.
STARVED_SHARE = 0.95
# What a settle() call that reverts as a whole raises: web3's decoded reverts, or the node's
# JSON-RPC error (ganache: "out of gas", or gas above the block's limit).
WHOLE_REVERT = (ContractCustomError, ContractLogicError, Web3RPCError, ValueError)


def unsettled_count(session: Session) -> int:
    """The trades not settled yet (pending or submitted): the backlog order admission sheds on."""
    return session.exec(
        select(func.count()).select_from(TradeRecord).where(col(TradeRecord.settlement_status).in_(UNSETTLED))
    ).one()


class SettlementWorker:
    def __init__(self, db: Engine, chain: Chain, settings: Settings):
        self.db, self.chain, self.settings = db, chain, settings
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self._problem: str | None = None  # the last pass's whole-transaction revert (reported as last_error)
        # Trades pending or submitted at the start of the last pass (None: not counted yet);
        # order admission reads it to refuse new orders past settlement_max_backlog.
        self.backlog: int | None = None
        # How long one pass waits for its receipt; then the next pass looks the tx up again.
        self.wait_seconds = 30.0
        self._block_gas_limit: int | None = None

    # --- lifecycle ----------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="settlement", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)

    def nudge(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                done = self.run_once()
                self.last_error = self._problem  # a transaction of the pass reverted as a whole, or None
            except DomainError as exc:  # chain unreachable or not deployed: try again later
                self.last_error, done = exc.message, 0
            except Exception as exc:
                log.exception("settlement batch failed")
                self.last_error, done = str(exc), 0
            if not done:
                self._wake.wait(self.settings.settlement_interval_ms / 1000)
                self._wake.clear()

    # --- one pass -----------------------------------------------------------------
    def run_once(self) -> int:
        """Confirm what was submitted, then settle one batch (split as needed). Returns the
        trades that left the outbox or were confirmed (0: nothing moved, wait a while)."""
        self._problem = None
        with Session(self.db, expire_on_commit=False) as session:
            # Counted before any chain call, so it stays current while the node is down.
            self.backlog = unsettled_count(session)
            confirmed = self._confirm_submitted(session)
            batch = list(
                session.exec(
                    select(TradeRecord)
                    .where(TradeRecord.settlement_status == SettlementStatus.PENDING)
                    .order_by(TradeRecord.created_at, TradeRecord.trade_seq)  # type: ignore[arg-type]
                    .limit(self.settings.settlement_batch_size)
                )
            )
            if not batch:
                return confirmed
            items = prepare(session, self.chain, batch)
            unsendable = self._unsendable(items)
            session.commit()
            items = [item for item in items if item.packed is not None]
            return confirmed + unsendable + (self._settle(session, items) if items else 0)

    def _unsendable(self, items: list[Prepared]) -> int:
        """Fail the trades settle()'s packed encoding cannot carry (a value past its field's
        width: order entry's bounds keep this from happening); returns how many."""
        for item in items:
            if item.packed is None:
                trade = item.trade
                trade.settlement_status, trade.failure_reason = SettlementStatus.FAILED, item.unsendable
                log.error("trade %s failed: %s", trade.id, item.unsendable)
        return sum(item.packed is None for item in items)

    def gas_limit(self, trades: int) -> int:
        """The gas to send a settle() of `trades` trades with: the worst case, at most a block."""
        return min(GAS_BASE + GAS_PER_TRADE * trades, self.block_gas_limit())

    def block_gas_limit(self) -> int:
        if self._block_gas_limit is None:
            self._block_gas_limit = int(self.chain.block("latest")["gasLimit"])
        return self._block_gas_limit

    def _settle(self, session: Session, items: list[Prepared]) -> int:
        """Settle `items` in one settle(), or in halves when that reverts as a whole. Returns
        how many left the outbox (settled or failed)."""
        fn = self.chain.core("settlement_exchange").functions.settle(packed_batch(items))
        gas = self.gas_limit(len(items))
        trades = [item.trade for item in items]
        try:
            sent = self.chain.transact(fn, gas=gas, wait=False)
        except WHOLE_REVERT as exc:  # a node that simulates before accepting refused it
            reason = self._reason(exc)
            if len(items) > 1:
                log.info("settle() of %d trades refused as a whole (%s): splitting", len(items), reason)
                return self._split(session, items)
            return self._refused_alone(session, items[0].trade, reason)
        tx_hash = HexBytes(sent["transactionHash"]).to_0x_hex()
        for trade in trades:
            trade.settlement_status, trade.tx_hash = SettlementStatus.SUBMITTED, tx_hash
            trade.attempts += 1
            session.add(trade)
        session.commit()
        try:
            receipt = self.chain.wait(tx_hash, timeout=self.wait_seconds)
        except ChainRejected:  # mined, reverted as a whole (out of gas, most likely)
            if self.chain.receipt_or_none(tx_hash) is None:  # reorganised away: the next pass looks again
                raise
            self._reverted(session, trades, tx_hash)
            if len(items) > 1:
                log.warning("settle() of %d trades reverted as a whole (%s): splitting", len(items), tx_hash)
                return self._split(session, items)
            return sum(t.settlement_status != SettlementStatus.PENDING for t in trades)
        self._record(session, trades, receipt, gas)
        return sum(t.settlement_status != SettlementStatus.PENDING for t in trades)

    def _split(self, session: Session, items: list[Prepared]) -> int:
        half = len(items) // 2
        return self._settle(session, items[:half]) + self._settle(session, items[half:])

    def _call(self, fn: Any) -> Any:
        return {"from": self.chain.operator.address, "to": fn.address, "data": HexBytes(calldata(fn))}

    def _reason(self, exc: Exception) -> str:
        name, args = self.chain.decode_error(getattr(exc, "data", None))
        return f"{name}({', '.join(map(str, args))})" if name else str(exc)

    def _refused_alone(self, session: Session, trade: TradeRecord, reason: str) -> int:
        """settle() of this one trade reverts as a whole (its estimate failed): an attempt, and
        after MAX_ATTEMPTS of them the trade fails (unless the chain says it settled)."""
        trade.attempts += 1
        self._problem = self.last_error = f"settle() of trade {trade.id} reverts as a whole: {reason}"
        log.warning(self._problem)
        if trade.attempts >= MAX_ATTEMPTS:
            self._give_up(trade, None, f"settle() of this trade alone reverted {trade.attempts} times: {reason}")
        session.add(trade)
        session.commit()
        return int(trade.settlement_status != SettlementStatus.PENDING)

    def _reverted(self, session: Session, trades: list[TradeRecord], tx_hash: str) -> None:
        """A mined transaction that reverted as a whole: its trades back to the outbox. Counted
        against a trade only when the transaction carried it alone."""
        self._problem = f"settle() transaction {tx_hash} reverted as a whole: {len(trades)} trade(s) back to the outbox"
        log.warning(self._problem)
        for trade in trades:
            trade.settlement_status, trade.tx_hash = SettlementStatus.PENDING, None
            if len(trades) > 1:
                trade.attempts -= 1  # the batch's doing, not the trade's
            elif trade.attempts >= MAX_ATTEMPTS:
                self._give_up(trade, tx_hash, f"the settlement transaction reverted {trade.attempts} times")
            session.add(trade)
        session.commit()

    def _confirm_submitted(self, session: Session) -> int:
        """Resolve the transactions of `submitted` trades; returns how many trades moved (a
        transaction still in the node's pool moves nothing: the loop then waits its interval)."""
        submitted = list(
            session.exec(select(TradeRecord).where(TradeRecord.settlement_status == SettlementStatus.SUBMITTED))
        )
        by_tx: dict[str, list[TradeRecord]] = {}
        for trade in submitted:
            by_tx.setdefault(trade.tx_hash or "", []).append(trade)
        waiting = 0
        for tx_hash, trades in by_tx.items():
            receipt = self.chain.receipt_or_none(tx_hash) if tx_hash else None
            if receipt is not None and receipt["status"] == 1:
                self._record(session, trades, receipt, self._sent_gas(tx_hash))
                continue
            if receipt is None:
                if tx_hash and self.chain.will_be_mined(tx_hash):
                    waiting += len(trades)
                    continue  # still in the node's pool: wait for it
                for trade in trades:  # dropped: back to the outbox
                    trade.settlement_status, trade.tx_hash = SettlementStatus.PENDING, None
                    session.add(trade)
                session.commit()
            else:
                self._reverted(session, trades, tx_hash)
        return len(submitted) - waiting

    def _sent_gas(self, tx_hash: str) -> int | None:
        """The gas limit the transaction was sent with (None: the node no longer has it)."""
        try:
            tx = self.chain._rpc(lambda: self.chain.w3.eth.get_transaction(tx_hash))  # type: ignore[arg-type]
        except TransactionNotFound:
            return None
        return int(tx["gas"]) if tx is not None else None

    def _give_up(self, trade: TradeRecord, tx_hash: str | None, reason: str) -> None:
        """After MAX_ATTEMPTS: failed, unless an earlier transaction settled it."""
        exchange = self.chain.core("settlement_exchange")
        settled = exchange.functions.settled(HexBytes(trade.chain_trade_id or "0x"), trade.trade_seq)
        if trade.chain_trade_id and self.chain.call(settled):
            trade.settlement_status, trade.settled_at = SettlementStatus.SETTLED, utcnow()
            return
        trade.settlement_status, trade.tx_hash, trade.failure_reason = SettlementStatus.FAILED, tx_hash, reason
        log.error("trade %s failed: %s", trade.id, reason)

    def _record(self, session: Session, trades: list[TradeRecord], receipt: dict[str, Any], gas: int | None) -> None:
        exchange = self.chain.core("settlement_exchange")
        settled = {
            HexBytes(e["args"]["tradeId"]).to_0x_hex()
            for e in exchange.events.TradeSettled().process_receipt(receipt, errors=DISCARD)
        }
        failed = {
            HexBytes(e["args"]["tradeId"]).to_0x_hex(): int(e["args"]["code"])
            for e in exchange.events.TradeFailed().process_receipt(receipt, errors=DISCARD)
        }
        tx_hash = HexBytes(receipt["transactionHash"]).to_0x_hex()
        starved = gas is not None and int(receipt["gasUsed"]) >= STARVED_SHARE * gas
        for trade in trades:
            code = failed.get(trade.chain_trade_id)
            if trade.chain_trade_id in settled or code == ALREADY_SETTLED:
                trade.settlement_status, trade.settled_at = SettlementStatus.SETTLED, utcnow()
                # code 1: settled by an earlier transaction we lost track of
                trade.tx_hash = None if code == ALREADY_SETTLED else tx_hash
            elif code in TRANSFER_CODES and starved and trade.attempts < MAX_ATTEMPTS:
                log.warning("trade %s: code %s in a transaction out of gas, sent again", trade.id, code)
                trade.settlement_status, trade.tx_hash = SettlementStatus.PENDING, None
            elif code is not None:
                trade.settlement_status, trade.failure_code = SettlementStatus.FAILED, code
                trade.failure_reason = FAILURE_REASONS.get(code, f"code {code}")
                trade.tx_hash = tx_hash
            else:
                trade.settlement_status, trade.tx_hash = SettlementStatus.PENDING, None
            session.add(trade)
        session.commit()
