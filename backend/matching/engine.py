"""MatchingEngine: the production engine (sorted levels, FIFO queues, O(1) cancel).

Matching rules (ReferenceEngine implements the same rules naively):

* Price-time priority; every trade is at the resting (maker) order's price.
* Limit GTC rests its remainder; IOC cancels it ("ioc"); FOK executes in full or is
  rejected (FOK_UNFILLED) with nothing changed. Fillable liquidity for FOK counts
  other owners' orders only, at prices the order accepts, up to the first order whose
  trade would break the price band.
* Market orders are immediate-or-cancel whatever their tif (FOK makes them
  all-or-nothing). They trade only within the collar: collar_bps around the reference
  price, or around the best opposite price at arrival when there is no reference. An
  optional price on a market order is a further protection limit. The remainder is
  cancelled with "collar" when the next available price lies beyond the collar, else
  with "market_remainder".
* Post-only orders (limit GTC only) that would cross anything, own orders included,
  are rejected with WOULD_CROSS.
* Self-trade prevention, "cancel resting": when the next order the taker would trade
  with belongs to the taker's owner, that resting order is cancelled ("self_trade")
  and matching continues.
* Price band: the band is fixed for the whole command (reference at its arrival).
  Before a trade outside the band the taker stops: its remainder is cancelled
  ("limit_state", or "halted"), whatever its type or tif; its earlier trades stand and
  the book keeps its resting orders. No trade ever prints outside the band. (A GTC
  remainder could only rest if it did not cross, and at that moment it always crosses:
  hence "cancel".) The market enters a limit state (LimitStateStarted, until ts +
  limit_state_ns) that ends as soon as the book can trade inside the band again on the
  side the move came from, and halts (MarketHalted "volatility", halt_ns) if it has not
  by then; with limit_state_ns 0 it halts at once.
* Halts end in a call auction (auction_ns; EngineBase has the rules): orders rest
  without matching, then the book uncrosses at one price and trading goes on.
* Reference price: floor average of the trade prices whose ts is within the last
  reference_window_ns (ts > now - window); with none in the window, the last trade
  price; before the first trade, none (no band). An uncross with trades restarts it
  from the auction price. (With auction_ns 0, no call: when a volatility halt ends the
  reference is cleared and the first trade after the pause sets it.)
* Time: ``now = max(previous now, command.ts)``; events carry ``now``. A halt with an
  end ends at the first command with ts >= until_ts (MarketResumed comes first in
  that command's events).
* Expiry: a resting order with an ``expires_ts`` is cancelled ("expired") at the start
  of the first command with now >= expires_ts, whatever the command and the market's
  phase (halted too), before the command's own work and after an automatic reopening;
  several at once go by (expires_ts, seq). ``Expire(ts)`` is a command that does only
  that. A PlaceOrder whose expires_ts <= now is rejected (EXPIRED) with nothing
  changed; an order without expires_ts never expires. ``next_expiry()`` is the
  earliest expires_ts on the book (a service submits ``Expire`` when it is due).
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush
from typing import Any, Final

from backend.matching.base import Clearing, Depth, EngineBase
from backend.matching.book import BookOrder, BookSide, OrderBook
from backend.matching.commands import CancelOrder, Command, PlaceOrder, ValidOrder
from backend.matching.events import (
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderDone,
    OrderRejected,
    OrderRested,
    Trade,
)
from backend.matching.halts import band_bounds, choose_clearing, collar_bound
from backend.matching.types import (
    CancelReason,
    MarketConfig,
    OrderType,
    RejectCode,
    RestingOrder,
    Side,
    TimeInForce,
)

# Final: compiled by mypyc, these are C statics rather than lookups in the module's dict.
_BUY: Final = Side.BUY
_SELL: Final = Side.SELL
_LIMIT: Final = OrderType.LIMIT
_GTC: Final = TimeInForce.GTC
_IOC: Final = TimeInForce.IOC
_CANCEL_IOC: Final = CancelReason.IOC
_CANCEL_HALTED: Final = CancelReason.HALTED
_CANCEL_LIMIT: Final = CancelReason.LIMIT_STATE
_CANCEL_EXPIRED: Final = CancelReason.EXPIRED
_SELF_TRADE: Final = CancelReason.SELF_TRADE
_PLACE_ORDER: Final = PlaceOrder
_CANCEL_ORDER: Final = CancelOrder
_WINDOW_SLACK: Final = 64  # expired window entries kept before the lists are compacted
_FRONT_SLACK: Final = 32  # consumed entries kept at a level's front before it is compacted
_EXPIRY_SLACK: Final = 1024  # expiry heap entries kept before dead ones are first purged


class MatchingEngine(EngineBase):
    def __init__(self, config: MarketConfig | None = None) -> None:
        super().__init__(config)
        self._book = OrderBook()
        self._accepted_ids = self._book.index  # one dict: the accepted ids and the order index
        # Rolling reference window: ts and price of recent trades (two lists, oldest first,
        # live from _window_head on: no tuple per trade), their prices' sum, last price.
        self._window_ts: list[int] = []
        self._window_px: list[int] = []
        self._window_head = 0
        self._window_sum = 0
        self._last_price: int | None = None
        # config.reference_window_ns as a native int, and the config it was read from.
        self._window_config: MarketConfig | None = None
        self._window_ns = 0
        # The price band of the last reference seen: (config, reference, (low, high)).
        self._band_cache: tuple[MarketConfig, int, tuple[int, int]] | None = None
        # Resting orders that expire: a heap of (expires_ts, seq, order_id). Entries of
        # orders no longer resting stay until they reach the top (lazy deletion), or until
        # the heap reaches _expiry_limit entries and is rebuilt from the live ones.
        self._expiries: list[tuple[int, int, str]] = []
        self._expiry_limit = _EXPIRY_SLACK

    # ------------------------------------------------------------ the hot path
    def apply(self, command: Command) -> list[Event]:
        """``EngineBase.apply`` with a fast path for the common commands: a well-formed
        GTC or IOC limit order (not post-only) with a new id, and a cancel, while the
        market is open. Everything else (and every rejection) takes the general path,
        which these paths mirror step for step: same events, same state."""
        kind = type(command)
        cmd: Any = command  # not validated yet: read untyped (see EngineBase.apply)
        if kind is _PLACE_ORDER:
            ts = cmd.ts
            if type(ts) is int and self._halt is None and self._limit is None and self._call is None:
                t: int = ts
                last = self._now
                if last is None or t > last:
                    self._now = ts  # the command's own int: no new one
                    now = t
                else:
                    now = last
                self._sequence += 1
                events: list[Event] = []
                expiries = self._expiries
                if expiries and expiries[0][0] <= now:
                    self._expire(now, events)
                expires = cmd.expires_ts
                order_id, owner, side, price, quantity, tif = (
                    cmd.order_id,
                    cmd.owner,
                    cmd.side,
                    cmd.price,
                    cmd.quantity,
                    cmd.tif,
                )
                if (
                    cmd.type is _LIMIT
                    and (side is _BUY or side is _SELL)
                    and (tif is _GTC or tif is _IOC)
                    and cmd.post_only is False
                    and type(order_id) is str
                    and order_id
                    and type(owner) is str
                    and owner
                    and type(quantity) is int
                    and quantity > 0
                    and type(price) is int
                    and price > 0
                    and (expires is None or (type(expires) is int and expires > now))
                ):
                    # Accept the id if it is new (one dict probe for the check and the
                    # insertion); such an order is always accepted from here on.
                    accepted = self._accepted_ids
                    seq = len(accepted)
                    accepted.setdefault(order_id, None)
                    if len(accepted) != seq:
                        self._place_limit(order_id, owner, side, price, quantity, tif, cmd, now, seq, events)
                        if self.limit_state is not None:  # (a property: _limit is narrowed to None here)
                            self._check_limit(now, events)
                        return events
                self._on_place(cmd, now, events)
                if self.limit_state is not None:
                    self._check_limit(now, events)
                return events
        elif kind is _CANCEL_ORDER:
            ts = cmd.ts
            halt = self._halt
            if type(ts) is int and (halt is None or halt[1] is None) and self._limit is None and self._call is None:
                t = ts
                last = self._now
                if last is None or t > last:
                    self._now = ts
                    now = t
                else:
                    now = last
                self._sequence += 1
                events = []
                expiries = self._expiries
                if expiries and expiries[0][0] <= now:
                    self._expire(now, events)
                self._on_cancel(cmd, now, events)
                return events
        return super().apply(command)

    def _place_limit(
        self,
        order_id: str,
        owner: str,
        side: Side,
        price: int,
        quantity: int,
        tif: TimeInForce,
        cmd: PlaceOrder,
        now: int,
        seq: int,
        events: list[Event],
    ) -> None:
        """``_on_place`` + ``_place`` for a valid GTC/IOC limit, market open, whose id
        ``apply`` has just accepted (acceptance number ``seq``)."""
        if self._window_head < len(self._window_ts):  # a trade in the window
            reference = self._reference_for_command(now)
        else:
            reference = self._last_price
        if not order_id.isascii():
            order_id.encode()  # as EngineBase._accept
        self._ids_pending.append(order_id)
        events.append(OrderAccepted(order_id, owner, side, _LIMIT, price, quantity, tif, False, now))

        book = self._book
        if side is _BUY:
            opp, worst = book.asks, price
        else:
            opp, worst = book.bids, -price
        best = opp.ranks  # -key of each level: the best level last
        if best and -best[-1] <= worst:
            if reference is None:
                band = None
            else:
                cached = self._band_cache
                config = self.config
                if cached is not None and cached[1] == reference and cached[0] is config:
                    band = cached[2]
                else:
                    band = band_bounds(reference, config.band_bps)
                    self._band_cache = (config, reference, band)
            remaining, halted, _ = self._match(opp, order_id, owner, quantity, side, worst, band, now, events)
            if remaining == 0:
                events.append(OrderDone(order_id))
                return
            if halted:
                events.append(
                    OrderCancelled(order_id, remaining, _CANCEL_HALTED if self._halt is not None else _CANCEL_LIMIT)
                )
                return
        else:
            remaining = quantity
        if tif is _IOC:
            events.append(OrderCancelled(order_id, remaining, _CANCEL_IOC))
            return
        expires = cmd.expires_ts
        order = BookOrder(order_id, owner, side, price, quantity, remaining, seq, now, expires)
        if expires is not None:
            self._add_expiry(expires, seq, order_id)
        if side is _BUY:
            own, key = book.bids, -price
        else:
            own, key = book.asks, price
        level = own.levels.get(key)
        if level is None:
            level = own.new_level(key)
        level.orders.append(order)
        level.total += remaining
        level.live += 1
        book.index[order_id] = order
        book.link_owner(order)
        events.append(OrderRested(order_id, remaining))

    # ------------------------------------------------------------------ placing
    def _place(self, cmd: PlaceOrder, valid: ValidOrder, now: int, reference: int | None, events: list[Event]) -> None:
        side, otype, tif = valid
        opp = self._book.asks if side is _BUY else self._book.bids
        sign = opp.sign  # signed key = price * sign; smaller key = better for the taker
        collar: int | None = None  # signed collar limit (market orders)
        if otype is _LIMIT:
            worst: int | None = cmd.price * sign  # type: ignore[operator]
        else:
            base = reference if reference is not None else opp.best_price()
            if base is not None:
                collar = collar_bound(side, base, self.config.collar_bps) * sign
            worst = collar
            if cmd.price is not None and (worst is None or cmd.price * sign < worst):
                worst = cmd.price * sign
        band = None if reference is None else band_bounds(reference, self.config.band_bps)

        if cmd.post_only:
            best = opp.best_key()
            if best is not None and best <= worst:  # type: ignore[operator]
                events.append(OrderRejected(cmd.order_id, RejectCode.WOULD_CROSS, "post-only order would trade"))
                return
        if tif is TimeInForce.FOK and not self._fok_fillable(opp, cmd.owner, cmd.quantity, worst, band):
            events.append(
                OrderRejected(cmd.order_id, RejectCode.FOK_UNFILLED, "quantity not immediately fillable in full")
            )
            return

        seq = self._accept(cmd, valid, now, events)
        remaining, halted, stop_key = self._match(
            opp, cmd.order_id, cmd.owner, cmd.quantity, side, worst, band, now, events
        )

        order_id = cmd.order_id
        if remaining == 0:
            events.append(OrderDone(order_id))
        elif halted:
            events.append(
                OrderCancelled(order_id, remaining, _CANCEL_HALTED if self._halt is not None else _CANCEL_LIMIT)
            )
        elif otype is OrderType.MARKET:
            beyond = collar is not None and stop_key is not None and stop_key > collar
            reason = CancelReason.COLLAR if beyond else CancelReason.MARKET_REMAINDER
            events.append(OrderCancelled(order_id, remaining, reason))
        elif tif is _IOC:
            events.append(OrderCancelled(order_id, remaining, _CANCEL_IOC))
        else:
            assert tif is TimeInForce.GTC, "a FOK order is filled in full once accepted"
            assert cmd.price is not None
            expires = cmd.expires_ts
            order = BookOrder(order_id, cmd.owner, side, cmd.price, cmd.quantity, remaining, seq, now, expires)
            self._book.rest(order)
            if expires is not None:
                self._add_expiry(expires, seq, order_id)
            events.append(OrderRested(order_id, remaining))

    @staticmethod
    def _fok_fillable(
        opp: BookSide, owner: str, quantity: int, worst: int | None, band: tuple[int, int] | None
    ) -> bool:
        need = quantity
        sign = opp.sign
        for key, level in opp.items():
            if worst is not None and key > worst:
                return False
            price = key * sign
            in_band = band is None or band[0] <= price <= band[1]
            orders = level.orders
            for i in range(level.head, len(orders)):
                maker = orders[i]
                if maker.remaining == 0 or maker.owner == owner:
                    continue
                if not in_band:
                    return False
                need -= maker.remaining
                if need <= 0:
                    return True
        return False

    def _match(
        self,
        opp: BookSide,
        taker_id: str,
        owner: str,
        quantity: int,
        side: Side,
        worst: int | None,
        band: tuple[int, int] | None,
        now: int,
        events: list[Event],
    ) -> tuple[int, bool, int | None]:
        """Trade ``quantity`` of taker ``taker_id`` (of ``owner``) against ``opp``; return
        (remaining, halted, key of the level where matching stopped for price, if it did)."""
        levels = opp.levels
        ranks = opp.ranks  # -key of each level: the best level last
        sign = opp.sign
        book = self._book
        window_ts = self._window_ts
        window_px = self._window_px
        remaining = quantity
        trade_seq = self._trade_seq
        traded = 0  # sum of this command's trade prices, for the reference window
        last = 0  # price of this command's latest trade
        try:
            while ranks:
                key = -ranks[-1]
                if worst is not None and key > worst:
                    return remaining, False, key
                level = levels[key]
                price = key * sign
                in_band = band is None or band[0] <= price <= band[1]
                orders = level.orders
                head = level.head  # orders[head] is the level's front
                end = len(orders)
                while head < end:
                    maker = orders[head]
                    available = maker.remaining
                    if available == 0:  # cancelled earlier (lazy deletion)
                        head += 1
                        continue
                    if maker.owner == owner:  # self-trade prevention: cancel the resting order
                        head += 1
                        level.live -= 1
                        level.total -= available
                        maker.remaining = 0
                        book.forget(maker)  # a native call (a bound method kept in a local is not)
                        events.append(OrderCancelled(maker.order_id, available, _SELF_TRADE))
                        continue
                    if not in_band:
                        level.head = head
                        assert band is not None
                        self._band_breach(now, price < band[0], events)
                        return remaining, True, None
                    fill = available if available < remaining else remaining
                    trade_seq += 1
                    events.append(
                        Trade(trade_seq, maker.order_id, taker_id, maker.owner, owner, side, price, fill, now)
                    )
                    window_ts.append(now)
                    window_px.append(price)
                    traded += price
                    last = price
                    remaining -= fill
                    level.total -= fill
                    if fill == available:
                        head += 1
                        level.live -= 1
                        maker.remaining = 0
                        book.forget(maker)  # a native call (a bound method kept in a local is not)
                        events.append(OrderDone(maker.order_id))
                    else:
                        maker.remaining = available - fill
                    if remaining == 0:
                        break
                if level.live == 0:
                    del levels[key]
                    ranks.pop()
                else:
                    level.head = head
                    if head > _FRONT_SLACK and 2 * head > end:  # drop the consumed front
                        del orders[:head]
                        level.head = 0
                if remaining == 0:
                    break
            return remaining, False, None
        finally:
            if trade_seq != self._trade_seq:
                self._window_sum += traded
                self._last_price = last
                self._trade_seq = trade_seq

    # ------------------------------------------------------------------ auction
    def _clearing(self, low: int | None, high: int | None, reference: int | None) -> Clearing | None:
        """Demand and supply are step functions of the price that change only at an ask's
        price (supply steps up) and just above a bid's (demand steps down): one interval
        per step, swept from the levels in O(levels), then ``choose_clearing``."""
        bids = self._book.bids.depth(None)  # best (highest) first
        asks = self._book.asks.depth(None)  # best (lowest) first
        if low is None or high is None:
            if not bids or not asks or asks[0][0] > bids[0][0]:
                return None
            low, high = asks[0][0], bids[0][0]
        starts = {low}
        for price, _total in asks:
            if low < price <= high:
                starts.add(price)
        for price, _total in bids:
            if low < price + 1 <= high:
                starts.add(price + 1)
        ordered = sorted(starts)
        bids.reverse()  # lowest first
        demand = sum(total for _price, total in bids)
        supply = 0
        bi = ai = 0
        intervals: list[tuple[int, int, int, int]] = []
        for k, start in enumerate(ordered):
            while bi < len(bids) and bids[bi][0] < start:
                demand -= bids[bi][1]
                bi += 1
            while ai < len(asks) and asks[ai][0] <= start:
                supply += asks[ai][1]
                ai += 1
            end = ordered[k + 1] - 1 if k + 1 < len(ordered) else high
            intervals.append((start, end, demand, supply))
        return choose_clearing(intervals, reference)

    def _auction_queue(self, side: Side, price: int) -> list[Any]:
        book_side = self._book.bids if side is _BUY else self._book.asks
        sign = book_side.sign
        limit = price * sign  # a level trades at price when its key <= limit
        out: list[Any] = []
        for key, level in book_side.items():
            if key > limit:
                break
            out.extend(o for o in level.orders[level.head :] if o.remaining)
        return out

    def _auction_fill(self, order: Any, quantity: int) -> bool:
        if quantity == order.remaining:
            self._book.remove(order)
            return True
        order.remaining -= quantity
        book_side = self._book.side(order.side)
        book_side.levels[order.price * book_side.sign].total -= quantity
        return False

    def _record_uncross(self, now: int, price: int, volume: int) -> None:
        self._reset_reference()
        self._window_ts.append(now)
        self._window_px.append(price)
        self._window_sum = price
        self._last_price = price

    def _cancel_through(self, price: int) -> list[tuple[str, int]]:
        book = self._book
        through = [o for o in book.bids.orders() if o.price > price]
        through += [o for o in book.asks.orders() if o.price < price]
        return [(o.order_id, book.remove(o)) for o in through]

    def _cancel_self_crossing(self, owner: str, side: Side, price: int) -> list[tuple[str, int]]:
        # Through the owner's own orders (not the opposite side's crossed part, which in a
        # call can be most of the book), put in priority order.
        if side is _BUY:
            mine = [o for o in self._book.owned(owner) if o.side is _SELL and o.price <= price]
            mine.sort(key=lambda o: (o.price, o.seq))
        else:
            mine = [o for o in self._book.owned(owner) if o.side is _BUY and o.price >= price]
            mine.sort(key=lambda o: (-o.price, o.seq))
        return [(o.order_id, self._book.remove(o)) for o in mine]

    def _rest_in_call(self, cmd: PlaceOrder, side: Side, seq: int, now: int) -> None:
        assert cmd.price is not None
        expires = cmd.expires_ts
        self._book.rest(
            BookOrder(cmd.order_id, cmd.owner, side, cmd.price, cmd.quantity, cmd.quantity, seq, now, expires)
        )
        if expires is not None:
            self._add_expiry(expires, seq, cmd.order_id)

    # ------------------------------------------------------------------ expiry
    def _add_expiry(self, expires_ts: int, seq: int, order_id: str) -> None:
        expiries = self._expiries
        if len(expiries) >= self._expiry_limit:  # mostly dead entries? keep the live ones
            index = self._book.index
            expiries[:] = [e for e in expiries if index.get(e[2]) is not None]
            heapify(expiries)
            self._expiry_limit = max(2 * len(expiries), _EXPIRY_SLACK)
        heappush(expiries, (expires_ts, seq, order_id))

    def _expire(self, now: int, events: list[Event]) -> None:
        expiries = self._expiries
        index = self._book.index
        book = self._book
        while expiries and expiries[0][0] <= now:
            order = index.get(heappop(expiries)[2])
            if order is not None:  # else no longer resting: a dead entry
                events.append(OrderCancelled(order.order_id, book.remove(order), _CANCEL_EXPIRED))

    def next_expiry(self) -> int | None:
        expiries = self._expiries
        index = self._book.index
        while expiries and index.get(expiries[0][2]) is None:
            heappop(expiries)  # no longer resting
        return expiries[0][0] if expiries else None

    # -------------------------------------------------------------- cancelling
    def _cancel(self, order_id: str, owner: str) -> int | None:
        order = self._book.index.get(order_id)
        if order is None or order.owner != owner:
            return None
        return self._book.remove(order)

    def _cancel_all(self, owner: str) -> list[tuple[str, int]]:
        book = self._book
        return [(order.order_id, book.remove(order)) for order in book.owned(owner)]

    # ------------------------------------------------------- reference window
    def _window_length(self) -> int:
        """config.reference_window_ns (read from the config once, not per command)."""
        config = self.config
        if config is not self._window_config:
            self._window_config = config
            self._window_ns = config.reference_window_ns
        return self._window_ns

    def _reference_for_command(self, now: int) -> int | None:
        window_ts = self._window_ts
        head = self._window_head
        end = len(window_ts)
        cutoff = now - self._window_length()
        if head < end and window_ts[head] <= cutoff:
            window_px = self._window_px
            total = self._window_sum
            while head < end and window_ts[head] <= cutoff:
                total -= window_px[head]
                head += 1
            self._window_sum = total
            if head > _WINDOW_SLACK and 2 * head > end:  # drop the expired entries
                del window_ts[:head]
                del window_px[:head]
                end -= head
                head = 0
            self._window_head = head
        return self._window_sum // (end - head) if head < end else self._last_price

    def _window_trades(self) -> list[tuple[int, int]]:
        """(ts, price) of the trades in the window (not pruned to any time)."""
        head = self._window_head
        return list(zip(self._window_ts[head:], self._window_px[head:], strict=True))

    def _reference_at(self, ts: int) -> int | None:
        cutoff = ts - self.config.reference_window_ns
        prices = [price for when, price in self._window_trades() if when > cutoff]
        return sum(prices) // len(prices) if prices else self._last_price

    def _reset_reference(self) -> None:
        self._window_ts.clear()
        self._window_px.clear()
        self._window_head = 0
        self._window_sum = 0
        self._last_price = None

    def _window_state(self, now: int | None) -> tuple[list[tuple[int, int]], int | None]:
        if now is None:
            return [], self._last_price
        cutoff = now - self.config.reference_window_ns
        return [t for t in self._window_trades() if t[0] > cutoff], self._last_price

    # ------------------------------------------------------------------ queries
    def resting_orders(self) -> list[RestingOrder]:
        return [o.snapshot() for o in self._book.bids.orders() + self._book.asks.orders()]

    def order(self, order_id: str) -> RestingOrder | None:
        order = self._book.index.get(order_id)
        return None if order is None else order.snapshot()

    def open_orders(self, owner: str) -> list[RestingOrder]:
        return [o.snapshot() for o in self._book.owned(owner)]

    def _depth(self, n: int | None) -> Depth:
        return self._book.bids.depth(n), self._book.asks.depth(n)

    def best_bid(self) -> int | None:
        return self._book.bids.best_price()

    def best_ask(self) -> int | None:
        return self._book.asks.best_price()
