from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from backend.api.deps import AdminDep, SessionDep
from backend.api.routes.admin import ReasonCode, ReasonText, actor_of
from backend.api.schemas import ERRORS, Strict, Wallet
from backend.chain.addresses import checksum_wallet
from backend.governance.common import Reason
from backend.governance.investor_actions import issue_issuer_key

router = APIRouter(prefix="/v1/issuers", tags=["issuers"], responses=ERRORS)


class IssuerKeyCreate(Strict):
    wallet: Wallet = Field(description="the issuer wallet named in the assets this key may manage")
    name: str = Field(min_length=1, max_length=200)
    reason_code: ReasonCode = Field(default=None, description="default corporate_action")
    reason: ReasonText = Field(default=None, description="default: 'issuer key <name> for <wallet>'")


class IssuerKey(BaseModel):
    wallet: str
    name: str
    api_key: str


@router.post("/keys", status_code=201)
def create_issuer_key(body: IssuerKeyCreate, session: SessionDep, principal: AdminDep) -> IssuerKey:
    """An issuer API key (shown once): it files documents, sets rules, issues and distributes
    for the assets whose issuer_wallet is this wallet. Appended to the audit log (action
    `api_key.issue_issuer`) with its reason."""
    wallet = checksum_wallet(body.wallet)
    reason = Reason.of(
        actor_of(principal),
        body.reason_code or "corporate_action",
        body.reason if body.reason is not None else f"issuer key {body.name!r} for {wallet}",
    )
    key, _entry = issue_issuer_key(session, reason=reason, wallet=wallet, name=body.name)
    return IssuerKey(wallet=wallet, name=body.name, api_key=key)
