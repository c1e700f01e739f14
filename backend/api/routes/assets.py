from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field

from backend.api.deps import AdminDep, ChainDep, IssuerDep, SessionDep, SettingsDep, VenueDep
from backend.api.public import AssetPublic
from backend.api.routes.documents import current_documents_public
from backend.api.schemas import ERRORS, PositiveDecimal, Strict, TxResult, Wallet
from backend.assets import service
from backend.auth.service import require_asset_authority
from backend.chain.addresses import checksum_wallet
from backend.clock import utc_today
from backend.compliance import rulesets
from backend.disclosures.policies import missing_disclosures, required_types
from backend.governance.legacy import audit_legacy
from backend.models.assets import Asset
from backend.trading.markets import market_status

router = APIRouter(prefix="/v1/assets", tags=["assets"], responses=ERRORS)


class AssetCreate(Strict):
    symbol: str = Field(min_length=2, max_length=12, pattern="^[A-Za-z][A-Za-z0-9]+$")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["equity", "oil_well", "farm"]
    total_supply: PositiveDecimal
    tick_size: PositiveDecimal
    lot_size: PositiveDecimal
    issuer_wallet: Wallet
    details: dict[str, Any] = Field(default_factory=dict)


class IssueRequest(Strict):
    to_wallet: Wallet
    quantity: PositiveDecimal


def asset_public(session: Any, venue: Any, asset: Asset, *, enforce_disclosures: bool) -> dict[str, Any]:
    today = utc_today()
    return {
        "symbol": asset.symbol,
        "name": asset.name,
        "kind": asset.kind,
        "token_address": asset.token_address,
        "rules_address": asset.rules_address,
        "tick_size": asset.tick_size,
        "lot_size": asset.lot_size,
        "total_supply": asset.total_supply,
        "issuer_wallet": asset.issuer_wallet,
        "details": asset.details,
        "rules": rulesets.rules_public(rulesets.mirrored_rules(session, asset)),
        # The current version of each document type; every version: GET .../documents.
        "documents": current_documents_public(session, asset, today),
        "required_disclosures": required_types(asset.kind),
        "missing_disclosures": missing_disclosures(session, asset, today),
        "market_status": market_status(session, venue, asset, enforce_disclosures=enforce_disclosures, today=today),
        "tx_hash": asset.tx_hash,
    }


@router.post("", status_code=201, response_model=AssetPublic)
def create_asset(
    body: AssetCreate, session: SessionDep, chain: ChainDep, venue: VenueDep, settings: SettingsDep, _: AdminDep
) -> dict[str, Any]:
    """Deploy the asset's token and rule set through the factory and list its market."""
    asset = service.create_asset(session, chain, **body.model_dump())
    return asset_public(session, venue, asset, enforce_disclosures=settings.disclosure_policy_enforced)


@router.get("", response_model=list[AssetPublic])
def list_assets(session: SessionDep, venue: VenueDep, settings: SettingsDep) -> list[dict[str, Any]]:
    return [
        asset_public(session, venue, a, enforce_disclosures=settings.disclosure_policy_enforced)
        for a in service.list_assets(session)
    ]


@router.get("/{symbol}", response_model=AssetPublic)
def read_asset(symbol: str, session: SessionDep, venue: VenueDep, settings: SettingsDep) -> dict[str, Any]:
    return asset_public(
        session, venue, service.get_asset(session, symbol), enforce_disclosures=settings.disclosure_policy_enforced
    )


@router.post("/{symbol}/issue")
def issue(symbol: str, body: IssueRequest, session: SessionDep, chain: ChainDep, principal: IssuerDep) -> TxResult:
    """Primary issuance: mint to a whitelisted wallet (the asset's compliance rules apply)."""
    asset = service.get_asset(session, symbol)
    require_asset_authority(principal, issuer_wallet=asset.issuer_wallet, symbol=asset.symbol, action="issue")
    tx_hash = service.issue(session, chain, asset=asset, to_wallet=body.to_wallet, quantity=body.quantity)
    wallet = checksum_wallet(body.to_wallet, field="to_wallet")
    route = "POST /v1/assets/{symbol}/issue"
    audit_legacy(session, principal, "asset.mint", route, asset=asset.symbol, wallet=wallet, tx_hash=tx_hash)
    return TxResult(tx_hash=tx_hash)
