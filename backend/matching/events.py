"""Events: the only outputs of an engine. ``apply`` returns them in causal order.

Frozen dataclasses with a hand-written ``__init__`` (``init=False``): compiled by mypyc
(``make matching-native``) it stores the fields natively, the engine's commonest cost;
in pure Python ``_fast_init`` below replaces it (its plain stores would hit the frozen
``__setattr__``). Same signature, fields, equality, hash and repr either way.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import Any

from backend.matching.types import OrderType, RejectCode, Side, TimeInForce


@dataclass(frozen=True, slots=True, init=False)
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

    def __init__(
        self,
        order_id: str,
        owner: str,
        side: Side,
        type: OrderType,
        price: int | None,
        quantity: int,
        tif: TimeInForce,
        post_only: bool,
        ts: int,
    ) -> None:
        self.order_id = order_id  # type: ignore[misc]
        self.owner = owner  # type: ignore[misc]
        self.side = side  # type: ignore[misc]
        self.type = type  # type: ignore[misc]
        self.price = price  # type: ignore[misc]
        self.quantity = quantity  # type: ignore[misc]
        self.tif = tif  # type: ignore[misc]
        self.post_only = post_only  # type: ignore[misc]
        self.ts = ts  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
class OrderRejected:
    """A refused command; nothing changed. For MARKET_HALTED, ``halt_reason`` and
    ``until_ts`` say why and until when (None: until an operator resumes)."""

    order_id: Any  # the command's order_id as given: not a str when the command was malformed
    code: RejectCode
    message: str
    halt_reason: str | None = None
    until_ts: int | None = None

    def __init__(
        self, order_id: Any, code: RejectCode, message: str, halt_reason: str | None = None, until_ts: int | None = None
    ) -> None:
        self.order_id = order_id  # type: ignore[misc]
        self.code = code  # type: ignore[misc]
        self.message = message  # type: ignore[misc]
        self.halt_reason = halt_reason  # type: ignore[misc]
        self.until_ts = until_ts  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
class OrderRested:
    order_id: str
    remaining: int

    def __init__(self, order_id: str, remaining: int) -> None:
        self.order_id = order_id  # type: ignore[misc]
        self.remaining = remaining  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
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

    def __init__(
        self,
        trade_seq: int,
        maker_order_id: str,
        taker_order_id: str,
        maker_owner: str,
        taker_owner: str,
        taker_side: Side,
        price: int,
        quantity: int,
        ts: int,
    ) -> None:
        self.trade_seq = trade_seq  # type: ignore[misc]
        self.maker_order_id = maker_order_id  # type: ignore[misc]
        self.taker_order_id = taker_order_id  # type: ignore[misc]
        self.maker_owner = maker_owner  # type: ignore[misc]
        self.taker_owner = taker_owner  # type: ignore[misc]
        self.taker_side = taker_side  # type: ignore[misc]
        self.price = price  # type: ignore[misc]
        self.quantity = quantity  # type: ignore[misc]
        self.ts = ts  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
class OrderCancelled:
    order_id: str
    remaining: int
    reason: str

    def __init__(self, order_id: str, remaining: int, reason: str) -> None:
        self.order_id = order_id  # type: ignore[misc]
        self.remaining = remaining  # type: ignore[misc]
        self.reason = reason  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
class OrderDone:
    """The order is fully filled."""

    order_id: str

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
class MarketHalted:
    reason: str
    until_ts: int | None
    ts: int = 0

    def __init__(self, reason: str, until_ts: int | None, ts: int = 0) -> None:
        self.reason = reason  # type: ignore[misc]
        self.until_ts = until_ts  # type: ignore[misc]
        self.ts = ts  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
class MarketResumed:
    ts: int

    def __init__(self, ts: int) -> None:
        self.ts = ts  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
class LimitStateStarted:
    """A trade would have printed outside the band: nothing prints outside it, and the
    market halts at ``until_ts`` unless the book has recovered (direction "down": a bid
    inside the band again; "up": an ask inside the band again)."""

    direction: str
    until_ts: int
    ts: int

    def __init__(self, direction: str, until_ts: int, ts: int) -> None:
        self.direction = direction  # type: ignore[misc]
        self.until_ts = until_ts  # type: ignore[misc]
        self.ts = ts  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
class LimitStateEnded:
    """The book recovered inside the band: continuous trading as usual."""

    ts: int

    def __init__(self, ts: int) -> None:
        self.ts = ts  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
class AuctionStarted:
    """A call period: orders and cancels accepted, nothing matches until ``ends_at``.
    kind: "reopening" or "opening"; collars None when there is no reference."""

    kind: str
    ends_at: int
    reference_price: int | None
    collar_low: int | None
    collar_high: int | None
    ts: int

    def __init__(
        self,
        kind: str,
        ends_at: int,
        reference_price: int | None,
        collar_low: int | None,
        collar_high: int | None,
        ts: int,
    ) -> None:
        self.kind = kind  # type: ignore[misc]
        self.ends_at = ends_at  # type: ignore[misc]
        self.reference_price = reference_price  # type: ignore[misc]
        self.collar_low = collar_low  # type: ignore[misc]
        self.collar_high = collar_high  # type: ignore[misc]
        self.ts = ts  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
class AuctionExtended:
    """The call's price (``indicative_price``) lay outside the collars: the call goes on
    until ``ends_at`` with the collars widened by one band."""

    ends_at: int
    extensions: int
    indicative_price: int
    collar_low: int
    collar_high: int
    ts: int

    def __init__(
        self, ends_at: int, extensions: int, indicative_price: int, collar_low: int, collar_high: int, ts: int
    ) -> None:
        self.ends_at = ends_at  # type: ignore[misc]
        self.extensions = extensions  # type: ignore[misc]
        self.indicative_price = indicative_price  # type: ignore[misc]
        self.collar_low = collar_low  # type: ignore[misc]
        self.collar_high = collar_high  # type: ignore[misc]
        self.ts = ts  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
class AuctionUncrossed:
    """The call ended: ``quantity`` lots trade at the one ``price`` (the Trades follow;
    price None when nothing crossed). Continuous trading resumes."""

    kind: str
    price: int | None
    quantity: int
    ts: int

    def __init__(self, kind: str, price: int | None, quantity: int, ts: int) -> None:
        self.kind = kind  # type: ignore[misc]
        self.price = price  # type: ignore[misc]
        self.quantity = quantity  # type: ignore[misc]
        self.ts = ts  # type: ignore[misc]


Event = (
    OrderAccepted
    | OrderRejected
    | OrderRested
    | Trade
    | OrderCancelled
    | OrderDone
    | MarketHalted
    | MarketResumed
    | LimitStateStarted
    | LimitStateEnded
    | AuctionStarted
    | AuctionExtended
    | AuctionUncrossed
)


def _fast_init(cls: type) -> None:
    """Give a frozen slotted dataclass a quicker ``__init__`` with the same signature
    (pure Python only: there, the class's own ``__init__`` would hit the frozen
    ``__setattr__``; compiled, its field stores are native).

    The generated one stores each field through ``object.__setattr__`` (the class
    refuses plain assignment); this one calls each slot's own setter, which is about a
    third quicker and matters on the matching hot path (an order emits 2-4 events).
    Same fields, order, defaults and result; the instances stay frozen.
    """
    names = [f.name for f in fields(cls)]
    defaults = {f"_d_{f.name}": f.default for f in fields(cls) if f.default is not MISSING}
    setters = {f"_s_{n}": getattr(cls, n).__set__ for n in names}
    params = ", ".join(f"{n}=_d_{n}" if f"_d_{n}" in defaults else n for n in names)
    body = "\n".join(f"        _s_{n}(self, {n})" for n in names)
    source = (
        f"def _make({', '.join([*defaults, *setters])}):\n"
        f"    def __init__(self, {params}) -> None:\n{body}\n"
        f"    return __init__\n"
    )
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # noqa: S102 - source built from the dataclass's own field names
    init = namespace["_make"](*defaults.values(), *setters.values())
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init  # type: ignore[misc]


# Compiled by mypyc (``make matching-native``), each class's own ``__init__`` stores its
# fields natively and the patch below would only slow it down.
_COMPILED = not __file__.endswith(".py")

if not _COMPILED:
    for _cls in (
        OrderAccepted,
        OrderRejected,
        OrderRested,
        Trade,
        OrderCancelled,
        OrderDone,
        MarketHalted,
        MarketResumed,
        LimitStateStarted,
        LimitStateEnded,
        AuctionStarted,
        AuctionExtended,
        AuctionUncrossed,
    ):
        _fast_init(_cls)
