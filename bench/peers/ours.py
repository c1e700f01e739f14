"""Our engine (``backend.matching.MatchingEngine``) behind the benchmark adapter interface.

Every order gets its own owner, so self-trade prevention never fires; the price band
and the market-order collar are set wide enough never to bind (the peers have neither).
"""

from __future__ import annotations

from backend.matching import (
    COMPILED,
    CancelOrder,
    Command,
    EngineBase,
    MarketConfig,
    MatchingEngine,
    OrderType,
    PlaceOrder,
    Side,
    TimeInForce,
    Trade,
)
from bench.matching_streams import CANCEL, IOC, LIMIT, MARKET, Stream

# band_bps/collar_bps far beyond any price move in the streams: no halt, no collar.
UNBOUNDED = MarketConfig(band_bps=10**9, collar_bps=10**9)
_TS0 = 1_700_000_000_000_000_000


def commands(stream: Stream) -> list[Command]:
    """The stream as our engine's commands (one owner per order, ts 1 us apart)."""
    out: list[Command] = []
    ts = _TS0
    for op in stream.ops:
        ts += 1_000
        kind, oid = op[0], op[1]
        order_id = f"o{oid}"
        if kind == CANCEL:
            out.append(CancelOrder(order_id, f"u{oid}", ts))
            continue
        side = Side.BUY if op[2] else Side.SELL
        if kind == LIMIT:
            out.append(PlaceOrder(order_id, f"u{oid}", side, OrderType.LIMIT, op[3], op[4], ts=ts))
        elif kind == IOC:
            out.append(PlaceOrder(order_id, f"u{oid}", side, OrderType.LIMIT, op[3], op[4], TimeInForce.IOC, ts=ts))
        else:
            assert kind == MARKET
            out.append(PlaceOrder(order_id, f"u{oid}", side, OrderType.MARKET, None, op[4], ts=ts))
    return out


class Peer:
    name = "ours (MatchingEngine)"
    # Which build ran: `make matching-native` compiles the matching core with mypyc.
    kind = "Python compiled with mypyc" if COMPILED else "pure Python"
    emulation = ""

    def __init__(self, engine_cls: type[EngineBase] = MatchingEngine) -> None:
        self.engine_cls = engine_cls

    def prepare(self, stream: Stream) -> tuple[EngineBase, list[Command]]:
        return self.engine_cls(UNBOUNDED), commands(stream)

    def run(self, prepared: tuple[EngineBase, list[Command]]) -> tuple[int, int]:
        engine, cmds = prepared
        apply = engine.apply
        fills = quantity = 0
        for command in cmds:
            for event in apply(command):
                if type(event) is Trade:
                    fills += 1
                    quantity += event.quantity
        return fills, quantity
