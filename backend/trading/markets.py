"""Market data read from the sequencer's engine and the trade records."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from backend.clock import utc_today
from backend.disclosures.policies import halt_reason, missing_disclosures
from backend.matching import AuctionState
from backend.models.assets import Asset
from backend.models.settlement import TradeRecord
from backend.money import fmt
from backend.trading.sequencer import Venue, now_ns


def market_status(
    session: Session, venue: Venue, asset: Asset, *, enforce_disclosures: bool = True, today: date | None = None
) -> str:
    """`open`, `auction: reopening (until <time>)` / `auction: opening (until <time>)` (a call:
    orders and cancels accepted, nothing matches until the uncross), `limit state: up|down (until
    <time>)` (trades only inside the price band; a halt follows at <time> unless the book
    recovers first) or `halted: <reason>`. One
    reason is shown: an engine halt (operator kill switch, volatility band) first, because
    lifting it is the operator's action; then missing or stale disclosures (the asset JSON
    lists those separately as `missing_disclosures`)."""
    market = venue.market(session, asset.symbol)
    engine = market.engine
    # A volatility halt whose time is up reads as lifted (the engine lifts it on the next command).
    halted = engine.halted_at(now_ns())
    if halted is None and engine.phase == "auction":
        with market.lock:  # the indicative figures read the book
            call = engine.auction_state()
        if call.phase != "none" and call.ends_at is not None:
            return f"auction: {call.phase} (until {_iso(call.ends_at)})"
    if halted is None and engine.limit_state is not None:  # trading inside the band only
        _since, limit_ends, direction = engine.limit_state
        return f"limit state: {direction} (until {_iso(limit_ends)})"
    if halted is None:
        if enforce_disclosures:
            missing = missing_disclosures(session, asset, today or utc_today())
            if missing:
                return f"halted: {halt_reason(missing)}"
        return "open"
    reason, until_ts = halted
    if reason == "disclosure" and enforce_disclosures:  # the engine's disclosure halt: say which
        missing = missing_disclosures(session, asset, today or utc_today())
        return f"halted: {halt_reason(missing) if missing else reason}"
    if reason == "volatility" and until_ts:
        return f"halted: volatility (until {_iso(until_ts)})"
    return f"halted: {reason}"


def _iso(ts_ns: int) -> str:
    return datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def auction(session: Session, venue: Venue, asset: Asset) -> dict[str, Any]:
    """The market's call auction (`phase: "none"` outside one): its end, the indicative
    uncross price, matched quantity and imbalance, the reference and collars, extensions."""
    market = venue.market(session, asset.symbol)
    with market.lock:
        state = market.engine.auction_state()
    return {"symbol": asset.symbol, **auction_public(asset, state)}


def auction_public(asset: Asset, state: AuctionState) -> dict[str, Any]:
    """An engine's AuctionState in the asset's units (the REST body and the `auction` message)."""
    tick, lot = Decimal(asset.tick_size), Decimal(asset.lot_size)

    def price(ticks: int | None) -> str | None:
        return None if ticks is None else fmt(tick * ticks)

    return {
        "phase": state.phase,
        "ends_at": None if state.ends_at is None else _iso(state.ends_at),
        "indicative_price": price(state.indicative_price),
        "matched_quantity": fmt(lot * state.matched_quantity),
        "imbalance_side": None if state.imbalance_side is None else state.imbalance_side.value,
        "imbalance_quantity": fmt(lot * state.imbalance_quantity),
        "reference_price": price(state.reference_price),
        "collar_low": price(state.collar_low),
        "collar_high": price(state.collar_high),
        "extensions": state.extensions,
    }


def book(session: Session, venue: Venue, asset: Asset, depth: int) -> dict[str, Any]:
    market = venue.market(session, asset.symbol)
    with market.lock:
        bids, asks = market.engine.depth(depth)
        sequence = market.next_seq - 1
    tick, lot = Decimal(asset.tick_size), Decimal(asset.lot_size)
    return {
        "symbol": asset.symbol,
        "bids": [[fmt(tick * p), fmt(lot * q)] for p, q in bids],
        "asks": [[fmt(tick * p), fmt(lot * q)] for p, q in asks],
        "sequence": sequence,
    }


def trade_public(asset: Asset, trade: TradeRecord, *, private: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": trade.id,
        "symbol": trade.symbol,
        "price": fmt(Decimal(asset.tick_size) * trade.price_ticks),
        "quantity": fmt(Decimal(asset.lot_size) * trade.quantity_lots),
        "taker_side": trade.taker_side,
        "executed_at": trade.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "settlement_status": trade.settlement_status,
        "tx_hash": trade.tx_hash,
    }
    if private:
        body.update(
            buy_order_id=trade.buy_order_id,
            sell_order_id=trade.sell_order_id,
            chain_trade_id=trade.chain_trade_id,
            failure_code=trade.failure_code,
            failure_reason=trade.failure_reason,
        )
    return body


def recent_trades(session: Session, asset: Asset, limit: int) -> list[dict[str, Any]]:
    rows = session.exec(
        select(TradeRecord)
        .where(TradeRecord.symbol == asset.symbol)
        .order_by(TradeRecord.trade_seq.desc())  # type: ignore[attr-defined]
        .limit(limit)
    )
    return [trade_public(asset, t) for t in rows]


INTERVALS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "1d": 86400}


def candles(session: Session, asset: Asset, interval: str, limit: int) -> list[dict[str, Any]]:
    """OHLCV buckets of executed trades, oldest first (exact decimals, no float)."""
    seconds = INTERVALS[interval]
    rows = list(
        session.exec(
            select(TradeRecord)
            .where(TradeRecord.symbol == asset.symbol)
            .order_by(TradeRecord.trade_seq.desc())  # type: ignore[attr-defined]
            .limit(limit * 50)
        )
    )
    tick, lot = Decimal(asset.tick_size), Decimal(asset.lot_size)
    buckets: dict[int, dict[str, Any]] = {}
    for trade in reversed(rows):
        start = int(trade.created_at.replace(tzinfo=UTC).timestamp()) // seconds * seconds
        price, qty = trade.price_ticks, trade.quantity_lots
        bucket = buckets.setdefault(start, {"o": price, "h": price, "l": price, "c": price, "v": 0, "n": 0})
        bucket["h"], bucket["l"], bucket["c"] = max(bucket["h"], price), min(bucket["l"], price), price
        bucket["v"] += qty
        bucket["n"] += 1
    return [
        {
            "start": datetime.fromtimestamp(start, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "open": fmt(tick * b["o"]),
            "high": fmt(tick * b["h"]),
            "low": fmt(tick * b["l"]),
            "close": fmt(tick * b["c"]),
            "volume": fmt(lot * b["v"]),
            "trades": b["n"],
        }
        for start, b in sorted(buckets.items())
    ][-limit:]
