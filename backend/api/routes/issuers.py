from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from backend.api.deps import AdminDep, SessionDep
from backend.api.schemas import ERRORS, Strict, Wallet
from backend.auth.service import issue_key
from backend.chain.addresses import checksum_wallet

router = APIRouter(prefix="/v1/issuers", tags=["issuers"], responses=ERRORS)


class IssuerKeyCreate(Strict):
    wallet: Wallet = Field(description="the issuer wallet named in the assets this key may manage")
    name: str = Field(min_length=1, max_length=200)


class IssuerKey(BaseModel):
    wallet: str
    name: str
    api_key: str


@router.post("/keys", status_code=201)
def create_issuer_key(body: IssuerKeyCreate, session: SessionDep, _: AdminDep) -> IssuerKey:
    """An issuer API key (shown once): it files documents, sets rules, issues and distributes
    for the assets whose issuer_wallet is this wallet."""
    wallet = checksum_wallet(body.wallet)
    key = issue_key(session, role="issuer", issuer_wallet=wallet, label=body.name)
    session.commit()
    return IssuerKey(wallet=wallet, name=body.name, api_key=key)
