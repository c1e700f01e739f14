"""The command frame shared by both engines.

``EngineBase.apply`` owns what is not about the book: the engine clock, the command
count, halts (operator kill switch, volatility halts, expiry by command ts), order-id
uniqueness, the refusal of an already expired order, trade numbering and the canonical
state hash. Subclasses own the book, the matching, the expiry of resting orders (when:
here, at the start of every command) and the rolling reference window.
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
    PlaceOrder,
    Resume,
    ValidOrder,
    is_int,
    validate_place,
)
from backend.matching.events import (
    Event,
    MarketHalted,
    MarketResumed,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
)
from backend.matching.types import (
    VOLATILITY,
    CancelReason,
    MarketConfig,
    RejectCode,
    RestingOrder,
    Side,
)

Depth = tuple[list[tuple[int, int]], list[tuple[int, int]]]

# Final: compiled by mypyc, C statics rather than attribute lookups on the enum class.
_CANCEL_USER: Final = CancelReason.USER
_CANCEL_ALL: Final = CancelReason.CANCEL_ALL


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
        halt = self._halt
        if halt is not None and halt[1] is not None and now >= halt[1]:
            self._resume(now, events)
        self._expire(now, events)
        handler(self, command, now, events)
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
        self._halt = (cmd.reason, cmd.until_ts)
        events.append(MarketHalted(cmd.reason, cmd.until_ts, now))

    def _on_resume(self, cmd: Resume, now: int, events: list[Event]) -> None:
        if self._halt is not None:
            self._resume(now, events)

    def _resume(self, now: int, events: list[Event]) -> None:
        assert self._halt is not None
        if self._halt[0] == VOLATILITY:
            # Like a LULD reopening: the first trade after the pause sets the new reference.
            self._reset_reference()
        self._halt = None
        events.append(MarketResumed(now))

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
            "version": 2,
            "config": [cfg.band_bps, cfg.reference_window_ns, cfg.halt_ns, cfg.collar_bps],
            "sequence": self._sequence,
            "now": self._now,
            "trade_seq": self._trade_seq,
            "accepted_ids": [len(self._accepted_ids), self._accepted_ids_digest()],
            "halt": None if self._halt is None else list(self._halt),
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
}
