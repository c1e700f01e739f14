"""The command frame shared by both engines.

``EngineBase.apply`` owns what is not about the book: the engine clock, the command
count, halts (operator kill switch, volatility halts, expiry by command ts), order-id
uniqueness, the refusal of an already expired order, trade numbering and the canonical
state hash; and the market's phases: limit state, halt, call auction (when they start and
end, and the uncross price's rules). Subclasses own the book, the matching, the clearing
price computation, the expiry of resting orders (when: here, at the start of every
command) and the rolling reference window.

Phases: ``continuous`` -> (a trade would print outside the band) ``limit_state`` ->
(not recovered after limit_state_ns) ``halted`` -> (halt ends) ``auction`` (a call: orders
and cancels accepted, nothing matches) -> (the call ends) uncross at one price ->
``continuous``. An operator ``Halt`` enters ``halted`` from any phase; ``OpenAuction``
starts an opening call. A transition falls due at a time (the limit state's end, the
halt's until_ts, the call's ends_at) and happens at the start of the first command whose
ts reaches it (``Expire(ts)`` is such a command); what it schedules in turn happens in the
same command if already due. docs/market-structure.md explains the rules.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Final

from backend.matching.commands import (
    CancelAll,
    CancelOrder,
    Command,
    Expire,
    Halt,
    Invalid,
    OpenAuction,
    PlaceOrder,
    Resume,
    ValidOrder,
    is_int,
    validate_place,
)
from backend.matching.events import (
    AuctionExtended,
    AuctionStarted,
    AuctionUncrossed,
    Event,
    LimitStateEnded,
    LimitStateStarted,
    MarketHalted,
    MarketResumed,
    OrderAccepted,
    OrderCancelled,
    OrderDone,
    OrderRejected,
    OrderRested,
    Trade,
)
from backend.matching.halts import band_bounds
from backend.matching.types import (
    NO_AUCTION,
    OPENING,
    REOPENING,
    VOLATILITY,
    AuctionState,
    CancelReason,
    MarketConfig,
    OrderType,
    RejectCode,
    RestingOrder,
    Side,
    TimeInForce,
)

Depth = tuple[list[tuple[int, int]], list[tuple[int, int]]]
Clearing = tuple[int, int, int, int]
"""(price, executed quantity, demand, supply) of a candidate uncross price: demand is the
lots of buy orders priced at or above it, supply of sell orders at or below it."""

# Final: compiled by mypyc, C statics rather than attribute lookups on the enum class.
_CANCEL_USER: Final = CancelReason.USER
_CANCEL_ALL: Final = CancelReason.CANCEL_ALL
_CANCEL_COLLAR: Final = CancelReason.AUCTION_COLLAR


class EngineBase(ABC):
    """Deterministic state machine: the same commands always give the same events.

    Time is the commands' ``ts``, clamped so that it never runs backwards: a command
    older than one already applied is processed (and its events stamped) at the
    engine's current time.
    """

    def __init__(self, config: MarketConfig | None = None) -> None:
        self.config = config if config is not None else MarketConfig()
        self._sequence = 0
        self._now: int | None = None
        self._trade_seq = 0
        self._halt: tuple[str, int | None] | None = None
        self._limit: tuple[int, int, str] | None = None  # limit state: (since, until, "down" | "up")
        self._call: tuple[str, int, int | None, int] | None = None  # (kind, ends_at, reference, extensions)
        self._opening = False  # an OpenAuction's call has not uncrossed yet
        # Every accepted order id, in acceptance order. The values are the engine's: an
        # engine may keep its index of resting orders here (MatchingEngine: the order while
        # it rests, else None), one dict doing both jobs; otherwise None.
        self._accepted_ids: dict[str, Any] = {}
        self._ids_digest = hashlib.sha256()
        self._ids_pending: list[str] = []  # accepted ids not yet folded into _ids_digest

    # ------------------------------------------------------------------ commands
    def apply(self, command: Command) -> list[Event]:
        """Apply one command; return its events in causal order."""
        handler = _HANDLERS.get(type(command))
        if handler is None:
            raise TypeError(f"not a matching command: {command!r}")
        # Fields are read as Any until checked: compiled by mypyc, a read typed int would
        # raise its own TypeError on a malformed command before the check below.
        raw: Any = command
        ts = raw.ts
        if not is_int(ts):
            raise TypeError(f"command ts must be an int (ns), got {ts!r}")
        if isinstance(command, Halt):
            if not isinstance(raw.reason, str):
                raise TypeError(f"Halt.reason must be a str, got {raw.reason!r}")
            if raw.until_ts is not None and not is_int(raw.until_ts):
                raise TypeError(f"Halt.until_ts must be an int or None, got {raw.until_ts!r}")
        now = ts if self._now is None or ts > self._now else self._now
        self._now = now
        self._sequence += 1
        events: list[Event] = []
        if self._halt is not None or self._limit is not None or self._call is not None:
            self._advance(now, events)
        self._expire(now, events)
        handler(self, command, now, events)
        if self._limit is not None:
            self._check_limit(now, events)
        return events

    def _on_place(self, cmd: PlaceOrder, now: int, events: list[Event]) -> None:
        valid = validate_place(cmd)
        if isinstance(valid, Invalid):
            raw: Any = cmd  # not validated: read untyped (see apply)
            events.append(OrderRejected(raw.order_id, valid.code, valid.message))
        elif cmd.order_id in self._accepted_ids:
            events.append(OrderRejected(cmd.order_id, RejectCode.DUPLICATE_ORDER_ID, "order_id already used"))
        elif cmd.expires_ts is not None and cmd.expires_ts <= now:
            events.append(
                OrderRejected(cmd.order_id, RejectCode.EXPIRED, f"order expired at ts {cmd.expires_ts} (now {now})")
            )
        elif self._halt is not None:
            reason, until = self._halt
            when = "until resumed" if until is None else f"until ts {until}"
            events.append(
                OrderRejected(
                    cmd.order_id, RejectCode.MARKET_HALTED, f"market halted: {reason} ({when})", reason, until
                )
            )
        elif self._call is not None:
            self._place_in_call(cmd, valid, now, events)
        else:
            self._place(cmd, valid, now, self._reference_for_command(now), events)

    def _on_cancel(self, cmd: CancelOrder, now: int, events: list[Event]) -> None:
        raw: Any = cmd  # not validated: read untyped (see apply)
        order_id, owner = raw.order_id, raw.owner
        # A non-str owner matches no resting order (their owners are all str).
        found = isinstance(order_id, str) and isinstance(owner, str)
        remaining = self._cancel(order_id, owner) if found else None
        if remaining is None:
            events.append(OrderRejected(order_id, RejectCode.ORDER_NOT_FOUND, "no open order with this id and owner"))
        else:
            events.append(OrderCancelled(order_id, remaining, _CANCEL_USER))

    def _on_cancel_all(self, cmd: CancelAll, now: int, events: list[Event]) -> None:
        raw: Any = cmd  # not validated: read untyped (see apply)
        owner = raw.owner
        if not isinstance(owner, str):
            return
        for order_id, remaining in self._cancel_all(owner):
            events.append(OrderCancelled(order_id, remaining, _CANCEL_ALL))

    def _on_halt(self, cmd: Halt, now: int, events: list[Event]) -> None:
        # A halt suspends a limit state or a call (its orders rest; a new call starts when
        # the halt ends).
        self._limit = None
        self._call = None
        self._halt = (cmd.reason, cmd.until_ts)
        events.append(MarketHalted(cmd.reason, cmd.until_ts, now))

    def _on_resume(self, cmd: Resume, now: int, events: list[Event]) -> None:
        if self._halt is not None:
            self._resume(now, events)

    def _on_open_auction(self, cmd: OpenAuction, now: int, events: list[Event]) -> None:
        if self._halt is not None:
            self._halt = None
            events.append(MarketResumed(now))
        self._limit = None
        self._opening = True
        self._start_call(now, events)

    def _resume(self, now: int, events: list[Event]) -> None:
        assert self._halt is not None
        reason = self._halt[0]
        self._halt = None
        events.append(MarketResumed(now))
        if self.config.auction_ns == 0 and not self._opening:
            # No call configured: straight back to continuous trading. After a volatility
            # halt the first trade then sets the new reference.
            if reason == VOLATILITY:
                self._reset_reference()
            return
        self._start_call(now, events)

    # ------------------------------------------------------------------- phases
    def _advance(self, now: int, events: list[Event]) -> None:
        """Every phase transition due at ``now``, in order (each may schedule the next)."""
        while True:
            halt = self._halt
            if halt is not None:
                if halt[1] is None or now < halt[1]:
                    return
                self._resume(now, events)
                continue
            limit = self._limit
            if limit is not None:
                if now < limit[1]:
                    return
                self._limit = None
                if self._limit_holds(limit[2], now):
                    self._trip_volatility_halt(now, events)
                else:
                    events.append(LimitStateEnded(now))
                continue
            call = self._call
            if call is None or now < call[1]:
                return
            self._expire(now, events)  # an order that expired before the uncross takes no part
            self._end_call(now, events)

    def _band_breach(self, now: int, below: bool, events: list[Event]) -> None:
        """The next trade of a taker would print outside the band (below it, or above):
        the taker stops there (its remainder is cancelled by the caller), and the market
        enters a limit state or, with limit_state_ns 0, halts at once."""
        if self._limit is not None:
            return
        limit_ns = self.config.limit_state_ns
        if limit_ns == 0:
            self._trip_volatility_halt(now, events)
            return
        direction = "down" if below else "up"
        self._limit = (now, now + limit_ns, direction)
        events.append(LimitStateStarted(direction, now + limit_ns, now))

    def _limit_holds(self, direction: str, now: int) -> bool:
        """Is the book still unable to trade inside the band on the side the move came
        from (no bid inside it after a fall, no ask inside it after a rise)?"""
        reference = self._reference_at(now)
        if reference is None:
            return False
        low, high = band_bounds(reference, self.config.band_bps)
        if direction == "down":
            bid = self.best_bid()
            return bid is None or bid < low
        ask = self.best_ask()
        return ask is None or ask > high

    def _check_limit(self, now: int, events: list[Event]) -> None:
        """After every command in a limit state: it ends as soon as the book recovered."""
        limit = self._limit
        if limit is not None and not self._limit_holds(limit[2], now):
            self._limit = None
            events.append(LimitStateEnded(now))

    def _start_call(self, now: int, events: list[Event]) -> None:
        kind = OPENING if self._opening else REOPENING
        reference = self._window_state(None)[1]  # the last trade price
        ends = now + self.config.auction_ns
        self._call = (kind, ends, reference, 0)
        low, high = self._collars(reference, 0)
        events.append(AuctionStarted(kind, ends, reference, low, high, now))

    def _collars(self, reference: int | None, extensions: int) -> tuple[int | None, int | None]:
        """The call's collars after ``extensions`` extensions (None, None: no reference)."""
        if reference is None:
            return None, None
        cfg = self.config
        low, high = band_bounds(reference, cfg.call_collar_bps + extensions * cfg.band_bps)
        return max(low, 1), high

    def _call_outcome(self) -> tuple[Clearing | None, bool, bool]:
        """What the call would do if it ended now: (clearing, extend?, restricted to the
        collars?). Unrestricted clearing None: nothing crosses."""
        call = self._call
        assert call is not None
        _kind, _ends, reference, extensions = call
        best = self._clearing(None, None, reference)
        if best is None:
            return None, False, False
        low, high = self._collars(reference, extensions)
        if low is None or high is None or low <= best[0] <= high:
            return best, False, False
        if extensions < self.config.max_extensions:
            return best, True, False
        return self._clearing(low, high, reference), False, True

    def _end_call(self, now: int, events: list[Event]) -> None:
        call = self._call
        assert call is not None
        kind, _ends, reference, extensions = call
        best, extend, restricted = self._call_outcome()
        if extend:
            assert best is not None
            ends = now + self.config.auction_ns
            self._call = (kind, ends, reference, extensions + 1)
            low, high = self._collars(reference, extensions + 1)
            assert low is not None and high is not None
            events.append(AuctionExtended(ends, extensions + 1, best[0], low, high, now))
            return
        self._call = None
        self._opening = False
        if best is None:
            events.append(AuctionUncrossed(kind, None, 0, now))
            return
        price, volume = best[0], best[1]
        events.append(AuctionUncrossed(kind, price if volume else None, volume, now))
        if volume:
            self._pair(price, volume, now, events)
            self._record_uncross(now, price, volume)
        if restricted:
            for order_id, remaining in self._cancel_through(price):
                events.append(OrderCancelled(order_id, remaining, _CANCEL_COLLAR))

    def _pair(self, price: int, volume: int, now: int, events: list[Event]) -> None:
        """Execute ``volume`` lots at ``price``: buys priced at or above it against sells
        at or below it, each side by price then time priority. Each pair is one Trade;
        the older order (lower seq) is the maker, the newer the taker."""
        buys = self._auction_queue(Side.BUY, price)
        sells = self._auction_queue(Side.SELL, price)
        i = j = 0
        left = volume
        while left > 0:
            buy, sell = buys[i], sells[j]
            fill = min(buy.remaining, sell.remaining, left)
            maker, taker = (buy, sell) if buy.seq < sell.seq else (sell, buy)
            self._trade_seq += 1
            events.append(
                Trade(self._trade_seq, maker.order_id, taker.order_id, maker.owner, taker.owner, taker.side,
                      price, fill, now)
            )  # fmt: skip
            left -= fill
            if self._auction_fill(buy, fill):
                events.append(OrderDone(buy.order_id))
                i += 1
            if self._auction_fill(sell, fill):
                events.append(OrderDone(sell.order_id))
                j += 1

    def _place_in_call(self, cmd: PlaceOrder, valid: ValidOrder, now: int, events: list[Event]) -> None:
        """During a call nothing executes on arrival: FOK is refused, IOC and market
        orders are accepted and cancelled at once, limit GTC orders (post-only too) rest,
        crossed or not, for the uncross. Self-trade prevention as in continuous trading:
        the owner's resting orders the new one would cross are cancelled."""
        side, otype, tif = valid
        if tif is TimeInForce.FOK:
            events.append(
                OrderRejected(
                    cmd.order_id, RejectCode.FOK_UNFILLED, "call auction: nothing executes before the uncross"
                )
            )
            return
        seq = self._accept(cmd, valid, now, events)
        if otype is OrderType.MARKET:
            events.append(OrderCancelled(cmd.order_id, cmd.quantity, CancelReason.MARKET_REMAINDER))
            return
        if tif is TimeInForce.IOC:
            events.append(OrderCancelled(cmd.order_id, cmd.quantity, CancelReason.IOC))
            return
        assert cmd.price is not None
        for order_id, remaining in self._cancel_self_crossing(cmd.owner, side, cmd.price):
            events.append(OrderCancelled(order_id, remaining, CancelReason.SELF_TRADE))
        self._rest_in_call(cmd, side, seq, now)
        events.append(OrderRested(cmd.order_id, cmd.quantity))

    # ------------------------------------------------------- helpers for matching
    def _accept(self, cmd: PlaceOrder, valid: ValidOrder, now: int, events: list[Event]) -> int:
        """Record the order as accepted; return its acceptance number (time priority)."""
        seq = len(self._accepted_ids)
        self._accepted_ids[cmd.order_id] = None
        if not cmd.order_id.isascii():
            cmd.order_id.encode()  # an id that cannot be encoded fails here, as when digested at once
        self._ids_pending.append(cmd.order_id)
        events.append(
            OrderAccepted(
                cmd.order_id,
                cmd.owner,
                valid.side,
                valid.type,
                cmd.price,
                cmd.quantity,
                valid.tif,
                cmd.post_only,
                now,
            )
        )
        return seq

    def _trip_volatility_halt(self, now: int, events: list[Event]) -> None:
        until = now + self.config.halt_ns
        self._halt = (VOLATILITY, until)
        events.append(MarketHalted(VOLATILITY, until, now))

    # ------------------------------------------------------------------- queries
    @property
    def sequence(self) -> int:
        """Number of commands applied (rejected ones included)."""
        return self._sequence

    @property
    def trade_seq(self) -> int:
        """trade_seq of the last trade (0 before the first)."""
        return self._trade_seq

    @property
    def now(self) -> int | None:
        """The engine clock: the latest command ts seen (None before any command)."""
        return self._now

    @property
    def phase(self) -> str:
        """ "continuous", "limit_state", "halted" or "auction" (as of the last command)."""
        if self._halt is not None:
            return "halted"
        if self._limit is not None:
            return "limit_state"
        if self._call is not None:
            return "auction"
        return "continuous"

    @property
    def limit_state(self) -> tuple[int, int, str] | None:
        """(since, until, direction) while in a limit state, else None."""
        return self._limit

    def next_deadline(self) -> int | None:
        """When the current phase ends by itself (limit state, timed halt, call), if it
        does: a command at or after it (``Expire``) makes the transition happen."""
        if self._halt is not None:
            return self._halt[1]
        if self._limit is not None:
            return self._limit[1]
        if self._call is not None:
            return self._call[1]
        return None

    def auction_state(self) -> AuctionState:
        """The call as of the last command: its end, collars, and what would happen if it
        ended now (the indicative price, matched quantity and imbalance). Pure query."""
        call = self._call
        if call is None:
            return AuctionState(NO_AUCTION)
        kind, ends, reference, extensions = call
        low, high = self._collars(reference, extensions)
        best, _extend, _restricted = self._call_outcome()
        price: int | None = None
        volume = imbalance = 0
        side: Side | None = None
        if best is not None:
            volume = best[1]
            price = best[0] if volume else None
            imbalance = best[2] - best[3]
            side = Side.BUY if imbalance > 0 else Side.SELL if imbalance < 0 else None
        return AuctionState(kind, ends, price, volume, side, abs(imbalance), reference, low, high, extensions)

    @property
    def halted(self) -> tuple[str, int | None] | None:
        """(reason, until_ts) while halted, else None. An expired halt is lifted by the
        next command, not by this query (the engine has no clock)."""
        return self._halt

    def halted_at(self, ts: int) -> tuple[str, int | None] | None:
        """The halt a command at ``ts`` would find: like ``halted``, but an expired
        halt reads as lifted. Pure query (for status pages between commands)."""
        halt = self._halt
        now = ts if self._now is None else max(ts, self._now)
        if halt is not None and halt[1] is not None and now >= halt[1]:
            return None
        return halt

    def reference_price(self, ts: int | None = None) -> int | None:
        """The band reference a PlaceOrder at ``ts`` (default: the engine clock) would
        see; a ts older than the engine clock reads at the engine clock. Pure query."""
        t = self._now if ts is None or (self._now is not None and ts < self._now) else ts
        if t is None:
            return None
        halt = self._halt
        if halt is not None and halt[0] == VOLATILITY and halt[1] is not None and t >= halt[1]:
            if self.config.auction_ns == 0 and not self._opening:
                return None  # that command would first reopen the market, resetting the reference
        return self._reference_at(t)

    def state_hash(self) -> str:
        """sha256 of a canonical serialization of everything that decides future
        behaviour: config, clock, counters, used ids, halt, reference window, book
        (each resting order's expiry included)."""
        window, last = self._window_state(self._now)
        book = [
            [o.side.value, o.price, o.seq, o.order_id, o.owner, o.quantity, o.remaining, o.ts, o.expires_ts]
            for o in sorted(self.resting_orders(), key=_priority)
        ]
        cfg = self.config
        payload = {
            "version": 3,
            "config": [
                cfg.band_bps,
                cfg.reference_window_ns,
                cfg.halt_ns,
                cfg.collar_bps,
                cfg.auction_ns,
                cfg.auction_collar_bps,
                cfg.max_extensions,
                cfg.limit_state_ns,
            ],
            "sequence": self._sequence,
            "now": self._now,
            "trade_seq": self._trade_seq,
            "accepted_ids": [len(self._accepted_ids), self._accepted_ids_digest()],
            "halt": None if self._halt is None else list(self._halt),
            "limit_state": None if self._limit is None else list(self._limit),
            "call": None if self._call is None else list(self._call),
            "opening": self._opening,
            "reference": {"window": [list(t) for t in window], "last": last},
            "book": book,
        }
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def _accepted_ids_digest(self) -> str:
        """sha256 over every accepted order id in acceptance order, each prefixed by its
        length; ids are folded in here, lazily, rather than one by one as accepted."""
        if self._ids_pending:
            digest = self._ids_digest
            for order_id in self._ids_pending:
                raw = order_id.encode()
                digest.update(len(raw).to_bytes(8, "big") + raw)
            self._ids_pending.clear()
        return self._ids_digest.hexdigest()

    # ------------------------------------------------------ implemented per engine
    @abstractmethod
    def _place(self, cmd: PlaceOrder, valid: ValidOrder, now: int, reference: int | None, events: list[Event]) -> None:
        """Match a validated order (market open, id unused) against the book."""

    @abstractmethod
    def _clearing(self, low: int | None, high: int | None, reference: int | None) -> Clearing | None:
        """The uncross price by the rule: the most executed quantity, then the least
        imbalance (|demand - supply|), then the nearest the reference (with none: the
        midpoint, floored, of the lowest and highest price still tied), then the lower
        price; over every integer price >= 1 (None: nothing crosses) or, given low and
        high, over the prices within them (executed quantity 0 allowed)."""

    @abstractmethod
    def _auction_queue(self, side: Side, price: int) -> list[Any]:
        """The resting orders of ``side`` that trade at ``price`` (buys at or above it,
        sells at or below), by price then time priority. Each has order_id, owner, side,
        remaining and seq."""

    @abstractmethod
    def _auction_fill(self, order: Any, quantity: int) -> bool:
        """Take ``quantity`` off a resting order; True (and off the book) when it is filled."""

    @abstractmethod
    def _record_uncross(self, now: int, price: int, volume: int) -> None:
        """The reference restarts from the auction price: forget the earlier trades and
        record the uncross as the one trade price in the window."""

    @abstractmethod
    def _cancel_through(self, price: int) -> list[tuple[str, int]]:
        """Remove every resting buy priced above ``price`` and sell priced below it, bids
        best-first then asks best-first; return (order_id, remaining) of each."""

    @abstractmethod
    def _cancel_self_crossing(self, owner: str, side: Side, price: int) -> list[tuple[str, int]]:
        """Remove owner's resting orders opposite ``side`` that a ``side`` order at
        ``price`` crosses, in priority order; return (order_id, remaining) of each."""

    @abstractmethod
    def _rest_in_call(self, cmd: PlaceOrder, side: Side, seq: int, now: int) -> None:
        """Put an accepted limit order on the book without matching (a call)."""

    @abstractmethod
    def _expire(self, now: int, events: list[Event]) -> None:
        """Cancel ("expired") every resting order whose expires_ts <= now, by
        (expires_ts, seq). Called at the start of every command."""

    @abstractmethod
    def next_expiry(self) -> int | None:
        """The earliest expires_ts of a resting order (None: no resting order expires).
        A command with ts >= it expires that order; ``Expire(ts)`` does only that."""

    @abstractmethod
    def _cancel(self, order_id: str, owner: str) -> int | None:
        """Remove owner's resting order; return its remaining quantity, or None."""

    @abstractmethod
    def _cancel_all(self, owner: str) -> list[tuple[str, int]]:
        """Remove all of owner's resting orders, in acceptance order."""

    @abstractmethod
    def _reference_for_command(self, now: int) -> int | None:
        """The reference price for a PlaceOrder at ``now`` (may prune the window)."""

    @abstractmethod
    def _reference_at(self, ts: int) -> int | None:
        """The reference price at ``ts`` without changing state."""

    @abstractmethod
    def _reset_reference(self) -> None:
        """Forget all trades for reference purposes (volatility reopening)."""

    @abstractmethod
    def _window_state(self, now: int | None) -> tuple[list[tuple[int, int]], int | None]:
        """((ts, price) of the trades inside the window at ``now``, last trade price)."""

    @abstractmethod
    def resting_orders(self) -> list[RestingOrder]:
        """Every resting order: bids best-first, then asks best-first."""

    @abstractmethod
    def order(self, order_id: str) -> RestingOrder | None: ...

    @abstractmethod
    def open_orders(self, owner: str) -> list[RestingOrder]:
        """owner's resting orders in acceptance order."""

    def depth(self, n: Any = None) -> Depth:
        """(bids, asks) as [(price, total quantity)] per level, best first; at most n
        levels a side (None: all; anything but None or an int >= 0: ValueError)."""
        if n is not None and (not is_int(n) or n < 0):
            raise ValueError(f"depth n must be None or an int >= 0, got {n!r}")
        return self._depth(n)

    @abstractmethod
    def _depth(self, n: int | None) -> Depth: ...

    @abstractmethod
    def best_bid(self) -> int | None: ...

    @abstractmethod
    def best_ask(self) -> int | None: ...


def _priority(order: RestingOrder) -> tuple[int, int, int]:
    """Canonical book order: bids best-first, then asks best-first; FIFO within a price."""
    if order.side is Side.BUY:
        return (0, -order.price, order.seq)
    return (1, order.price, order.seq)


def _on_expire(engine: EngineBase, cmd: Expire, now: int, events: list[Event]) -> None:
    """Nothing of its own: ``apply`` has expired the due orders already."""


_HANDLERS: dict[type, Callable[..., None]] = {
    PlaceOrder: EngineBase._on_place,
    CancelOrder: EngineBase._on_cancel,
    CancelAll: EngineBase._on_cancel_all,
    Halt: EngineBase._on_halt,
    Resume: EngineBase._on_resume,
    Expire: _on_expire,
    OpenAuction: EngineBase._on_open_auction,
}
