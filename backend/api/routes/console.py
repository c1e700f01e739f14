"""Read-only views for the operator console (admin key): the investors, and each asset's
pause state and frozen wallets as the chain has them. The actions themselves are the
privileged routes of docs/API.md ("Privileged actions and the audit log")."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import col, select

from backend.api.deps import AdminDep, ChainDep, SessionDep, SettingsDep, VenueDep
from backend.api.routes.investors import InvestorPublic
from backend.api.schemas import ERRORS
from backend.assets import holders
from backend.assets.service import get_asset, list_assets
from backend.models.compliance import Investor
from backend.trading.markets import market_status

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=ERRORS)


class InvestorList(BaseModel):
    investors: list[InvestorPublic]


class AssetState(BaseModel):
    symbol: str
    name: str
    market_status: str
    paused: bool


class WalletState(BaseModel):
    wallet: str
    investor_id: int | None
    name: str | None
    balance: str
    frozen: bool
    frozen_quantity: str


class AssetHolders(BaseModel):
    symbol: str
    paused: bool
    wallets: list[WalletState]


@router.get("/investors")
def list_investors(
    session: SessionDep,
    _: AdminDep,
    status: Literal["pending", "approved", "failed", "revoked"] | None = None,
    limit: int = Query(default=200, ge=1, le=1000),
) -> InvestorList:
    """The venue's investors, newest first (`status` filters)."""
    query = select(Investor).order_by(col(Investor.id).desc()).limit(limit)
    if status is not None:
        query = query.where(Investor.status == status)
    return InvestorList(investors=[InvestorPublic.model_validate(i, from_attributes=True) for i in session.exec(query)])


@router.get("/assets")
def asset_states(
    session: SessionDep, chain: ChainDep, venue: VenueDep, settings: SettingsDep, _: AdminDep
) -> list[AssetState]:
    """Every asset with its market status and whether its token is paused on chain."""
    return [
        AssetState(
            symbol=asset.symbol,
            name=asset.name,
            market_status=market_status(session, venue, asset, enforce_disclosures=settings.disclosure_policy_enforced),
            paused=holders.paused(chain, asset=asset),
        )
        for asset in list_assets(session)
    ]


@router.get("/assets/{symbol}/holders")
def asset_holders(symbol: str, session: SessionDep, chain: ChainDep, _: AdminDep) -> AssetHolders:
    """The wallets holding the asset or frozen in it, read from the token."""
    asset = get_asset(session, symbol)
    return AssetHolders(
        symbol=asset.symbol,
        paused=holders.paused(chain, asset=asset),
        wallets=[WalletState(**state) for state in holders.wallet_states(session, chain, asset=asset)],
    )
