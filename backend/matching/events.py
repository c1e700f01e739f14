"""Events: the only outputs of an engine. ``apply`` returns them in causal order."""

from __future__ import annotations

from dataclasses import dataclass

from backend.matching.types import OrderType, RejectCode, Side, TimeInForce


@dataclass(frozen=True, slots=True)
class OrderAccepted:
    order_id: str
    owner: str
    side: Side
    type: OrderType
    price: int | None
    quantity: int
    tif: TimeInForce
    post_only: bool
    ts: int


@dataclass(frozen=True, slots=True)
class OrderRejected:
    """A refused command; nothing changed. For MARKET_HALTED, ``halt_reason`` and
    ``until_ts`` say why and until when (None: until an operator resumes)."""

    order_id: str
    code: RejectCode
    message: str
    halt_reason: str | None = None
    until_ts: int | None = None


@dataclass(frozen=True, slots=True)
class OrderRested:
    order_id: str
    remaining: int


@dataclass(frozen=True, slots=True)
class Trade:
    trade_seq: int
    maker_order_id: str
    taker_order_id: str
    maker_owner: str
    taker_owner: str
    taker_side: Side
    price: int
    quantity: int
    ts: int


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    order_id: str
    remaining: int
    reason: str


@dataclass(frozen=True, slots=True)
class OrderDone:
    """The order is fully filled."""

    order_id: str


@dataclass(frozen=True, slots=True)
class MarketHalted:
    reason: str
    until_ts: int | None
    ts: int = 0


@dataclass(frozen=True, slots=True)
class MarketResumed:
    ts: int


Event = (
    OrderAccepted
    | OrderRejected
    | OrderRested
    | Trade
    | OrderCancelled
    | OrderDone
    | MarketHalted
    | MarketResumed
)
