"""The settlement worker: outbox -> settle() batches -> settled / failed.

Idempotent end to end. A trade is marked `submitted` with its tx hash (committed)
before we wait for the receipt, so after a crash we look the transaction up instead
of guessing. A dropped transaction sends its trades back to `pending`; the contract
refuses a trade id it has settled before (code 1), and we then record it as settled.
A transaction the node no longer knows (e.g. it lost transactions across a restart), or
holds queued behind a nonce gap, sends its trades back to the outbox; the next transaction
takes the node's pending nonce (Chain never keeps one of its own), so it fills any gap.
Should the queued one then be mined as well, the contract refuses its already-settled trade
ids (code 1) - nothing settles twice. A
transaction that reverts as a whole sends its trades back too, up to MAX_ATTEMPTS
submissions; then they are marked failed with that reason (unless the chain says the
trade id was settled after all).
"""

from __future__ import annotations

import logging
import threading
from decimal import Decimal
from typing import Any

from hexbytes import HexBytes
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from web3.logs import DISCARD

from backend.assets.models import Asset
from backend.chain.client import Chain
from backend.config import Settings
from backend.db import utcnow
from backend.errors import DomainError
from backend.money import ASSET_DECIMALS, CASH_DECIMALS, to_units
from backend.settlement.models import TradeRecord
from backend.trading.models import Order

log = logging.getLogger(__name__)

FAILURE_REASONS = {
    1: "trade id already settled",
    2: "orders do not form a valid buy/sell pair",
    3: "bad buy signature",
    4: "bad sell signature",
    5: "order expired",
    6: "order cancelled on chain",
    7: "price outside the orders' limits",
    8: "quantity exceeds what the orders have left",
    9: "asset transfer refused (compliance, balance or allowance)",
    10: "cash transfer refused (balance or allowance)",
}
ALREADY_SETTLED = 1
MAX_ATTEMPTS = 5


def trade_struct(trade: TradeRecord, buy: Order, sell: Order, asset: Asset) -> tuple:
    def order(o: Order) -> tuple:
        return (
            o.wallet,
            asset.token_address,
            o.side == "buy",
            int(o.signed_price),
            to_units(Decimal(asset.lot_size) * o.quantity_lots, ASSET_DECIMALS),
            int(o.nonce),
            o.expiry,
        )

    price = to_units(Decimal(asset.tick_size) * trade.price_ticks, CASH_DECIMALS)
    quantity = to_units(Decimal(asset.lot_size) * trade.quantity_lots, ASSET_DECIMALS)
    return (
        HexBytes(trade.chain_trade_id),
        order(buy),
        HexBytes(buy.signature),
        order(sell),
        HexBytes(sell.signature),
        price,
        quantity,
    )


class SettlementWorker:
    def __init__(self, db: Engine, chain: Chain, settings: Settings):
        self.db, self.chain, self.settings = db, chain, settings
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        # Trades pending or submitted at the start of the last pass (None: not counted yet);
        # order admission reads it to refuse new orders past settlement_max_backlog.
        self.backlog: int | None = None
        # How long one pass waits for its receipt; then the next pass looks the tx up again.
        self.wait_seconds = 30.0

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
                self.last_error = None
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
        """Confirm what was submitted, then submit one batch. Returns trades processed."""
        with Session(self.db, expire_on_commit=False) as session:
            # Counted before any chain call, so it stays current while the node is down.
            self.backlog = session.exec(
                select(func.count())
                .select_from(TradeRecord)
                .where(TradeRecord.settlement_status.in_(("pending", "submitted")))  # type: ignore[attr-defined]
            ).one()
            confirmed = self._confirm_submitted(session)
            batch = list(
                session.exec(
                    select(TradeRecord)
                    .where(TradeRecord.settlement_status == "pending")
                    .order_by(TradeRecord.created_at, TradeRecord.trade_seq)  # type: ignore[arg-type]
                    .limit(self.settings.settlement_batch_size)
                )
            )
            if not batch:
                return confirmed
            structs = []
            assets: dict[str, Asset] = {}
            for trade in batch:
                buy, sell = session.get(Order, trade.buy_order_id), session.get(Order, trade.sell_order_id)
                asset = assets.get(trade.symbol)
                if asset is None:
                    asset = assets[trade.symbol] = session.exec(select(Asset).where(Asset.symbol == trade.symbol)).one()
                structs.append(trade_struct(trade, buy, sell, asset))  # type: ignore[arg-type]
            exchange = self.chain.core("settlement_exchange")
            sent = self.chain.transact(exchange.functions.settle(structs), gas=self.gas_for(len(structs)), wait=False)
            tx_hash = HexBytes(sent["transactionHash"]).to_0x_hex()
            for trade in batch:
                trade.settlement_status, trade.tx_hash = "submitted", tx_hash
                trade.attempts += 1
                session.add(trade)
            session.commit()
            receipt = self.chain.wait(tx_hash, timeout=self.wait_seconds)
            self._record(session, batch, receipt)
            return confirmed + len(batch)

    def gas_for(self, trades: int) -> int:
        return 150_000 + 250_000 * trades

    def _confirm_submitted(self, session: Session) -> int:
        submitted = list(session.exec(select(TradeRecord).where(TradeRecord.settlement_status == "submitted")))
        by_tx: dict[str, list[TradeRecord]] = {}
        for trade in submitted:
            by_tx.setdefault(trade.tx_hash or "", []).append(trade)
        for tx_hash, trades in by_tx.items():
            receipt = self.chain.receipt_or_none(tx_hash) if tx_hash else None
            if receipt is not None and receipt["status"] == 1:
                self._record(session, trades, receipt)
                continue
            if receipt is None:
                if tx_hash and self.chain.will_be_mined(tx_hash):
                    continue  # still in the node's pool: wait for it
            for trade in trades:  # dropped, or reverted as a whole: back to the outbox
                trade.settlement_status, trade.tx_hash = "pending", None
                if receipt is not None and trade.attempts >= MAX_ATTEMPTS:
                    self._give_up(trade, tx_hash)
                session.add(trade)
            session.commit()
        return len(submitted)

    def _give_up(self, trade: TradeRecord, tx_hash: str) -> None:
        """After MAX_ATTEMPTS reverted transactions: failed, unless an earlier one settled it."""
        exchange = self.chain.core("settlement_exchange")
        if self.chain.call(exchange.functions.settled(HexBytes(trade.chain_trade_id))):
            trade.settlement_status, trade.settled_at = "settled", utcnow()
            return
        trade.settlement_status, trade.tx_hash = "failed", tx_hash
        trade.failure_reason = f"the settlement transaction reverted {trade.attempts} times"
        log.error("trade %s failed: %s", trade.id, trade.failure_reason)

    def _record(self, session: Session, trades: list[TradeRecord], receipt: dict[str, Any]) -> None:
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
        for trade in trades:
            code = failed.get(trade.chain_trade_id)
            if trade.chain_trade_id in settled or code == ALREADY_SETTLED:
                trade.settlement_status, trade.settled_at = "settled", utcnow()
                if code == ALREADY_SETTLED:  # settled by an earlier transaction we lost track of
                    trade.tx_hash = None
                else:
                    trade.tx_hash = tx_hash
            elif code is not None:
                trade.settlement_status, trade.failure_code = "failed", code
                trade.failure_reason = FAILURE_REASONS.get(code, f"code {code}")
                trade.tx_hash = tx_hash
            else:
                trade.settlement_status, trade.tx_hash = "pending", None
            session.add(trade)
        session.commit()
