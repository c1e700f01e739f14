"""Commands: the only inputs of an engine. One frozen dataclass per command.

Every command carries ``ts`` (nanoseconds since the epoch, from the caller's clock);
the engine never reads a clock of its own. Time only moves with commands: ``Expire``
is a command that does nothing but advance it, so that resting orders leave the book at
their ``expires_ts`` with no other traffic, through the journal like everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from backend.matching.types import OrderType, RejectCode, Side, TimeInForce


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    order_id: str
    owner: str
    side: Side
    type: OrderType
    price: int | None
    quantity: int
    tif: TimeInForce = TimeInForce.GTC
    post_only: bool = False
    ts: int = 0
    expires_ts: int | None = None  # ns; rests until the first command with ts >= it (None: never)


@dataclass(frozen=True, slots=True)
class CancelOrder:
    order_id: str
    owner: str
    ts: int = 0


@dataclass(frozen=True, slots=True)
class CancelAll:
    owner: str
    ts: int = 0


@dataclass(frozen=True, slots=True)
class Halt:
    """Operator kill switch. ``until_ts=None`` halts until a ``Resume``."""

    reason: str
    ts: int = 0
    until_ts: int | None = None


@dataclass(frozen=True, slots=True)
class Resume:
    ts: int = 0


@dataclass(frozen=True, slots=True)
class Expire:
    """Advance the engine clock to ``ts`` and nothing else: what is due by then happens,
    as at the start of every command (resting orders whose expires_ts has come are
    cancelled; a limit state, halt or call whose end has come ends: a call uncrosses)."""

    ts: int = 0


@dataclass(frozen=True, slots=True)
class OpenAuction:
    """Open the market through a call auction (a new listing, or one whose required
    disclosures are first filed): a call of ``auction_ns`` starts now, ending any halt or
    limit state. Its collars are around the last trade price, if the market has one."""

    ts: int = 0


Command = PlaceOrder | CancelOrder | CancelAll | Halt | Resume | Expire | OpenAuction


class ValidOrder(NamedTuple):
    """The normalized enums of a PlaceOrder that passed validation."""

    side: Side
    type: OrderType
    tif: TimeInForce


class Invalid(NamedTuple):
    code: RejectCode
    message: str


def is_int(value: object) -> bool:
    """True for a plain int only: bool, float, Decimal and int subclasses are refused."""
    return type(value) is int


# Enum members hash and compare like their string values, so these also accept "buy".
_SIDES = {s.value: s for s in Side}
_TYPES = {t.value: t for t in OrderType}
_TIFS = {t.value: t for t in TimeInForce}


def _enum(table: dict[str, Any], value: object) -> Any:
    try:
        return table.get(value)  # type: ignore[call-overload]
    except TypeError:  # unhashable
        return None


def validate_place(cmd: PlaceOrder) -> ValidOrder | Invalid:
    """Check a PlaceOrder's own fields (not the book). Enum fields may be given as
    their string values ("buy", "limit", "IOC") and are normalized."""
    if not isinstance(cmd.order_id, str) or not cmd.order_id:
        return Invalid(RejectCode.INVALID_ORDER, "order_id must be a non-empty string")
    if not isinstance(cmd.owner, str) or not cmd.owner:
        return Invalid(RejectCode.INVALID_ORDER, "owner must be a non-empty string")
    side, otype, tif = _enum(_SIDES, cmd.side), _enum(_TYPES, cmd.type), _enum(_TIFS, cmd.tif)
    if side is None or otype is None or tif is None:
        return Invalid(RejectCode.INVALID_ORDER, f"bad side/type/tif: {cmd.side!r}/{cmd.type!r}/{cmd.tif!r}")
    if type(cmd.post_only) is not bool:
        return Invalid(RejectCode.INVALID_ORDER, "post_only must be a bool")
    if not is_int(cmd.quantity) or cmd.quantity <= 0:
        return Invalid(RejectCode.INVALID_QUANTITY, f"quantity must be an int >= 1 lot, got {cmd.quantity!r}")
    price = cmd.price
    if otype is OrderType.LIMIT and price is None:
        return Invalid(RejectCode.INVALID_PRICE, "a limit order needs a price")
    if price is not None and (not is_int(price) or price <= 0):
        return Invalid(RejectCode.INVALID_PRICE, f"price must be an int >= 1 tick, got {price!r}")
    if cmd.post_only and (otype is not OrderType.LIMIT or tif is not TimeInForce.GTC):
        return Invalid(RejectCode.INVALID_ORDER, "post_only needs a limit GTC order")
    if cmd.expires_ts is not None and not is_int(cmd.expires_ts):
        return Invalid(RejectCode.INVALID_ORDER, f"expires_ts must be an int (ns) or None, got {cmd.expires_ts!r}")
    return ValidOrder(side, otype, tif)
