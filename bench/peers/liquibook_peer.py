"""liquibook 2.0.1 (C++ order book via SWIG; a std::multimap of order trackers per side).

API (the wheel's SWIG module; upstream src/book/order_book.h, simple/simple_order.h):
``liquibook_book_OrderBook()``; ``add(order, conditions)`` with
``SimpleOrder(is_buy, price, qty)``, price 0 for a market order, conditions
``oc_immediate_or_cancel`` for IOC (the order's own conditions are not read: the
tracker ORs them into a local copy, so they must be passed to ``add``);
``cancel(order)``. Fills arrive through ``set_order_listener``: a Python
``OrderListener`` whose ``on_fill(order, matched_order, fill_qty, fill_cost)`` is called
once per resting order hit. OrderListener's other callbacks are pure virtual, so the
listener implements them all (as no-ops). Market and IOC are native.
"""

from __future__ import annotations

from typing import Any

import liquibook

from bench.matching_streams import CANCEL, IOC, MARKET, Stream

_IOC = liquibook.oc_immediate_or_cancel
_NONE = liquibook.oc_no_conditions


class FillCounter(liquibook.OrderListener):
    def __init__(self) -> None:
        liquibook.OrderListener.__init__(self)
        self.fills = 0
        self.quantity = 0

    def on_fill(self, order: Any, matched_order: Any, fill_qty: int, fill_cost: int) -> None:
        self.fills += 1
        self.quantity += fill_qty

    def on_accept(self, order: Any) -> None:
        pass

    def on_reject(self, order: Any, reason: str) -> None:
        pass

    def on_cancel(self, order: Any) -> None:
        pass

    def on_cancel_reject(self, order: Any, reason: str) -> None:
        pass

    def on_replace(self, order: Any, size_delta: int, new_price: int) -> None:
        pass

    def on_replace_reject(self, order: Any, reason: str) -> None:
        pass

    def on_trigger_stop(self, order: Any, *args: Any) -> None:
        pass


class Peer:
    name = "liquibook"
    kind = "C++ via SWIG, Python fill listener"
    emulation = ""

    def prepare(self, stream: Stream) -> tuple[Any, FillCounter, list[tuple[bool, Any, int]]]:
        orders: dict[int, Any] = {}
        out: list[tuple[bool, Any, int]] = []
        for op in stream.ops:
            if op[0] == CANCEL:
                out.append((True, orders[op[1]], 0))
                continue
            price = 0 if op[0] == MARKET else op[3]
            order = liquibook.SimpleOrder(bool(op[2]), price, op[4])
            orders[op[1]] = order
            out.append((False, order, _IOC if op[0] in (IOC, MARKET) else _NONE))
        book = liquibook.liquibook_book_OrderBook()
        listener = FillCounter()
        book.set_order_listener(listener)
        return book, listener, out

    def run(self, prepared: tuple[Any, FillCounter, list[tuple[bool, Any, int]]]) -> tuple[int, int]:
        book, listener, ops = prepared
        add, cancel = book.add, book.cancel
        for is_cancel, order, conditions in ops:
            if is_cancel:
                cancel(order)
            else:
                add(order, conditions)
        return listener.fills, listener.quantity
