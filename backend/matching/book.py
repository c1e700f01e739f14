"""The fast order book: sorted price levels, a FIFO queue per level, an order index.

Each side keeps its levels in a dict keyed by *signed* price (price for asks, -price
for bids), so the best level of either side is the smallest key and one matching loop
serves both sides. The keys' order is a plain list kept sorted with ``bisect`` (C code)
rather than a SortedDict (Python code on every new or emptied level): it holds ``-key``
ascending, so the best level is last, where most levels come and go and a list insert
or delete moves next to nothing. Cancels are O(1) through the order index: the order
is marked dead (remaining = 0) and skipped when it reaches the front of its queue
(lazy deletion); a level whose live orders are gone is dropped at once, and a queue
holding many dead entries is compacted. A level's queue is a list and the index of its
front (``head``), rather than a deque: list appends and reads are mypyc primitives,
a deque's methods are Python calls; entries before ``head`` (consumed, all dead) are
dropped once they are most of the list.

The indexes cost no container of their own per order: the order-id index is the
engine's dict of accepted ids (an id maps to its order while it rests, else to None),
and an owner's live orders form a circular doubly linked list through the orders
themselves (``owner_prev``/``owner_next``, in acceptance order; ``by_owner`` maps an
owner to the oldest). A lone order's links are None, so a resting order is in a
reference cycle only while its owner has others resting; a forgotten order's links
are cleared. Matching never needs the owner index (self-trade prevention compares the
maker's owner): it is built on the first query by owner (open orders, cancel all),
from the order index, whose values are in acceptance order, and kept from then on.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator
from itertools import islice
from typing import Any, Final

from backend.matching.types import RestingOrder, Side

_COMPACT_SLACK = 16
# Final: compiled by mypyc, these are C statics rather than lookups in a module's dict.
_BUY: Final = Side.BUY
_INSORT: Final = insort


def hashed_dict() -> dict[Any, Any]:
    """An empty dict that keeps each key's hash in its table (CPython's "general" key
    layout), for the big str-keyed indexes. A dict holding only str keys uses a compact
    layout without the hashes, so each occupied slot probed by a lookup dereferences that
    slot's key to compare hashes: on a large index, a cache miss per probe (a miss needs
    one to three). One non-str key switches a dict to the general layout for good (its
    resizes keep it), so the key is added and removed again. Contents and behaviour are
    those of any dict; only the memory layout differs (on CPython; elsewhere a plain dict)."""
    table: dict[Any, Any] = {None: None}
    del table[None]
    return table


class BookOrder:
    """A live order on the book (mutable; callers only ever see RestingOrder)."""

    __slots__ = (
        "expires_ts",
        "order_id",
        "owner",
        "owner_next",
        "owner_prev",
        "price",
        "quantity",
        "remaining",
        "seq",
        "side",
        "ts",
    )

    def __init__(
        self,
        order_id: str,
        owner: str,
        side: Side,
        price: int,
        quantity: int,
        remaining: int,
        seq: int,
        ts: int,
        expires_ts: int | None = None,
    ) -> None:
        self.order_id = order_id
        self.owner = owner
        self.side = side
        self.price = price
        self.quantity = quantity
        self.remaining = remaining
        self.seq = seq
        self.ts = ts
        self.expires_ts = expires_ts
        # The owner's other live orders (see the module docstring): None while it is alone.
        self.owner_next: BookOrder | None = None
        self.owner_prev: BookOrder | None = None

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


class Level:
    """Orders at one price, oldest first, from ``orders[head]`` on. ``total`` and ``live``
    count live orders only."""

    __slots__ = ("head", "live", "orders", "total")

    def __init__(self) -> None:
        self.orders: list[BookOrder] = []
        self.head = 0
        self.total = 0
        self.live = 0


class BookSide:
    __slots__ = ("levels", "ranks", "side", "sign")

    def __init__(self, side: Side) -> None:
        self.side = side
        self.sign = 1 if side is Side.SELL else -1
        self.levels: dict[int, Level] = {}
        self.ranks: list[int] = []  # -key of every level, ascending: the best level is last

    def best_key(self) -> int | None:
        return -self.ranks[-1] if self.ranks else None

    def best_price(self) -> int | None:
        return -self.ranks[-1] * self.sign if self.ranks else None

    def new_level(self, key: int) -> Level:
        level = self.levels[key] = Level()
        ranks = self.ranks
        if not ranks or ranks[-1] < -key:  # a new best level
            ranks.append(-key)
        else:
            _INSORT(ranks, -key)
        return level

    def drop_level(self, key: int) -> None:
        del self.levels[key]
        ranks = self.ranks
        if ranks[-1] == -key:
            ranks.pop()
        else:
            del ranks[bisect_left(ranks, -key)]

    def items(self) -> Iterator[tuple[int, Level]]:
        """(key, level) from the best level to the worst."""
        levels = self.levels
        for rank in reversed(self.ranks):
            yield -rank, levels[-rank]

    def add(self, order: BookOrder) -> None:
        key = order.price * self.sign
        level = self.levels.get(key)
        if level is None:
            level = self.new_level(key)
        level.orders.append(order)
        level.total += order.remaining
        level.live += 1

    def discard(self, order: BookOrder) -> None:
        """Take a live order off its level (lazily) and mark it dead."""
        key = order.price * self.sign
        level = self.levels[key]
        level.total -= order.remaining
        level.live -= 1
        order.remaining = 0
        if level.live == 0:
            self.drop_level(key)
        elif len(level.orders) - level.head > 2 * level.live + _COMPACT_SLACK:
            level.orders = [o for o in level.orders[level.head :] if o.remaining]
            level.head = 0

    def depth(self, n: int | None) -> list[tuple[int, int]]:
        sign = self.sign
        return [(key * sign, level.total) for key, level in islice(self.items(), n)]

    def orders(self) -> list[BookOrder]:
        """Live orders in priority order."""
        return [o for _key, level in self.items() for o in level.orders[level.head :] if o.remaining]


class OrderBook:
    """Both sides plus the indexes: order_id -> order (``index``: None once the order is
    no longer live) and owner -> the owner's oldest live order, the head of a circular
    list of them in acceptance order (``by_owner``: None until the first query by owner)."""

    __slots__ = ("asks", "bids", "by_owner", "index")

    def __init__(self) -> None:
        self.bids = BookSide(Side.BUY)
        self.asks = BookSide(Side.SELL)
        self.index: dict[str, BookOrder | None] = hashed_dict()
        self.by_owner: dict[str, BookOrder] | None = None

    def side(self, side: Side) -> BookSide:
        return self.bids if side is _BUY else self.asks

    def rest(self, order: BookOrder) -> None:
        self.side(order.side).add(order)
        self.index[order.order_id] = order
        self.link_owner(order)

    def link_owner(self, order: BookOrder) -> None:
        """Append a new live order to its owner's list (the order is the newest), once
        the owner index exists."""
        by_owner = self.by_owner
        if by_owner is None:
            return
        head = by_owner.get(order.owner)
        if head is None:
            by_owner[order.owner] = order
            return
        tail = head.owner_prev
        if tail is None:  # head was alone
            head.owner_next = order
            order.owner_prev = head
        else:
            tail.owner_next = order
            order.owner_prev = tail
        order.owner_next = head
        head.owner_prev = order

    def forget(self, order: BookOrder) -> None:
        """Drop a no-longer-live order from the indexes (its level is handled by the caller)."""
        self.index[order.order_id] = None
        by_owner = self.by_owner
        if by_owner is None:
            return
        after = order.owner_next
        if after is None:  # alone
            del by_owner[order.owner]
            return
        before = order.owner_prev
        assert before is not None
        if before is after:  # one other order left: it is alone now
            after.owner_next = after.owner_prev = None
        else:
            before.owner_next = after
            after.owner_prev = before
        if before.seq > order.seq:  # order was the oldest (its predecessor is the newest)
            by_owner[order.owner] = after
        order.owner_next = order.owner_prev = None

    def owned(self, owner: str) -> list[BookOrder]:
        """owner's live orders in acceptance order."""
        by_owner = self.by_owner
        if by_owner is None:  # first query by owner: index every live order, oldest first
            by_owner = self.by_owner = hashed_dict()
            for live in self.index.values():
                if live is not None:
                    self.link_owner(live)
        head = by_owner.get(owner)
        if head is None:
            return []
        out = [head]
        order = head.owner_next
        while order is not None and order is not head:
            out.append(order)
            order = order.owner_next
        return out

    def remove(self, order: BookOrder) -> int:
        """Cancel a resting order; return the quantity it still had."""
        remaining = order.remaining
        self.side(order.side).discard(order)
        self.forget(order)
        return remaining
