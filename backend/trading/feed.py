"""Market data fan-out for the websocket: a snapshot, then sequenced increments.

Order entry runs in worker threads; websocket clients live on the event loop. Each
subscriber owns an asyncio queue and its loop; publishing hands a message over with
call_soon_threadsafe, so the sequencer never blocks on a slow client. A client whose
queue overflows is dropped (it reconnects and gets a fresh snapshot) rather than
slowing the market down.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

QUEUE_LIMIT = 1000


@dataclass(eq=False)
class Subscription:
    symbol: str
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    overflowed: bool = False

    def offer(self, message: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True  # the websocket loop sees this and closes the connection


class Feed:
    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = defaultdict(set)
        self._lock = threading.Lock()

    def subscribe(self, symbol: str) -> Subscription:
        sub = Subscription(symbol, asyncio.get_running_loop())
        with self._lock:
            self._subs[symbol].add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs[sub.symbol].discard(sub)

    def watched(self, symbol: str) -> bool:
        """Whether anyone subscribes to `symbol` now (a subscriber's snapshot is taken after it
        subscribed, under the market's lock: a command that saw nobody is in that snapshot)."""
        with self._lock:
            return bool(self._subs.get(symbol))

    def publish(self, symbol: str, message: dict[str, Any]) -> None:
        with self._lock:
            subs = list(self._subs.get(symbol, ()))
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(sub.offer, message)
            except RuntimeError:  # its loop is closed: the client is gone
                self.unsubscribe(sub)


def level_changes(before: tuple[list, list], after: tuple[list, list]) -> dict[str, list[tuple[int, int]]]:
    """Price levels whose size changed, per side; size 0 means the level is gone."""
    changes: dict[str, list[tuple[int, int]]] = {}
    for name, old, new in (("bids", before[0], after[0]), ("asks", before[1], after[1])):
        old_levels, new_levels = dict(old), dict(new)
        changed = [(p, q) for p, q in new_levels.items() if old_levels.get(p) != q]
        changed += [(p, 0) for p in old_levels if p not in new_levels]
        changes[name] = sorted(changed)
    return changes
