"""pyorderbook 0.4.9 (pure Python: a heap of price levels per side, an insertion-ordered
dict of orders per level).

API (pyorderbook/book.py, order.py): ``Book().match(order)`` returns a TradeBlotter whose
``trades`` hold one Trade (``fill_quantity``) per resting order hit; ``Order(side,
symbol, price, quantity)`` with ``Side.BID``/``Side.ASK`` converts the price with
``Decimal(str(price))`` (exact for integer ticks) and takes a uuid4 id;
``Book().cancel(order)`` takes the Order object. Orders are mutated as they fill, so
each run gets fresh ones (built, like every engine's inputs, outside the timed loop).

Missing features, emulated: no IOC and no market orders. A market order is a limit at a
price no order in the stream reaches (buy 10**9, sell 1); IOC and market orders are
matched, then their remainder, if any, is cancelled at once.
"""

from __future__ import annotations

import logging
from typing import Any

from bench.matching_streams import CANCEL, LIMIT, MARKET, Stream

# pyorderbook calls logging.basicConfig(level=INFO) on import: keep the root logger as it was.
_root = logging.getLogger()
_saved = _root.level, list(_root.handlers)
from pyorderbook import Book, Order, Side  # noqa: E402

_root.setLevel(_saved[0])
_root.handlers[:] = _saved[1]

_PLACE, _IMMEDIATE, _CANCEL = 0, 1, 2
_SYMBOL = "X"
_MARKET_BUY, _MARKET_SELL = 10**9, 1


class Peer:
    name = "pyorderbook"
    kind = "pure Python, heaps"
    emulation = "market: limit at an unreachable price; IOC/market: match, then cancel the remainder"

    def prepare(self, stream: Stream) -> tuple[Book, list[tuple[int, Order]]]:
        orders: dict[int, Order] = {}
        out: list[tuple[int, Order]] = []
        for op in stream.ops:
            if op[0] == CANCEL:
                out.append((_CANCEL, orders[op[1]]))
                continue
            if op[0] == MARKET:
                price = _MARKET_BUY if op[2] else _MARKET_SELL
            else:
                price = op[3]
            order = Order(Side.BID if op[2] else Side.ASK, _SYMBOL, price, op[4])
            orders[op[1]] = order
            out.append((_PLACE if op[0] == LIMIT else _IMMEDIATE, order))
        return Book(), out

    def run(self, prepared: tuple[Book, list[tuple[int, Any]]]) -> tuple[int, int]:
        book, ops = prepared
        match, cancel = book.match, book.cancel
        fills = quantity = 0
        for kind, order in ops:
            if kind == _CANCEL:
                try:
                    cancel(order)
                except KeyError:  # a filled order: only if the engines disagree
                    pass
                continue
            for trade in match(order).trades:
                fills += 1
                quantity += trade.fill_quantity
            if kind == _IMMEDIATE and order.quantity:
                cancel(order)
        return fills, quantity
