"""lobby 0.1.3 (pure Python: a red-black tree of price levels, linked-list FIFO per level).

API (lobby/orderbook.py): ``OrderBook(price_digits)``; ``processOrder(quote, fromData,
verbose)`` with quote ``{"type": "limit"|"market", "side": "bid"|"ask", "qty", "price",
"tid"}`` returns ``(trades, orderInBook)``, one trade dict (with "qty") per resting order
hit; limit prices are scaled by ``int(round(price * 10**price_digits))``, so with
price_digits=0 integer ticks stay integers. Each processOrder call takes the next id
(1, 2, ...), which is the resting order's idNum; ``cancelOrder(side, idNum)``.
Market orders are native (their remainder is dropped). The quote dicts are mutated, so
each run gets fresh ones.

Missing feature, emulated: no IOC. An IOC limit is placed, then its remainder, if it
rested, is cancelled at once.
"""

from __future__ import annotations

from typing import Any

from lobby import OrderBook

from bench.matching_streams import CANCEL, IOC, MARKET, Stream

_PLACE, _IMMEDIATE, _CANCEL = 0, 1, 2


class Peer:
    name = "lobby"
    kind = "pure Python, red-black tree"
    emulation = "IOC: place, then cancel the remainder (market orders native)"

    def prepare(self, stream: Stream) -> tuple[OrderBook, list[tuple[Any, ...]]]:
        ids: dict[int, tuple[str, int]] = {}
        out: list[tuple[Any, ...]] = []
        for op in stream.ops:
            if op[0] == CANCEL:
                side, id_num = ids[op[1]]
                out.append((_CANCEL, side, id_num))
                continue
            side = "bid" if op[2] else "ask"
            ids[op[1]] = (side, len(ids) + 1)
            if op[0] == MARKET:
                quote = {"type": "market", "side": side, "qty": op[4], "tid": op[1]}
            else:
                quote = {"type": "limit", "side": side, "qty": op[4], "price": op[3], "tid": op[1]}
            out.append((_IMMEDIATE if op[0] == IOC else _PLACE, side, quote))
        return OrderBook(price_digits=0), out

    def run(self, prepared: tuple[OrderBook, list[tuple[Any, ...]]]) -> tuple[int, int]:
        book, ops = prepared
        process, cancel = book.processOrder, book.cancelOrder
        fills = quantity = 0
        for kind, side, arg in ops:
            if kind == _CANCEL:
                cancel(side, arg)
                continue
            trades, rested = process(arg, False, False)
            for trade in trades:
                fills += 1
                quantity += trade["qty"]
            if kind == _IMMEDIATE and rested is not None:
                cancel(side, rested["idNum"])
        return fills, quantity
