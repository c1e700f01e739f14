from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlmodel import col, select

from backend.api.deps import PrincipalDep, SessionDep
from backend.api.public import TradePrivate
from backend.api.schemas import ERRORS
from backend.errors import Forbidden
from backend.models.assets import Asset
from backend.models.settlement import TradeRecord
from backend.trading.markets import trade_public

router = APIRouter(prefix="/v1/trades", tags=["trades"], responses=ERRORS)


@router.get("", response_model=list[TradePrivate], response_model_exclude_unset=True)
def list_trades(
    session: SessionDep,
    principal: PrincipalDep,
    symbol: str | None = None,
    settlement_status: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """Own trades (investor) or all trades (admin), with settlement status and tx hash."""
    query = select(TradeRecord)
    if principal.role == "investor":
        query = query.where(
            (TradeRecord.buyer_investor_id == principal.investor_id)
            | (TradeRecord.seller_investor_id == principal.investor_id)
        )
    elif principal.role != "admin":
        raise Forbidden("auth.forbidden", "this needs an investor or admin key")
    if symbol:
        query = query.where(TradeRecord.symbol == symbol.upper())
    if settlement_status:
        query = query.where(TradeRecord.settlement_status == settlement_status)
    rows = session.exec(query.order_by(col(TradeRecord.created_at).desc()).limit(limit))
    assets = {a.symbol: a for a in session.exec(select(Asset))}
    result = []
    for trade in rows:
        body = trade_public(assets[trade.symbol], trade, private=True)
        if principal.role == "investor":
            body["side"] = "buy" if trade.buyer_investor_id == principal.investor_id else "sell"
        result.append(body)
    return result
