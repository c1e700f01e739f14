"""lightmatchingengine 2019.1.4 (pure Python: a dict of price -> list of orders per side).

API (lightmatchingengine/lightmatchingengine.py): ``LightMatchingEngine().add_order(instmt,
price, qty, side)`` returns ``(order, trades)``; ``side`` is 1 (buy) or 2 (sell); price 0
means a market order; order ids are assigned 1, 2, ... per add_order call;
``cancel_order(order_id, instmt)``. ``trades`` holds one aggressive execution per price
level and one passive execution per resting order hit, so fills are the trades whose
order id is not the taker's.

Missing features, emulated: no IOC and no market remainder handling (a market order's
remainder would rest at price 0). IOC and market orders are added, then their remainder,
if any, is cancelled at once (nothing runs in between, so the book ends as with IOC).
Its cancel of a filled order fails (filled orders stay in order_id_map): the streams
cancel resting orders only.
"""

from __future__ import annotations

from typing import Any

from lightmatchingengine.lightmatchingengine import LightMatchingEngine, Side

from bench.matching_streams import CANCEL, LIMIT, MARKET, Stream

_SYMBOL = "X"
_PLACE, _IMMEDIATE, _CANCEL = 0, 1, 2


class Peer:
    name = "lightmatchingengine"
    kind = "pure Python, dict of lists"
    emulation = "IOC/market: add, then cancel the remainder"

    def prepare(self, stream: Stream) -> tuple[LightMatchingEngine, list[tuple[Any, ...]]]:
        ids: dict[int, int] = {}
        out: list[tuple[Any, ...]] = []
        for op in stream.ops:
            if op[0] == CANCEL:
                out.append((_CANCEL, ids[op[1]], 0, 0))
                continue
            ids[op[1]] = len(ids) + 1  # the engine numbers orders 1, 2, ... in arrival order
            price = 0 if op[0] == MARKET else op[3]
            side = Side.BUY if op[2] else Side.SELL
            out.append((_PLACE if op[0] == LIMIT else _IMMEDIATE, price, op[4], side))
        return LightMatchingEngine(), out

    def run(self, prepared: tuple[LightMatchingEngine, list[tuple[Any, ...]]]) -> tuple[int, int]:
        engine, ops = prepared
        add, cancel = engine.add_order, engine.cancel_order
        fills = quantity = 0
        for kind, a, b, c in ops:
            if kind == _CANCEL:
                try:
                    cancel(a, _SYMBOL)
                except AssertionError:  # a filled order: only if the engines disagree
                    pass
                continue
            order, trades = add(_SYMBOL, a, b, c)
            taker = order.order_id
            for trade in trades:
                if trade.order_id != taker:
                    fills += 1
                    quantity += trade.trade_qty
            if kind == _IMMEDIATE and order.leaves_qty:
                cancel(taker, _SYMBOL)
        return fills, quantity
