"""Projection of the engine's events into rows: orders' fills and statuses, trade records.

The journal is the record of what the engine did; these rows are what the API, settlement
and reports read. One function, apply_events, turns a command's events into row changes in
the caller's transaction; chain_trade_id names a trade the way the exchange contract does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import BigInteger, bindparam, case, insert, select, update
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, SQLModel

from backend.clock import utcnow
from backend.errors import Conflict, DomainError, InvalidInput, NotFound
from backend.matching import Event, OrderCancelled, OrderDone, OrderRejected, OrderRested, Side, Trade
from backend.models.assets import Asset
from backend.models.settlement import TradeRecord
from backend.models.trading import JournalEntry, Order
from backend.statuses import OrderStatus, SettlementStatus
from backend.trading.signing import keccak

REJECT_CODES: dict[str, tuple[str, type[DomainError]]] = {
    "INVALID_ORDER": ("validation.invalid", InvalidInput),
    "FOK_UNFILLED": ("order.fok_unfilled", Conflict),
    "WOULD_CROSS": ("order.would_cross", Conflict),
    "MARKET_HALTED": ("market.halted", Conflict),
    "DUPLICATE_ORDER_ID": ("order.duplicate_client_id", Conflict),
    "INVALID_QUANTITY": ("order.invalid_lot", InvalidInput),
    "INVALID_PRICE": ("order.invalid_tick", InvalidInput),
    "ORDER_NOT_FOUND": ("order.not_found", NotFound),
    "EXPIRED": ("order.expired", InvalidInput),  # its expiry (less the margin) passed before it was sequenced
}


def apply_events(
    session: Session,
    asset: Asset,
    events: list[Event],
    known: dict[str, Order] | None = None,
    *,
    cancel_reason: str | None = None,
    rows: Rows | None = None,
    hashes: dict[str, str] | None = None,
) -> tuple[DomainError | None, list[TradeRecord]]:
    """Record the engine's events; returns its rejection (if any) and the new trades.

    Orders in hand (`known`: e.g. the orders of a batch not yet flushed; or already in the
    session) are updated as objects. A resting
    order the events name but nobody loaded (a maker, an order a CancelAll cancels) is not
    read back: one UPDATE applies its fills and final status in SQL (everything a trade
    record needs of a maker is in the Trade event). Nothing flushes while the events are
    applied: the order being placed is inserted once, with its final state, before the trade
    rows that name it.

    A cancelled order records why (`cancel_reason`): the engine's reason, except that the
    cancels of a CancelOrder/CancelAll take the service's `cancel_reason` when one is given;
    an order the engine expired gets the status "expired".

    With `rows` (a batch's writer, see Rows) the trades are not added to the session but left
    in `rows.trades`, and the orders in hand are not added either: the caller writes its own
    orders and these trades with one INSERT each before its commit.

    `hashes` (the market's, Market.hashes): the EIP-712 hashes of its resting orders, kept
    here (an order in hand that rests is added, one that leaves the book removed), so that a
    trade's maker hash is rarely read back (see _order_hashes)."""
    rejection: DomainError | None = None
    known = known or {}
    orders: dict[str, Order] = {}  # the orders in hand the events named
    resting: dict[str, _RestingChange] = {}
    trades: list[TradeRecord] = []
    order_hashes: dict[str, str | None] = {}  # of the orders the trades name: filled at the first Trade

    def in_hand(order_id: str) -> Order | None:
        if order_id not in orders:
            found = known.get(order_id) or session.identity_map.get(identity_key(Order, order_id))
            if found is None:
                return None
            orders[order_id] = found
        return orders[order_id]

    def set_status(order_id: str, status: str, reason: str | None = None) -> None:
        order = in_hand(order_id)
        if order is not None:
            order.status = status
            if reason is not None:
                order.cancel_reason = reason
        else:
            change = resting.setdefault(order_id, _RestingChange())
            change.status, change.cancel_reason = status, reason

    with session.no_autoflush:
        for event in events:
            if isinstance(event, Trade):
                owners = {event.taker_order_id: int(event.taker_owner), event.maker_order_id: int(event.maker_owner)}
                for order_id in (event.maker_order_id, event.taker_order_id):
                    order = in_hand(order_id)
                    if order is not None:
                        order.filled_lots += event.quantity
                        order.status = (
                            OrderStatus.FILLED
                            if order.filled_lots == order.quantity_lots
                            else OrderStatus.PARTIALLY_FILLED
                        )
                    else:
                        change = resting.setdefault(order_id, _RestingChange())
                        change.filled_lots += event.quantity
                        change.status = None  # derived from the fill, in SQL
                buy_id, sell_id = (
                    (event.taker_order_id, event.maker_order_id)
                    if event.taker_side is Side.BUY
                    else (event.maker_order_id, event.taker_order_id)
                )
                if not order_hashes:
                    order_hashes.update(_order_hashes(session, events, in_hand, hashes or {}))
                buy_hash, sell_hash = order_hashes.get(buy_id), order_hashes.get(sell_id)
                # "" when an order was placed before hashes were kept: the settlement worker derives it
                trade_id = chain_trade_id(buy_hash, sell_hash, event.trade_seq) if buy_hash and sell_hash else ""
                record: dict[str, Any] = {
                    "id": f"{asset.symbol}-{event.trade_seq}",
                    "symbol": asset.symbol,
                    "trade_seq": event.trade_seq,
                    "chain_trade_id": trade_id,
                    "buy_order_id": buy_id,
                    "sell_order_id": sell_id,
                    "buyer_investor_id": owners[buy_id],
                    "seller_investor_id": owners[sell_id],
                    "taker_side": event.taker_side.value,
                    "price_ticks": event.price,
                    "quantity_lots": event.quantity,
                }
                trades.append(TradeRecord(**record) if rows is None else detached(TradeRecord, _trade_row(record)))
            elif isinstance(event, OrderCancelled):
                reason = str(event.reason)
                if cancel_reason is not None and reason in _COMMAND_CANCELS:
                    reason = cancel_reason
                set_status(
                    event.order_id, OrderStatus.EXPIRED if reason == EXPIRED else OrderStatus.CANCELLED, reason[:24]
                )
                if hashes is not None:
                    hashes.pop(event.order_id, None)
            elif isinstance(event, OrderDone):
                set_status(event.order_id, OrderStatus.FILLED)
                if hashes is not None:
                    hashes.pop(event.order_id, None)
            elif isinstance(event, OrderRested):
                order = in_hand(event.order_id)
                assert order is not None, f"rested order {event.order_id} not in hand"
                order.status = OrderStatus.PARTIALLY_FILLED if order.filled_lots else OrderStatus.OPEN
                if hashes is not None and order.order_hash:
                    hashes[order.id] = order.order_hash
            elif isinstance(event, OrderRejected):
                code, kind = REJECT_CODES.get(event.code.name, ("order.rejected", Conflict))
                # Only the order being placed is rejected: a refused cancel (e.g. of an order
                # the same command just expired) leaves the order it names as it is.
                rejected = known.get(event.order_id)
                if rejected is not None:
                    rejected.status, rejected.reject_code = OrderStatus.REJECTED, code
                    orders[rejected.id] = rejected
                rejection = kind(code, event.message)
        now = utcnow()
        for order in orders.values():
            order.updated_at = now
            if rows is None:
                session.add(order)
        for order_id, change in resting.items():
            _update_resting(session, order_id, change, now)
    if rows is not None:
        rows.trades.extend(trades)
    elif trades:
        # The trade rows name their orders (foreign keys): the order being placed goes first.
        session.flush()
        session.add_all(trades)
    return rejection, trades


M = TypeVar("M", bound=SQLModel)


def detached(model: type[M], values: dict[str, Any]) -> M:
    """An instance of a table model holding `values` (every column: no defaults are applied),
    built without pydantic's and the ORM's per-attribute work (~2 us against ~70 us for the
    model's constructor). For rows written with one executemany by Rows.write and never added
    to a session; reading and setting attributes work as on any instance."""
    instance: M = model._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    instance.__dict__.update(values)
    object.__setattr__(instance, "__pydantic_fields_set__", set(values))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


def _trade_row(record: dict[str, Any]) -> dict[str, Any]:
    """A trade's whole row: the event's columns and TradeRecord's defaults."""
    return {
        **record,
        "settlement_status": SettlementStatus.PENDING.value,
        "tx_hash": None,
        "failure_code": None,
        "failure_reason": None,
        "attempts": 0,
        "created_at": utcnow(),
        "settled_at": None,
    }


@dataclass
class Rows:
    """The rows a batch of commands writes, in one INSERT (executemany) per table before its
    group commit: its journal entries, its new orders (added by the caller, detached, with the
    state the events left them in) and the trades (apply_events with `rows`). Orders go before
    the trades that name them (foreign keys). Rows already in the database (makers resting
    from earlier commands) are still updated in place as the events come."""

    journal: list[dict[str, Any]] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    trades: list[TradeRecord] = field(default_factory=list)

    def write(self, session: Session) -> None:
        connection = session.connection()
        for table, items in (
            (JournalEntry.__table__, self.journal),  # type: ignore[attr-defined]
            (_ORDERS, [_row(o, _ORDER_COLUMNS) for o in self.orders]),
            (TradeRecord.__table__, [_row(t, _TRADE_COLUMNS) for t in self.trades]),  # type: ignore[attr-defined]
        ):
            if items:
                connection.execute(insert(table), items)


def _row(instance: SQLModel, columns: tuple[str, ...]) -> dict[str, Any]:
    values = instance.__dict__
    return {name: values[name] for name in columns}


@dataclass
class _RestingChange:
    filled_lots: int = 0
    status: str | None = None  # None: filled or partially_filled, from the row's fill
    cancel_reason: str | None = None


# The engine's reasons for cancels a command asked for by name (CancelOrder, CancelAll): the
# service's own reason, when it gives one, says who asked. EXPIRED: the engine's reason for
# an order whose signed expiry (less the margin) has passed; its status becomes "expired".
_COMMAND_CANCELS = frozenset({"user", "cancel_all"})
EXPIRED = "expired"


_ORDERS = Order.__table__  # type: ignore[attr-defined]
_ORDER_COLUMNS = tuple(c.name for c in _ORDERS.columns)
_TRADE_COLUMNS = tuple(c.name for c in TradeRecord.__table__.columns)  # type: ignore[attr-defined]


_FILLED = _ORDERS.c.filled_lots + bindparam("added", type_=BigInteger)
_UPDATE_RESTING = {  # built once; by whether the status is given or follows from the fill
    False: update(_ORDERS)
    .where(_ORDERS.c.id == bindparam("order_id"))
    .values(
        filled_lots=_FILLED,
        status=bindparam("new_status"),
        cancel_reason=bindparam("reason"),
        updated_at=bindparam("now"),
    ),
    True: update(_ORDERS)
    .where(_ORDERS.c.id == bindparam("order_id"))
    .values(
        filled_lots=_FILLED,
        status=case(
            (_FILLED == _ORDERS.c.quantity_lots, OrderStatus.FILLED.value), else_=OrderStatus.PARTIALLY_FILLED.value
        ),
        updated_at=bindparam("now"),
    ),
}


def _update_resting(session: Session, order_id: str, change: _RestingChange, now: datetime) -> None:
    """One UPDATE of an order the session never loaded (no read-back)."""
    result = session.connection().execute(
        _UPDATE_RESTING[change.status is None],
        {
            "order_id": order_id,
            "added": change.filled_lots,
            "new_status": change.status,
            "reason": change.cancel_reason,
            "now": now,
        },
    )
    assert result.rowcount == 1, f"engine event for unknown order {order_id}"


def chain_trade_id(buy_hash: str, sell_hash: str, trade_seq: int) -> str:
    """The on-chain trade id, SettlementExchange.tradeIdOf: keccak256(abi.encode(buyHash, sellHash,
    tradeSeq)) of the orders' EIP-712 digests (0x hex), so a reused sequence number with other
    orders is another id. Encoded by hand (eth-abi's encoder costs more than the rest of recording
    a trade); tests/backend/test_trade_id.py checks it against eth-abi and the contract."""
    if not 0 <= trade_seq < 2**256:
        raise ValueError("trade_seq out of uint256 range")
    buy, sell = bytes.fromhex(buy_hash.removeprefix("0x")), bytes.fromhex(sell_hash.removeprefix("0x"))
    if len(buy) != 32 or len(sell) != 32:
        raise ValueError("order hashes are 32 bytes")
    return "0x" + keccak(buy + sell + trade_seq.to_bytes(32, "big")).hex()


def _order_hashes(
    session: Session, events: list[Event], in_hand: Callable[[str], Order | None], resting: dict[str, str]
) -> dict[str, str | None]:
    """order id -> order_hash of every order the command's trades name: from the orders in hand
    (the taker), the market's `resting` hashes (makers), the others with one SELECT of their
    ids and hashes (makers that rested before this process rebuilt the market)."""
    hashes: dict[str, str | None] = {}
    wanted: set[str] = set()
    for event in events:
        if isinstance(event, Trade):
            for order_id in (event.taker_order_id, event.maker_order_id):
                order = in_hand(order_id)
                if order is not None:
                    hashes[order_id] = order.order_hash
                elif order_id in resting:
                    hashes[order_id] = resting[order_id]
                else:
                    wanted.add(order_id)
    if wanted:
        rows = session.connection().execute(_HASHES, {"ids": sorted(wanted)})
        hashes.update({order_id: order_hash for order_id, order_hash in rows})
    return hashes


_HASHES = select(_ORDERS.c.id, _ORDERS.c.order_hash).where(_ORDERS.c.id.in_(bindparam("ids", expanding=True)))
