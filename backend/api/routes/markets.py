from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from backend.api.deps import SessionDep, VenueDep
from backend.api.schemas import ERRORS
from backend.assets.service import get_asset
from backend.trading import markets

router = APIRouter(prefix="/v1/markets", tags=["markets"], responses=ERRORS)


@router.get("/{symbol}/book")
def book(symbol: str, session: SessionDep, venue: VenueDep,
         depth: int = Query(default=20, ge=1, le=500)) -> dict[str, Any]:
    """Aggregated price levels, best first, with the market's command sequence."""
    return markets.book(session, venue, get_asset(session, symbol), depth)


@router.get("/{symbol}/trades")
def trades(symbol: str, session: SessionDep, limit: int = Query(default=100, ge=1, le=1000)) -> list[dict[str, Any]]:
    """Recent trades, newest first."""
    return markets.recent_trades(session, get_asset(session, symbol), limit)
