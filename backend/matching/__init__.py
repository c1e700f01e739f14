"""Pure, deterministic matching for one market.

No I/O, no clock, no database, no floats: integer ticks and lots in, events out.
The service wraps an engine in a per-market sequencer that journals commands and
replays them on restart; ``state_hash`` proves the replay rebuilt the same state.

    engine = MatchingEngine(MarketConfig())
    events = engine.apply(PlaceOrder("o1", "alice", Side.BUY, OrderType.LIMIT, 100, 5, ts=now_ns))
"""

from backend.matching.base import EngineBase
from backend.matching.commands import CancelAll, CancelOrder, Command, Halt, PlaceOrder, Resume
from backend.matching.engine import MatchingEngine
from backend.matching.events import (
    Event,
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
    VOLATILITY,
    CancelReason,
    MarketConfig,
    OrderType,
    RejectCode,
    RestingOrder,
    Side,
    TimeInForce,
)

__all__ = [
    "BPS",
    "VOLATILITY",
    "CancelAll",
    "CancelOrder",
    "CancelReason",
    "Command",
    "EngineBase",
    "Event",
    "Halt",
    "MarketConfig",
    "MarketHalted",
    "MarketResumed",
    "MatchingEngine",
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
