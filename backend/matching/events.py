"""Events: the only outputs of an engine. ``apply`` returns them in causal order."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import Any

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


def _fast_init(cls: type) -> None:
    """Give a frozen slotted dataclass a quicker ``__init__`` with the same signature.

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


for _cls in (
    OrderAccepted,
    OrderRejected,
    OrderRested,
    Trade,
    OrderCancelled,
    OrderDone,
    MarketHalted,
    MarketResumed,
):
    _fast_init(_cls)
