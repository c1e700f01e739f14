from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from backend.api.deps import AdminDep, ChainDep, SessionDep, VenueDep
from backend.api.schemas import ERRORS, Country, RowId, Strict, Wallet
from backend.compliance import onboarding
from backend.governance.legacy import audit_legacy
from backend.models.compliance import Investor
from backend.statuses import InvestorStatus

EPOCH = date(1970, 1, 1)

router = APIRouter(prefix="/v1/investors", tags=["investors"], responses=ERRORS)


class InvestorCreate(Strict):
    wallet: Wallet
    name: str = Field(min_length=1, max_length=200)
    country: Country
    accredited: bool = False
    kyc_expires: date = Field(ge=EPOCH)


class InvestorUpdate(Strict):
    country: Country | None = None
    accredited: bool | None = None
    # On chain as unix seconds (uint64): nothing before 1970.
    kyc_expires: date | None = Field(default=None, ge=EPOCH)
    frozen: bool | None = None


class InvestorPublic(BaseModel):
    id: int
    wallet: str
    name: str
    country: str
    accredited: bool
    kyc_expires: date
    frozen: bool
    status: str
    status_reason: str | None
    tx_hash: str | None
    created_at: datetime


class InvestorCreated(InvestorPublic):
    api_key: str


def _public(investor: Investor) -> InvestorPublic:
    return InvestorPublic.model_validate(investor, from_attributes=True)


@router.post("", status_code=201)
def create_investor(body: InvestorCreate, session: SessionDep, chain: ChainDep, _: AdminDep) -> InvestorCreated:
    """Onboard an investor and whitelist its wallet on chain. The API key is shown once."""
    investor, key = onboarding.create_investor(session, chain, **body.model_dump())
    return InvestorCreated(**_public(investor).model_dump(), api_key=key)


@router.get("/{investor_id}")
def read_investor(investor_id: RowId, session: SessionDep, _: AdminDep) -> InvestorPublic:
    return _public(onboarding.get_investor(session, investor_id))


@router.patch("/{investor_id}")
def update_investor(
    investor_id: RowId, body: InvestorUpdate, session: SessionDep, chain: ChainDep, venue: VenueDep, p: AdminDep
) -> InvestorPublic:
    """Freezing the wallet (or a KYC expiry in the past) cancels its resting orders."""
    investor = onboarding.update_investor(
        session, chain, investor_id=investor_id, venue=venue, **body.model_dump(exclude_unset=True)
    )
    if body.frozen is not None:  # a freeze in every asset: in the audit log (backend/governance/legacy.py)
        action = "wallet.freeze" if body.frozen else "wallet.unfreeze"
        audit_legacy(session, p, action, "PATCH /v1/investors/{id}", wallet=investor.wallet)
    return _public(investor)


@router.delete("/{investor_id}")
def revoke_investor(
    investor_id: RowId, session: SessionDep, chain: ChainDep, venue: VenueDep, p: AdminDep
) -> InvestorPublic:
    """Remove the wallet from the whitelist, revoke the investor's keys, cancel its resting orders."""
    was = onboarding.get_investor(session, investor_id).status
    investor = onboarding.revoke_investor(session, chain, investor_id=investor_id, venue=venue)
    if was != InvestorStatus.REVOKED:
        audit_legacy(
            session, p, "investor.revoke", "DELETE /v1/investors/{id}", wallet=investor.wallet, tx_hash=investor.tx_hash
        )
    return _public(investor)
