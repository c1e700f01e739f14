"""Pure, deterministic matching for one market.

No I/O, no clock, no database, no floats: integer ticks and lots in, events out.
The service wraps an engine in a per-market sequencer that journals commands and
replays them on restart; ``state_hash`` proves the replay rebuilt the same state.

    engine = MatchingEngine(MarketConfig())
    events = engine.apply(PlaceOrder("o1", "alice", Side.BUY, OrderType.LIMIT, 100, 5, ts=now_ns))

Commands: PlaceOrder (optionally with ``expires_ts``), CancelOrder, CancelAll, Halt,
Resume, OpenAuction (a new listing opens through a call auction) and Expire (advances
the clock only: expires due orders, ends a limit state, halt or call whose time came;
``next_expiry()`` and ``next_deadline()`` say when).

Phases (``phase``): continuous, limit_state, halted, auction; every halt ends in a call
auction that uncrosses at one price (``auction_state()``: the indicative figures).
docs/market-structure.md has the rules and why.

``make matching-native`` compiles the core with mypyc (about 3x as fast); ``COMPILED``
says whether this process runs that build or pure Python (see ``native``: a stale or
broken build falls back to pure Python with a warning; ``RWA_MATCHING_PURE=1`` forces it).
"""

import sys

from backend.matching import native  # first: picks the compiled or the pure modules
from backend.matching.base import EngineBase
from backend.matching.commands import CancelAll, CancelOrder, Command, Expire, Halt, OpenAuction, PlaceOrder, Resume
from backend.matching.engine import MatchingEngine
from backend.matching.events import (
    AuctionExtended,
    AuctionStarted,
    AuctionUncrossed,
    Event,
    LimitStateEnded,
    LimitStateStarted,
    MarketHalted,
    MarketResumed,
    OrderAccepted,
    OrderCancelled,
    OrderDone,
    OrderRejected,
    OrderRested,
    Trade,
)
from backend.matching.reference_book import ReferenceEngine
from backend.matching.types import (
    BPS,
    NO_AUCTION,
    OPENING,
    REOPENING,
    VOLATILITY,
    AuctionState,
    CancelReason,
    MarketConfig,
    OrderType,
    RejectCode,
    RestingOrder,
    Side,
    TimeInForce,
)

COMPILED: bool = native.is_compiled(sys.modules["backend.matching.engine"])
"""True when the mypyc-compiled matching core is in use, False for pure Python."""

__all__ = [
    "BPS",
    "COMPILED",
    "NO_AUCTION",
    "OPENING",
    "REOPENING",
    "VOLATILITY",
    "AuctionExtended",
    "AuctionStarted",
    "AuctionState",
    "AuctionUncrossed",
    "CancelAll",
    "CancelOrder",
    "CancelReason",
    "Command",
    "EngineBase",
    "Event",
    "Expire",
    "Halt",
    "LimitStateEnded",
    "LimitStateStarted",
    "MarketConfig",
    "MarketHalted",
    "MarketResumed",
    "MatchingEngine",
    "OpenAuction",
    "OrderAccepted",
    "OrderCancelled",
    "OrderDone",
    "OrderRejected",
    "OrderRested",
    "OrderType",
    "PlaceOrder",
    "ReferenceEngine",
    "RejectCode",
    "RestingOrder",
    "Resume",
    "Side",
    "TimeInForce",
    "Trade",
]
