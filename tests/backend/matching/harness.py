"""Test helpers: command shorthands, an event ledger and the book invariants.

``Harness`` wraps an engine, feeds every event batch to a ``Ledger`` that rebuilds
each order's life from the events alone, and after every command checks the engine's
book against it: never crossed (but during a call auction, or a halt that interrupted one), and for every order
``resting remaining == accepted - filled - cancelled``. Continuous trades print at the
maker's price; the trades of an uncross at its one price, inside both orders' limits.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from backend.matching import (
    AuctionUncrossed,
    EngineBase,
    Event,
    MarketConfig,
    OrderAccepted,
    OrderCancelled,
    OrderDone,
    OrderRejected,
    OrderRested,
    OrderType,
    PlaceOrder,
    Side,
    TimeInForce,
    Trade,
)

SECOND = 1_000_000_000


def limit(
    order_id: str,
    side: Side,
    price: Any,
    quantity: Any,
    owner: str,
    *,
    tif: TimeInForce = TimeInForce.GTC,
    post_only: bool = False,
    ts: int = 0,
    expires_ts: Any = None,
) -> PlaceOrder:
    return PlaceOrder(order_id, owner, side, OrderType.LIMIT, price, quantity, tif, post_only, ts, expires_ts)


def buy(order_id: str, price: Any, quantity: Any, owner: str = "bob", **kw: Any) -> PlaceOrder:
    return limit(order_id, Side.BUY, price, quantity, owner, **kw)


def sell(order_id: str, price: Any, quantity: Any, owner: str = "alice", **kw: Any) -> PlaceOrder:
    return limit(order_id, Side.SELL, price, quantity, owner, **kw)


def market(
    order_id: str,
    side: Side,
    quantity: Any,
    owner: str = "bob",
    *,
    price: Any = None,
    tif: TimeInForce = TimeInForce.GTC,
    ts: int = 0,
    expires_ts: Any = None,
) -> PlaceOrder:
    return PlaceOrder(order_id, owner, side, OrderType.MARKET, price, quantity, tif, False, ts, expires_ts)


def of(events: list[Event], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def fills(events: list[Event]) -> list[tuple[str, int, int]]:
    """(maker_order_id, price, quantity) of each trade."""
    return [(t.maker_order_id, t.price, t.quantity) for t in of(events, Trade)]


class Ledger:
    """Every order's life rebuilt from events only."""

    def __init__(self) -> None:
        self.accepted: dict[str, OrderAccepted] = {}
        self.filled: Counter[str] = Counter()
        self.cancelled: Counter[str] = Counter()
        self.closed: set[str] = set()
        self.trade_seq = 0
        self.uncrosses: list[AuctionUncrossed] = []

    def outstanding(self, order_id: str) -> int:
        return self.accepted[order_id].quantity - self.filled[order_id] - self.cancelled[order_id]

    def record(self, events: list[Event]) -> None:
        auction: AuctionUncrossed | None = None  # the uncross whose trades these are
        left = 0
        for e in events:
            if isinstance(e, AuctionUncrossed):
                assert left == 0, "an uncross traded less than it announced"
                auction, left = e, e.quantity
                assert (e.price is None) == (e.quantity == 0), e
                self.uncrosses.append(e)
            elif not isinstance(e, Trade | OrderDone):
                assert left == 0, "an uncross traded less than it announced"
                auction = None
            if isinstance(e, OrderAccepted):
                assert e.order_id not in self.accepted, f"{e.order_id} accepted twice"
                self.accepted[e.order_id] = e
            elif isinstance(e, Trade):
                assert e.trade_seq == self.trade_seq + 1, "trade_seq must grow by one"
                self.trade_seq = e.trade_seq
                assert e.quantity > 0 and e.maker_owner != e.taker_owner, e
                maker, taker = self.accepted[e.maker_order_id], self.accepted[e.taker_order_id]
                if auction is not None and left > 0:
                    assert e.price == auction.price, "an uncross trades at its one price"
                    left -= e.quantity
                    assert left >= 0, "an uncross traded more than it announced"
                    buy, sell = (maker, taker) if maker.side is Side.BUY else (taker, maker)
                    assert sell.price <= e.price <= buy.price, "an auction trade through a limit"
                    assert maker.ts <= taker.ts, "the older order is the maker"
                else:
                    assert e.price == maker.price, "trades print at the maker's price"
                assert maker.side is not taker.side and e.taker_side is taker.side
                assert (maker.owner, taker.owner) == (e.maker_owner, e.taker_owner)
                for order_id in (e.maker_order_id, e.taker_order_id):
                    assert order_id not in self.closed, f"trade on closed order {order_id}"
                    self.filled[order_id] += e.quantity
                    assert self.outstanding(order_id) >= 0, f"{order_id} overfilled"
            elif isinstance(e, OrderCancelled):
                assert e.order_id not in self.closed and e.remaining == self.outstanding(e.order_id) > 0, e
                self.cancelled[e.order_id] += e.remaining
                self.closed.add(e.order_id)
            elif isinstance(e, OrderDone):
                assert e.order_id not in self.closed and self.outstanding(e.order_id) == 0, e
                self.closed.add(e.order_id)
            elif isinstance(e, OrderRested):
                assert e.remaining == self.outstanding(e.order_id) > 0, e
        assert left == 0, "an uncross traded less than it announced"

    def check(self, engine: EngineBase) -> None:
        bid, ask = engine.best_bid(), engine.best_ask()
        if engine.phase not in ("auction", "halted"):  # a halt may interrupt a call
            assert bid is None or ask is None or bid < ask, f"crossed book: bid {bid} >= ask {ask}"
        resting = {o.order_id: o for o in engine.resting_orders()}
        for order_id, acc in self.accepted.items():
            left = self.outstanding(order_id)
            if order_id in resting:
                o = resting[order_id]
                assert order_id not in self.closed and o.remaining == left > 0, (o, left)
                assert (o.owner, o.side, o.price) == (acc.owner, acc.side, acc.price)
                assert o.quantity == acc.quantity
                assert engine.order(order_id) == o
            else:
                assert left == 0 and order_id in self.closed, f"{order_id} lost {left} lots"
                assert engine.order(order_id) is None
        assert set(resting) <= set(self.accepted)
        levels: dict[tuple[Side, int], int] = Counter()
        for o in resting.values():
            levels[(o.side, o.price)] += o.remaining
        bids, asks = engine.depth()
        assert bids == sorted(((p, q) for (s, p), q in levels.items() if s is Side.BUY), reverse=True)
        assert asks == sorted((p, q) for (s, p), q in levels.items() if s is Side.SELL)
        assert (bids[0][0] if bids else None, asks[0][0] if asks else None) == (bid, ask)
        for owner in {o.owner for o in self.accepted.values()}:
            mine = sorted((o for o in resting.values() if o.owner == owner), key=lambda o: o.seq)
            assert engine.open_orders(owner) == mine


class Harness:
    """An engine whose every command is checked against the ledger."""

    def __init__(self, engine_cls: type[EngineBase], config: MarketConfig | None = None) -> None:
        self.engine = engine_cls(config)
        self.ledger = Ledger()

    def apply(self, command: Any) -> list[Event]:
        events = self.engine.apply(command)
        self.ledger.record(events)
        self.ledger.check(self.engine)
        return events

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


def rejected(events: list[Event]) -> OrderRejected:
    assert len(events) == 1 and isinstance(events[0], OrderRejected), events
    return events[0]
