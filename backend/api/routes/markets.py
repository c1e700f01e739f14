from __future__ import annotations

import asyncio
import time
from typing import Any, Literal

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from backend.api.deps import AdminDep, SessionDep, SettingsDep, VenueDep
from backend.api.public import AuctionPublic, BookPublic, CandlePublic, MarketStatusPublic, TradePublic
from backend.api.schemas import ERRORS
from backend.assets.service import get_asset
from backend.errors import DomainError
from backend.governance.legacy import audit_legacy
from backend.trading import halts, markets

router = APIRouter(prefix="/v1/markets", tags=["markets"], responses=ERRORS)
ws_router = APIRouter(prefix="/v1/ws", tags=["markets"])


@router.get("/{symbol}/book", response_model=BookPublic)
def book(
    symbol: str, session: SessionDep, venue: VenueDep, depth: int = Query(default=20, ge=1, le=500)
) -> dict[str, Any]:
    """Aggregated price levels, best first, with the market's command sequence."""
    return markets.book(session, venue, get_asset(session, symbol), depth)


@router.get("/{symbol}/trades", response_model=list[TradePublic])
def trades(symbol: str, session: SessionDep, limit: int = Query(default=100, ge=1, le=1000)) -> list[dict[str, Any]]:
    """Recent trades, newest first."""
    return markets.recent_trades(session, get_asset(session, symbol), limit)


@router.get("/{symbol}/candles", response_model=list[CandlePublic])
def candles(
    symbol: str,
    session: SessionDep,
    interval: Literal["1m", "5m", "15m", "1h", "1d"] = "1m",
    limit: int = Query(default=200, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """OHLCV candles of executed trades, oldest first."""
    return markets.candles(session, get_asset(session, symbol), interval, limit)


@router.get("/{symbol}/auction", response_model=AuctionPublic)
def auction(symbol: str, session: SessionDep, venue: VenueDep) -> dict[str, Any]:
    """The call auction: its end, the indicative uncross price, matched quantity and
    imbalance, the reference price and collars, extensions (outside one: `phase: "none"`)."""
    return markets.auction(session, venue, get_asset(session, symbol))


@router.post("/{symbol}/halt")
def halt(symbol: str, session: SessionDep, venue: VenueDep, settings: SettingsDep, p: AdminDep) -> MarketStatusPublic:
    """Kill switch: stop matching in this market. Cancels keep working."""
    asset = get_asset(session, symbol)
    halts.halt_market(session, venue, asset)
    audit_legacy(session, p, "market.halt", "POST /v1/markets/{symbol}/halt", asset=asset.symbol)
    return MarketStatusPublic(
        symbol=asset.symbol,
        market_status=markets.market_status(
            session, venue, asset, enforce_disclosures=settings.disclosure_policy_enforced
        ),
    )


@router.post("/{symbol}/resume")
def resume(symbol: str, session: SessionDep, venue: VenueDep, settings: SettingsDep, p: AdminDep) -> MarketStatusPublic:
    asset = get_asset(session, symbol)
    halts.resume_market(session, venue, asset)
    audit_legacy(session, p, "market.resume", "POST /v1/markets/{symbol}/resume", asset=asset.symbol)
    return MarketStatusPublic(
        symbol=asset.symbol,
        market_status=markets.market_status(
            session, venue, asset, enforce_disclosures=settings.disclosure_policy_enforced
        ),
    )


# How often a websocket re-reads its market's status: disclosures go stale by the calendar and
# pending anchors confirm on the chain, so no single write announces every change.
STATUS_CHECK_SECONDS = 2.0
HEARTBEAT_SECONDS = 15.0


@ws_router.websocket("/markets/{symbol}")
async def market_feed(websocket: WebSocket, symbol: str) -> None:
    """A snapshot, then `book` (changed levels; size "0" removes one), `trade` and `status`
    messages, each with the market's command sequence. Increments with a sequence at or
    below the snapshot's are already in it. A `status` message carries the market's
    `market_status` whenever it changes, whatever the cause: the kill switch, a volatility
    halt, or disclosures filed, anchored or gone stale."""
    await websocket.accept()
    app = websocket.app
    venue = app.state.venue
    enforce = app.state.settings.disclosure_policy_enforced
    with Session(app.state.db) as session:
        try:
            asset = get_asset(session, symbol)
        except DomainError as exc:
            await websocket.send_json({"type": "error", "error": {"code": exc.code, "message": exc.message}})
            await websocket.close(code=1008)
            return
        sub = venue.feed.subscribe(asset.symbol)
        try:
            snapshot = markets.book(session, venue, asset, 100)
            snapshot.update(
                type="snapshot",
                market_status=markets.market_status(session, venue, asset, enforce_disclosures=enforce),
                trades=markets.recent_trades(session, asset, 50),
            )
        except Exception:
            venue.feed.unsubscribe(sub)
            raise

    def read_status() -> tuple[str, int]:
        with Session(app.state.db) as session:
            sequence = venue.market(session, asset.symbol).next_seq - 1
            return markets.market_status(session, venue, asset, enforce_disclosures=enforce), sequence

    last_status = snapshot["market_status"]
    last_sent = time.monotonic()
    try:
        await websocket.send_json(snapshot)
        while not sub.overflowed:
            try:
                message: dict[str, Any] | None = await asyncio.wait_for(sub.queue.get(), timeout=STATUS_CHECK_SECONDS)
            except TimeoutError:
                message = None
            if message is None or message.get("type") == "status":
                status, sequence = await run_in_threadpool(read_status)
                if message is not None or status != last_status:
                    message = {
                        "type": "status",
                        "symbol": asset.symbol,
                        "sequence": sequence,
                        **(message or {}),
                        "halted": status.startswith("halted"),  # a call accepts orders: not halted
                        "market_status": status,
                    }
                    last_status = status
                elif time.monotonic() - last_sent >= HEARTBEAT_SECONDS:
                    message = {"type": "heartbeat"}
                else:
                    continue
            await websocket.send_json(message)
            last_sent = time.monotonic()
        await websocket.close(code=1013)  # too slow: reconnect for a fresh snapshot
    except WebSocketDisconnect:
        pass
    finally:
        venue.feed.unsubscribe(sub)
