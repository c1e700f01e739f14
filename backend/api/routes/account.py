from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from backend.api.deps import ChainDep, CurrentInvestor, SessionDep
from backend.api.public import AccountPublic
from backend.api.schemas import ERRORS
from backend.assets.service import list_assets, token_contract
from backend.money import ASSET_DECIMALS, CASH_DECIMALS, fmt_units
from backend.trading import reservations

router = APIRouter(prefix="/v1/account", tags=["account"], responses=ERRORS)


def _position(onchain: int, reserved: int, decimals: int) -> dict[str, str]:
    return {
        "onchain": fmt_units(onchain, decimals),
        "reserved": fmt_units(reserved, decimals),
        "available": fmt_units(max(0, onchain - reserved), decimals),
    }


@router.get("", response_model=AccountPublic)
def account(session: SessionDep, chain: ChainDep, investor: CurrentInvestor) -> dict[str, Any]:
    """The investor's wallet with, per asset and for cash, on-chain, reserved and available amounts."""
    assets = {a.symbol: a for a in list_assets(session)}
    reserved_cash = reservations.reserved_cash_units(session, investor_id=investor.id, assets=assets)  # type: ignore[arg-type]
    reserved_assets = {
        s: reservations.reserved_asset_units(session, investor_id=investor.id, asset=a)  # type: ignore[arg-type]
        for s, a in assets.items()
    }
    cash = chain.call(chain.core("cash_token").functions.balanceOf(investor.wallet))
    positions = {
        s: _position(
            chain.call(token_contract(chain, a).functions.balanceOf(investor.wallet)),
            reserved_assets[s],
            ASSET_DECIMALS,
        )
        for s, a in assets.items()
    }
    return {
        "investor_id": investor.id,
        "wallet": investor.wallet,
        "status": investor.status,
        "cash": _position(cash, reserved_cash, CASH_DECIMALS),
        "assets": positions,
    }
