"""Value types of the matching engine: enums, result codes, market configuration.

Units are integers throughout: prices in ticks (>= 1), quantities in lots (>= 1),
times in nanoseconds supplied by the caller. ``Decimal`` lives at the API edge only,
and ``float`` nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

BPS = 10_000
"""Basis points in one whole (100%)."""


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    LIMIT = "limit"
    MARKET = "market"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class RejectCode(StrEnum):
    """Why a command was refused. Values follow the dotted error codes of API.md."""

    # order.* -- the order itself is malformed
    INVALID_ORDER = "order.invalid"
    INVALID_QUANTITY = "order.invalid_quantity"
    INVALID_PRICE = "order.invalid_price"
    DUPLICATE_ORDER_ID = "order.duplicate_order_id"
    # order.* -- well formed, but cannot execute as asked
    WOULD_CROSS = "order.would_cross"
    FOK_UNFILLED = "order.fok_unfilled"
    ORDER_NOT_FOUND = "order.not_found"
    EXPIRED = "order.expired"  # the order's expires_ts is not after the command's time
    # market.* -- the market refuses new matching
    MARKET_HALTED = "market.halted"


class CancelReason(StrEnum):
    """``OrderCancelled.reason`` values (compare equal to the plain strings)."""

    USER = "user"  # CancelOrder
    CANCEL_ALL = "cancel_all"  # CancelAll
    IOC = "ioc"  # unfilled remainder of a limit IOC order
    MARKET_REMAINDER = "market_remainder"  # market order: book exhausted or own price cap
    COLLAR = "collar"  # market order: next price beyond the collar
    SELF_TRADE = "self_trade"  # resting order cancelled by self-trade prevention
    HALTED = "halted"  # taker remainder when its next trade tripped a volatility halt
    EXPIRED = "expired"  # resting order whose expires_ts came (at the start of a command)
    LIMIT_STATE = "limit_state"  # taker remainder whose next trade would print outside the band (limit state)
    AUCTION_COLLAR = "auction_collar"  # unfilled remainder priced through a collar-bound uncross price


VOLATILITY = "volatility"
"""``MarketHalted.reason`` of a halt tripped by the price band."""

OPENING = "opening"
"""Call auction of a market that has not opened yet (``OpenAuction``)."""
REOPENING = "reopening"
"""Call auction that ends a halt."""
NO_AUCTION = "none"
"""``AuctionState.phase`` outside a call."""


def _check_non_negative_int(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"MarketConfig.{name} must be a non-negative int, got {value!r}")


@dataclass(frozen=True, slots=True)
class MarketConfig:
    """Per-market circuit-breaker settings.

    band_bps: a trade more than band_bps from the reference price halts the market.
    reference_window_ns: the reference price is the floor average of the trade prices
        of the last reference_window_ns (by command ts); with no trade in the window it
        is the last trade price; before the first trade there is no reference and no band.
    halt_ns: length of a volatility halt.
    collar_bps: a market order trades only within collar_bps of the reference price
        (with no reference: of the best opposite price at its arrival).
    auction_ns: length of the call period that ends every halt (and of each extension);
        0 turns the call off: a halt ends straight into continuous trading, as before
        call auctions existed (a volatility halt then also clears the reference).
    auction_collar_bps: the uncross price must lie within this many bps of the call's
        reference (the last trade price); None: band_bps. Each extension widens the
        collars by band_bps.
    max_extensions: how many times a call is extended because its price falls outside
        the collars; after the last one it uncrosses inside the widest collars.
    limit_state_ns: a trade that would print outside the band first puts the market in
        a limit state for this long (LULD: 15 s); it halts only if the book has not
        recovered by then. 0: halt at once.
    """

    band_bps: int = 1000
    reference_window_ns: int = 300_000_000_000
    halt_ns: int = 300_000_000_000
    collar_bps: int = 500
    auction_ns: int = 300_000_000_000
    auction_collar_bps: int | None = None
    max_extensions: int = 3
    limit_state_ns: int = 15_000_000_000

    def __post_init__(self) -> None:
        for name in (
            "band_bps",
            "reference_window_ns",
            "halt_ns",
            "collar_bps",
            "auction_ns",
            "max_extensions",
            "limit_state_ns",
        ):
            _check_non_negative_int(name, getattr(self, name))
        if self.auction_collar_bps is not None:
            _check_non_negative_int("auction_collar_bps", self.auction_collar_bps)

    @property
    def call_collar_bps(self) -> int:
        """The collars of a call before any extension."""
        return self.band_bps if self.auction_collar_bps is None else self.auction_collar_bps


@dataclass(frozen=True, slots=True)
class RestingOrder:
    """A snapshot of an order resting on the book.

    ``seq`` is the engine-wide acceptance number: within a price level, lower seq
    trades first. ``expires_ts``: the order leaves the book at the first command with
    ts >= expires_ts (None: never).
    """

    order_id: str
    owner: str
    side: Side
    price: int
    quantity: int
    remaining: int
    seq: int
    ts: int
    expires_ts: int | None = None


@dataclass(frozen=True, slots=True)
class AuctionState:
    """What a call auction would do if it ended now (``EngineBase.auction_state``).

    phase: "none" (no call), "reopening" (a call ending a halt) or "opening" (a new
    listing's first call). indicative_price: the price the book would uncross at (None:
    nothing crosses); matched_quantity: lots that would trade there; imbalance: the
    side with more lots at that price than the other side, and by how much. collar_low
    and collar_high: the current collars (None with no reference).
    """

    phase: str
    ends_at: int | None = None
    indicative_price: int | None = None
    matched_quantity: int = 0
    imbalance_side: Side | None = None
    imbalance_quantity: int = 0
    reference_price: int | None = None
    collar_low: int | None = None
    collar_high: int | None = None
    extensions: int = 0
