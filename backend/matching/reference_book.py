"""ReferenceEngine: the same rules as MatchingEngine, written for obviousness, not speed.

The book is one plain list of resting orders in acceptance order; every step sorts the
opposite side afresh; the reference price is recomputed from the full list of trades.
Used by the tests as the oracle of a differential test against MatchingEngine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.matching.base import Clearing, Depth, EngineBase
from backend.matching.commands import PlaceOrder, ValidOrder
from backend.matching.events import Event, OrderCancelled, OrderDone, OrderRejected, OrderRested, Trade
from backend.matching.halts import floor_average, in_band, within_collar
from backend.matching.types import (
    CancelReason,
    MarketConfig,
    OrderType,
    RejectCode,
    RestingOrder,
    Side,
    TimeInForce,
)


@dataclass
class _Order:
    order_id: str
    owner: str
    side: Side
    price: int
    quantity: int
    remaining: int
    seq: int
    ts: int
    expires_ts: int | None = None

    def snapshot(self) -> RestingOrder:
        return RestingOrder(
            self.order_id,
            self.owner,
            self.side,
            self.price,
            self.quantity,
            self.remaining,
            self.seq,
            self.ts,
            self.expires_ts,
        )


def _priority(order: _Order) -> tuple[int, int]:
    """Sort key: best price first, then oldest first."""
    return (-order.price if order.side is Side.BUY else order.price, order.seq)


class ReferenceEngine(EngineBase):
    def __init__(self, config: MarketConfig | None = None) -> None:
        super().__init__(config)
        self._orders: list[_Order] = []  # resting orders, in acceptance order
        self._trades: list[tuple[int, int]] = []  # (ts, price) of every trade since the last reset

    def _side(self, side: Side) -> list[_Order]:
        return sorted((o for o in self._orders if o.side is side), key=_priority)

    # ------------------------------------------------------------------ placing
    def _place(self, cmd: PlaceOrder, valid: ValidOrder, now: int, reference: int | None, events: list[Event]) -> None:
        side, otype, tif = valid
        cfg = self.config
        opposite = self._side(side.opposite)
        base = reference if reference is not None else (opposite[0].price if opposite else None)

        def in_collar(price: int) -> bool:
            return base is not None and within_collar(side, price, base, cfg.collar_bps)

        def acceptable(price: int) -> bool:
            if cmd.price is not None:
                limit_ok = price <= cmd.price if side is Side.BUY else price >= cmd.price
                if not limit_ok:
                    return False
            return otype is OrderType.LIMIT or in_collar(price)

        def band_ok(price: int) -> bool:
            return in_band(price, reference, cfg.band_bps)

        if cmd.post_only and any(acceptable(o.price) for o in opposite):
            events.append(OrderRejected(cmd.order_id, RejectCode.WOULD_CROSS, "post-only order would trade"))
            return
        if tif is TimeInForce.FOK:
            fillable = 0
            for o in opposite:
                if not acceptable(o.price):
                    break
                if o.owner == cmd.owner:
                    continue
                if not band_ok(o.price):
                    break
                fillable += o.remaining
            if fillable < cmd.quantity:
                events.append(
                    OrderRejected(cmd.order_id, RejectCode.FOK_UNFILLED, "quantity not immediately fillable in full")
                )
                return

        seq = self._accept(cmd, valid, now, events)
        remaining = cmd.quantity
        halted = False
        stopped_at: int | None = None
        while remaining > 0:
            opposite = self._side(side.opposite)
            if not opposite:
                break
            maker = opposite[0]
            if not acceptable(maker.price):
                stopped_at = maker.price
                break
            if maker.owner == cmd.owner:
                self._orders.remove(maker)
                events.append(OrderCancelled(maker.order_id, maker.remaining, CancelReason.SELF_TRADE))
                continue
            if not band_ok(maker.price):
                assert reference is not None
                self._band_breach(now, maker.price < reference, events)
                halted = True
                break
            fill = min(remaining, maker.remaining)
            self._trade_seq += 1
            events.append(
                Trade(self._trade_seq, maker.order_id, cmd.order_id, maker.owner, cmd.owner, side,
                      maker.price, fill, now)
            )  # fmt: skip
            self._trades.append((now, maker.price))
            remaining -= fill
            maker.remaining -= fill
            if maker.remaining == 0:
                self._orders.remove(maker)
                events.append(OrderDone(maker.order_id))

        if remaining == 0:
            events.append(OrderDone(cmd.order_id))
        elif halted:
            reason = CancelReason.HALTED if self._halt is not None else CancelReason.LIMIT_STATE
            events.append(OrderCancelled(cmd.order_id, remaining, reason))
        elif otype is OrderType.MARKET:
            beyond = stopped_at is not None and not in_collar(stopped_at)
            reason = CancelReason.COLLAR if beyond else CancelReason.MARKET_REMAINDER
            events.append(OrderCancelled(cmd.order_id, remaining, reason))
        elif tif is TimeInForce.IOC:
            events.append(OrderCancelled(cmd.order_id, remaining, CancelReason.IOC))
        else:
            assert tif is TimeInForce.GTC and cmd.price is not None
            self._orders.append(
                _Order(cmd.order_id, cmd.owner, side, cmd.price, cmd.quantity, remaining, seq, now, cmd.expires_ts)
            )
            events.append(OrderRested(cmd.order_id, remaining))

    # ------------------------------------------------------------------ auction
    def _clearing(self, low: int | None, high: int | None, reference: int | None) -> Clearing | None:
        """By brute force: every integer price in the range, scored one by one."""
        buys = [o for o in self._orders if o.side is Side.BUY]
        sells = [o for o in self._orders if o.side is Side.SELL]
        if low is None or high is None:
            if not buys or not sells:
                return None
            low, high = min(o.price for o in sells), max(o.price for o in buys)
            if low > high:
                return None
        scored = []
        for price in range(low, high + 1):
            demand = sum(o.remaining for o in buys if o.price >= price)
            supply = sum(o.remaining for o in sells if o.price <= price)
            scored.append((price, min(demand, supply), demand, supply))
        top = max((volume, -abs(demand - supply)) for _, volume, demand, supply in scored)
        tied = [c for c in scored if (c[1], -abs(c[2] - c[3])) == top]
        target = reference if reference is not None else (tied[0][0] + tied[-1][0]) // 2
        return min(tied, key=lambda c: (abs(c[0] - target), c[0]))

    def _auction_queue(self, side: Side, price: int) -> list[Any]:
        trades = (lambda o: o.price >= price) if side is Side.BUY else (lambda o: o.price <= price)
        return [o for o in self._side(side) if trades(o)]

    def _auction_fill(self, order: Any, quantity: int) -> bool:
        order.remaining -= quantity
        if order.remaining == 0:
            self._orders.remove(order)
            return True
        return False

    def _record_uncross(self, now: int, price: int, volume: int) -> None:
        self._trades = [(now, price)]

    def _cancel_through(self, price: int) -> list[tuple[str, int]]:
        through = [o for o in self._side(Side.BUY) if o.price > price]
        through += [o for o in self._side(Side.SELL) if o.price < price]
        for o in through:
            self._orders.remove(o)
        return [(o.order_id, o.remaining) for o in through]

    def _cancel_self_crossing(self, owner: str, side: Side, price: int) -> list[tuple[str, int]]:
        mine = [o for o in self._auction_queue(side.opposite, price) if o.owner == owner]
        for o in mine:
            self._orders.remove(o)
        return [(o.order_id, o.remaining) for o in mine]

    def _rest_in_call(self, cmd: PlaceOrder, side: Side, seq: int, now: int) -> None:
        assert cmd.price is not None
        self._orders.append(
            _Order(cmd.order_id, cmd.owner, side, cmd.price, cmd.quantity, cmd.quantity, seq, now, cmd.expires_ts)
        )

    # ------------------------------------------------------------------ expiry
    def _expire(self, now: int, events: list[Event]) -> None:
        due = [o for o in self._orders if o.expires_ts is not None and o.expires_ts <= now]
        for o in sorted(due, key=lambda o: (o.expires_ts, o.seq)):
            self._orders.remove(o)
            events.append(OrderCancelled(o.order_id, o.remaining, CancelReason.EXPIRED))

    def next_expiry(self) -> int | None:
        return min((o.expires_ts for o in self._orders if o.expires_ts is not None), default=None)

    # -------------------------------------------------------------- cancelling
    def _cancel(self, order_id: str, owner: str) -> int | None:
        for o in self._orders:
            if o.order_id == order_id and o.owner == owner:
                self._orders.remove(o)
                return o.remaining
        return None

    def _cancel_all(self, owner: str) -> list[tuple[str, int]]:
        mine = [o for o in self._orders if o.owner == owner]
        self._orders = [o for o in self._orders if o.owner != owner]
        return [(o.order_id, o.remaining) for o in mine]

    # ------------------------------------------------------- reference window
    def _window_state(self, now: int | None) -> tuple[list[tuple[int, int]], int | None]:
        last = self._trades[-1][1] if self._trades else None
        if now is None:
            return [], last
        cutoff = now - self.config.reference_window_ns
        return [t for t in self._trades if t[0] > cutoff], last

    def _reference_at(self, ts: int) -> int | None:
        window, last = self._window_state(ts)
        average = floor_average(price for _, price in window)
        return average if average is not None else last

    def _reference_for_command(self, now: int) -> int | None:
        return self._reference_at(now)

    def _reset_reference(self) -> None:
        self._trades = []

    # ------------------------------------------------------------------ queries
    def resting_orders(self) -> list[RestingOrder]:
        return [o.snapshot() for o in self._side(Side.BUY) + self._side(Side.SELL)]

    def order(self, order_id: str) -> RestingOrder | None:
        return next((o.snapshot() for o in self._orders if o.order_id == order_id), None)

    def open_orders(self, owner: str) -> list[RestingOrder]:
        return [o.snapshot() for o in self._orders if o.owner == owner]

    def _depth(self, n: int | None) -> Depth:
        def levels(side: Side) -> list[tuple[int, int]]:
            totals: dict[int, int] = {}
            for o in self._side(side):
                totals[o.price] = totals.get(o.price, 0) + o.remaining
            return list(totals.items())[:n]

        return levels(Side.BUY), levels(Side.SELL)

    def best_bid(self) -> int | None:
        bids = self._side(Side.BUY)
        return bids[0].price if bids else None

    def best_ask(self) -> int | None:
        asks = self._side(Side.SELL)
        return asks[0].price if asks else None
