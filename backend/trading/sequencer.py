"""One sequencer per market: journal a command, apply it to the pure engine, in order.

The engine (backend.matching) is deterministic, so the journal is the book: a restart
replays each market's journal into a fresh engine and gets the same state. The caller
commits the journal row together with the command's effects (orders, trades) in one
database transaction, so an acknowledged command is never lost and never half-applied.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from enum import Enum
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import Session, select

from backend.clock import utcnow
from backend.matching import (
    CancelAll,
    CancelOrder,
    Expire,
    Halt,
    MarketConfig,
    MatchingEngine,
    OpenAuction,
    OrderType,
    PlaceOrder,
    Resume,
    Side,
    TimeInForce,
)
from backend.models.compliance import Investor
from backend.models.trading import JournalEntry
from backend.trading.balances import BalanceReader
from backend.trading.feed import Feed

COMMANDS: dict[str, type] = {
    c.__name__: c for c in (PlaceOrder, CancelOrder, CancelAll, Halt, Resume, Expire, OpenAuction)
}
ENUM_FIELDS: dict[str, type[Enum]] = {"side": Side, "type": OrderType, "tif": TimeInForce}
_JOURNAL_INSERT = insert(JournalEntry.__table__)  # type: ignore[attr-defined]  # built once


_FIELD_NAMES: dict[type, tuple[str, ...]] = {c: tuple(f.name for f in dataclasses.fields(c)) for c in COMMANDS.values()}


def encode_command(command: Any) -> dict[str, Any]:
    """The journal's JSON of a command: its kind and fields (every field a scalar, so no deep
    copy as dataclasses.asdict makes: on the path of every order)."""
    cls = type(command)
    data: dict[str, Any] = {"kind": cls.__name__}
    for name in _FIELD_NAMES.get(cls) or tuple(f.name for f in dataclasses.fields(command)):
        value = getattr(command, name)
        data[name] = value.value if isinstance(value, Enum) else value
    return data


def decode_command(data: dict[str, Any]) -> Any:
    """The command of a journal row. A field the row lacks takes its default: rows written
    before PlaceOrder had ``expires_ts`` replay as orders that never expire."""
    fields = dict(data)
    cls = COMMANDS[fields.pop("kind")]
    for name, enum in ENUM_FIELDS.items():
        if name in fields and fields[name] is not None:
            fields[name] = enum(fields[name])
    return cls(**fields)


def now_ns() -> int:
    return time.time_ns()


LEGACY_PHASES: dict[str, Any] = {"auction_ns": 0, "limit_state_ns": 0}
"""MarketConfig fields for Settings that do not name the call auction and limit state
yet: halts end straight into continuous trading, a band breach halts at once."""


def market_config(settings: Any) -> MarketConfig:
    """Every market's circuit breakers from the Settings (`market_*`, seconds -> ns).
    The call auction and limit state (`market_auction_seconds`,
    `market_auction_collar_bps`, `market_limit_state_seconds`) when the Settings have them."""
    phases = dict(LEGACY_PHASES)
    auction = getattr(settings, "market_auction_seconds", None)
    if auction is not None:
        phases["auction_ns"] = auction * 1_000_000_000
        phases["auction_collar_bps"] = getattr(settings, "market_auction_collar_bps", None)
    limit_state = getattr(settings, "market_limit_state_seconds", None)
    if limit_state is not None:
        phases["limit_state_ns"] = limit_state * 1_000_000_000
    return MarketConfig(
        band_bps=settings.market_band_bps,
        reference_window_ns=settings.market_reference_window_seconds * 1_000_000_000,
        halt_ns=settings.market_halt_seconds * 1_000_000_000,
        collar_bps=settings.market_collar_bps,
        **phases,
    )


class Market:
    def __init__(self, symbol: str, engine: MatchingEngine, next_seq: int):
        self.symbol = symbol
        self.engine = engine
        self.next_seq = next_seq
        self.lock = threading.RLock()
        self.stale = False  # the engine ran ahead of a failed commit: rebuild before the next command
        self.auction_seen: Any = None  # the call's figures last published (None: no call)
        self.hashes: dict[str, str] = {}  # order id -> EIP-712 hash of orders resting here (projection)

    def submit(self, session: Session, command: Any, journal: list[dict[str, Any]] | None = None) -> list[Any]:
        """Journal and apply `command`; the caller holds `lock` and commits the session.
        The journal row is a plain INSERT in the session's transaction (nothing reads the
        object back, so no ORM object or unit of work for it); with `journal` (a batch's
        projection.Rows) the row is left there for the caller's one INSERT of the batch.

        A new market (empty journal) opens through a call auction when calls are configured:
        its first command is preceded by an ``OpenAuction`` at the same ts, journaled like any
        other (so the first orders of a new listing, which reach the engine only once its
        required disclosures are filed, meet in an opening call instead of the first one
        taking whatever rests)."""
        events: list[Any] = []
        if self.next_seq == 1 and self.engine.sequence == 0 and self.engine.config.auction_ns > 0:
            events = self._journal_and_apply(session, OpenAuction(ts=command.ts), journal)
        return events + self._journal_and_apply(session, command, journal)

    def _journal_and_apply(self, session: Session, command: Any, journal: list[dict[str, Any]] | None) -> list[Any]:
        row = {"symbol": self.symbol, "seq": self.next_seq, "command": encode_command(command), "created_at": utcnow()}
        if journal is None:
            session.connection().execute(_JOURNAL_INSERT, row)
        else:
            journal.append(row)
        events = self.engine.apply(command)
        self.next_seq += 1
        return events


class Venue:
    """The markets of this process, each rebuilt from its journal on first use."""

    def __init__(self, engine_factory: Any = None, feed: Feed | None = None):
        self.feed = feed or Feed()
        self.balances = BalanceReader()  # the funds check's node reads and what they remember
        self._markets: dict[str, Market] = {}
        self._investor_locks: dict[int, threading.Lock] = {}
        self._lock = threading.Lock()
        self._engine_factory = engine_factory or (lambda: MatchingEngine(MarketConfig(**LEGACY_PHASES)))

    def cancel_orders_if_barred(self, session: Session, investor: Investor) -> int:
        """compliance's OrderCanceller: orders die with the right to trade (revocations.py)."""
        from backend.trading import revocations  # it imports this module

        return revocations.cancel_if_barred(session, self, investor)

    @classmethod
    def for_settings(cls, settings: Any, feed: Feed | None = None) -> Venue:
        """A venue whose markets use the circuit breakers configured in `settings`."""
        config = market_config(settings)
        return cls(engine_factory=lambda: MatchingEngine(config), feed=feed)

    def market(self, session: Session, symbol: str) -> Market:
        with self._lock:
            market = self._markets.get(symbol)
            if market is None:
                market = self._replay(session, symbol)
                self._markets[symbol] = market
            return market

    def investor_lock(self, investor_id: int) -> threading.Lock:
        """Serializes one investor's order entry: funds are checked and reserved atomically."""
        with self._lock:
            return self._investor_locks.setdefault(investor_id, threading.Lock())

    def loaded(self) -> list[Market]:
        with self._lock:
            return list(self._markets.values())

    def reset(self, symbol: str) -> None:
        """Forget a market so it is replayed from the journal on next use. Not after a failed
        commit while other threads may hold the Market (they would sequence on a second
        engine): use `rebuild` under the market's lock for that."""
        with self._lock:
            self._markets.pop(symbol, None)

    def rebuild(self, session: Session, market: Market) -> None:
        """Replay the journal into a fresh engine for `market`, in place (the caller holds its
        lock): after a failed commit its engine had run ahead of the database. The Market
        object and its lock stay the same, so threads already waiting on the lock sequence
        on the rebuilt engine, never on a stale one."""
        fresh = self._replay(session, market.symbol)
        market.engine, market.next_seq, market.stale = fresh.engine, fresh.next_seq, False
        market.hashes = {}  # it may hold orders of a commit that failed; the rest are read back

    def _replay(self, session: Session, symbol: str) -> Market:
        engine = self._engine_factory()
        rows = session.exec(select(JournalEntry).where(JournalEntry.symbol == symbol).order_by(JournalEntry.seq))  # type: ignore[arg-type]
        last = 0
        for row in rows:
            engine.apply(decode_command(row.command))
            last = row.seq
        count = session.exec(select(func.count()).select_from(JournalEntry).where(JournalEntry.symbol == symbol)).one()
        assert count == last, f"journal of {symbol} has gaps"
        return Market(symbol, engine, next_seq=last + 1)
