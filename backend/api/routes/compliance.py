"""Compliance: per-asset rule sets (applied on chain) and the transfer pre-check."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from backend.api.deps import ChainDep, IssuerDep, PrincipalDep, SessionDep
from backend.api.public import AssetRulesChanged, AssetRulesPublic, CheckPublic
from backend.api.schemas import COUNTRY_CODES, ERRORS, MAX_JSON_INT, Country, NonNegativeDecimal, Strict, Wallet
from backend.assets.service import get_asset
from backend.auth.service import require_asset_authority
from backend.chain.addresses import checksum_wallet
from backend.compliance import mirror, rulesets
from backend.governance.legacy import audit_legacy
from backend.money import ASSET_DECIMALS, to_units

router = APIRouter(prefix="/v1", tags=["compliance"], responses=ERRORS)


class RulesBody(Strict):
    allowed_countries: list[Country] = Field(
        default_factory=list, max_length=len(COUNTRY_CODES), description="ISO 3166 alpha-2; empty = all"
    )
    accredited_only: bool = False
    max_holders: int = Field(default=0, ge=0, le=MAX_JSON_INT, description="0 = no cap")
    max_balance: NonNegativeDecimal = Field(default=Decimal(0), description="asset units per investor; 0 = no cap")
    lockup_seconds: int = Field(default=0, ge=0, le=MAX_JSON_INT, description="lock-up after each acquisition")


class CheckBody(Strict):
    symbol: str = Field(min_length=1, max_length=12)
    from_wallet: Wallet = Field(description="the zero address checks an issuance (mint)")
    to_wallet: Wallet
    quantity: NonNegativeDecimal


@router.get("/assets/{symbol}/rules", response_model=AssetRulesPublic)
def read_rules(symbol: str, session: SessionDep, chain: ChainDep) -> dict[str, Any]:
    """The asset's rule set as its ComplianceRules contract holds it now."""
    asset = get_asset(session, symbol)
    return {
        "symbol": asset.symbol,
        "rules_address": asset.rules_address,
        **rulesets.rules_public(rulesets.get_rules(chain, asset)),
    }


@router.put("/assets/{symbol}/rules", response_model=AssetRulesChanged)
def replace_rules(
    symbol: str, body: RulesBody, session: SessionDep, chain: ChainDep, principal: IssuerDep
) -> dict[str, Any]:
    """Replace the asset's rule set on chain (admin, or the asset's issuer)."""
    asset = get_asset(session, symbol)
    require_asset_authority(
        principal, issuer_wallet=asset.issuer_wallet, symbol=asset.symbol, action="change the compliance rules"
    )
    tx_hash = rulesets.set_rules(session, chain, asset, **body.model_dump())
    route = "PUT /v1/assets/{symbol}/rules"
    audit_legacy(session, principal, "asset.rules", route, asset=asset.symbol, tx_hash=tx_hash)
    return {
        "symbol": asset.symbol,
        "rules_address": asset.rules_address,
        **rulesets.rules_public(rulesets.mirrored_rules(session, asset)),
        "tx_hash": tx_hash,
    }


@router.post("/compliance/check")
def check(body: CheckBody, session: SessionDep, _: PrincipalDep) -> CheckPublic:
    """Would this transfer pass the asset's rules? The chain's verdict, from the mirror."""
    asset = get_asset(session, body.symbol)
    verdict = mirror.check_transfer(
        session,
        asset=asset,
        from_wallet=checksum_wallet(body.from_wallet, field="from_wallet"),
        to_wallet=checksum_wallet(body.to_wallet, field="to_wallet"),
        amount=to_units(body.quantity, ASSET_DECIMALS),
    )
    return CheckPublic(
        allowed=verdict.allowed,
        code=verdict.code,
        reason=verdict.reason,
        message=verdict.message,
        as_of_block=verdict.as_of_block,
    )
