"""What must hold after any crash: checked against the REST API, the database and the chain.

* every acknowledged order is in the database, and every fill it was acknowledged with;
* the trades in the database are exactly the trades a replay of the journal produces
  (no trade lost, none invented), and the live book equals the replayed book;
* each trade settled on chain at most once, and the database agrees with the chain about
  which ones settled;
* each trader's on-chain balances equal its starting balances plus its settled trades;
* the operator has no transaction stuck behind a nonce gap (pending nonce == latest).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hexbytes import HexBytes
from sqlmodel import Session, select

from backend.chain.client import Chain
from backend.db import make_engine
from backend.demo.wallet import token_balance
from backend.matching import MatchingEngine, Trade
from backend.models.settlement import TradeRecord
from backend.models.trading import JournalEntry, Order
from backend.trading.sequencer import decode_command, market_config
from bench.stack import MarketSetup, Stack

Balances = dict[str, tuple[int, int]]  # wallet -> (asset units, cash units)


@dataclass
class Verdict:
    acknowledged: int = 0
    missing_orders: list[str] = field(default_factory=list)
    missing_fills: list[str] = field(default_factory=list)
    trades: int = 0
    lost_trades: list[int] = field(default_factory=list)  # in the journal's replay, not in the database
    extra_trades: list[int] = field(default_factory=list)  # in the database, not in the replay
    book_matches_replay: bool = False
    open_orders_match_replay: bool = False
    settled: int = 0
    failed: Counter = field(default_factory=Counter)
    unfinished: int = 0
    doubled: int = 0  # trade ids settled on chain more than once
    settled_disagree: int = 0  # settled in the database xor on chain
    balance_mismatches: list[str] = field(default_factory=list)
    nonce_latest: int = 0
    nonce_pending: int = 0

    @property
    def lost(self) -> int:
        return len(self.missing_orders) + len(self.missing_fills) + len(self.lost_trades)

    @property
    def ok(self) -> bool:
        return (
            not self.lost
            and not self.extra_trades
            and self.book_matches_replay
            and self.open_orders_match_replay
            and not self.unfinished
            and not self.doubled
            and not self.settled_disagree
            and not self.balance_mismatches
            and self.nonce_latest == self.nonce_pending
        )

    def summary(self) -> str:
        return (
            f"acknowledged {self.acknowledged}, trades {self.trades} (settled {self.settled}, failed "
            f"{sum(self.failed.values())}, unfinished {self.unfinished}), lost {self.lost}, doubled "
            f"{self.doubled}, extra {len(self.extra_trades)}, book=replay {self.book_matches_replay}, "
            f"open orders=replay {self.open_orders_match_replay}, db/chain settled disagree "
            f"{self.settled_disagree}, balance mismatches {len(self.balance_mismatches)}, operator nonce "
            f"latest {self.nonce_latest} pending {self.nonce_pending}"
        )


def balances(stack: Stack, setup: MarketSetup) -> Balances:
    return {
        t.wallet.address: (
            token_balance(str(stack.rpc_url), setup.token, t.wallet.address),
            token_balance(str(stack.rpc_url), setup.cash_token, t.wallet.address),
        )
        for t in setup.traders
    }


def check(stack: Stack, setup: MarketSetup, acknowledged: dict[str, dict[str, Any]], baseline: Balances) -> Verdict:
    """`acknowledged`: order id -> the last response body the client got for it."""
    verdict = Verdict(acknowledged=len(acknowledged))
    settings = stack.settings()
    engine = make_engine(settings.database_url)
    chain = Chain(settings)
    try:
        with Session(engine) as session:
            _orders_and_fills(session, acknowledged, verdict)
            trades = list(session.exec(select(TradeRecord).where(TradeRecord.symbol == setup.symbol)))
            _replay(session, stack, setup, settings, trades, verdict)
            orders = {o.id: o for o in session.exec(select(Order).where(Order.symbol == setup.symbol))}
        _settlement(chain, setup, trades, verdict)
        _balances(stack, setup, trades, orders, baseline, verdict)
        verdict.nonce_latest, verdict.nonce_pending = chain.operator_nonces()
    finally:
        engine.dispose()
    return verdict


def _orders_and_fills(session: Session, acknowledged: dict[str, dict[str, Any]], verdict: Verdict) -> None:
    for order_id, body in acknowledged.items():
        if session.get(Order, order_id) is None:
            verdict.missing_orders.append(order_id)
        for fill in body.get("fills", []):
            if session.get(TradeRecord, fill["trade_id"]) is None:
                verdict.missing_fills.append(fill["trade_id"])


def _replay(
    session: Session, stack: Stack, setup: MarketSetup, settings: Any, trades: list[TradeRecord], verdict: Verdict
) -> None:
    engine = MatchingEngine(market_config(settings))
    replayed: dict[int, Trade] = {}
    journal = session.exec(select(JournalEntry).where(JournalEntry.symbol == setup.symbol).order_by(JournalEntry.seq))  # type: ignore[arg-type]
    for row in journal:
        for event in engine.apply(decode_command(row.command)):
            if isinstance(event, Trade):
                replayed[event.trade_seq] = event
    stored = {t.trade_seq: t for t in trades}
    verdict.trades = len(stored)
    verdict.lost_trades = sorted(set(replayed) - set(stored))
    verdict.extra_trades = sorted(set(stored) - set(replayed))
    for seq in set(replayed) & set(stored):
        event, record = replayed[seq], stored[seq]
        maker_taker = {event.maker_order_id, event.taker_order_id}
        if (event.price, event.quantity) != (record.price_ticks, record.quantity_lots) or maker_taker != {
            record.buy_order_id,
            record.sell_order_id,
        }:
            verdict.extra_trades.append(seq)  # recorded differently from what the journal says
    with stack.client() as client:
        live = client.get(f"/v1/markets/{setup.symbol}/book").json()

    def levels(rows: list[list[str]]) -> list[tuple[int, int]]:
        return [(int(Decimal(p) * 100), int(Decimal(q))) for p, q in rows]

    bids, asks = engine.depth(None)
    verdict.book_matches_replay = (levels(live["bids"]), levels(live["asks"])) == (list(bids), list(asks))
    resting = {o.order_id: o.remaining for o in engine.resting_orders()}
    open_rows = {
        o.id: o.quantity_lots - o.filled_lots
        for o in session.exec(
            select(Order).where(Order.symbol == setup.symbol, Order.status.in_(("open", "partially_filled")))  # type: ignore[attr-defined]
        )
    }
    verdict.open_orders_match_replay = resting == open_rows


def _settlement(chain: Chain, setup: MarketSetup, trades: list[TradeRecord], verdict: Verdict) -> None:
    exchange = chain.core("settlement_exchange")
    logs = exchange.events.TradeSettled().get_logs(from_block=chain.deployment.block)
    ids = {t.chain_trade_id for t in trades}
    onchain = Counter(HexBytes(e["args"]["tradeId"]).to_0x_hex() for e in logs)
    verdict.doubled = sum(n - 1 for trade_id, n in onchain.items() if n > 1 and trade_id in ids)
    for trade in trades:
        if trade.settlement_status == "settled":
            verdict.settled += 1
        elif trade.settlement_status == "failed":
            verdict.failed[trade.failure_reason or str(trade.failure_code)] += 1
        else:
            verdict.unfinished += 1
        if (trade.settlement_status == "settled") != (onchain[trade.chain_trade_id] > 0):
            verdict.settled_disagree += 1


def _balances(
    stack: Stack,
    setup: MarketSetup,
    trades: list[TradeRecord],
    orders: dict[str, Order],
    baseline: Balances,
    verdict: Verdict,
) -> None:
    """Starting balances + settled trades (asset lot 1 = 10^18 units, tick 0.01 = 10^4 cash units).
    Worked out here from the market's sizes, not with backend.assets.units: an oracle of its own."""
    expected = {wallet: list(values) for wallet, values in baseline.items()}
    for trade in trades:
        if trade.settlement_status != "settled":
            continue
        units, cash = trade.quantity_lots * 10**18, trade.price_ticks * 10**4 * trade.quantity_lots
        buyer, seller = orders[trade.buy_order_id].wallet, orders[trade.sell_order_id].wallet
        expected[buyer][0] += units
        expected[buyer][1] -= cash
        expected[seller][0] -= units
        expected[seller][1] += cash
    for wallet, actual in balances(stack, setup).items():
        if tuple(expected[wallet]) != actual:
            verdict.balance_mismatches.append(f"{wallet}: expected {tuple(expected[wallet])}, on chain {actual}")
