"""Revenue distributions: deposit (issuer, admin), history and a holder's share, claims."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import Field

from backend.api.deps import ChainDep, CurrentInvestor, IssuerDep, SessionDep, SettingsDep
from backend.api.public import ClaimPublic, DistributionPublic, DistributionsPublic
from backend.api.schemas import ERRORS, PositiveDecimal, Strict
from backend.assets.service import get_asset
from backend.auth.service import Principal, resolve_key
from backend.chain.addresses import checksum_wallet
from backend.distributions import claims, service
from backend.distributions.relay import MAX_RAW_BYTES
from backend.models.compliance import Investor
from backend.models.distributions import MEMO_MAX, kind_label
from backend.statuses import DistributionStatus

router = APIRouter(prefix="/v1/assets", tags=["distributions"], responses=ERRORS)


class DistributionCreate(Strict):
    amount: PositiveDecimal = Field(description="cash to distribute, a decimal string with at most 6 places")
    memo: str = Field(default="", max_length=MEMO_MAX, description="e.g. 'Q3 2026 royalties'; emitted on chain")
    signed_approval: str | None = Field(
        default=None,
        max_length=2 * MAX_RAW_BYTES + 2,
        description="CashToken.approve(distributor, >= amount) signed by the asset's issuer wallet (0x-hex), "
        "when its allowance is short",
    )
    signed_transaction: str | None = Field(
        default=None,
        max_length=2 * MAX_RAW_BYTES + 2,
        description="RevenueDistributor.deposit(asset, amount, memo) signed by the asset's issuer wallet (0x-hex)",
    )


class ClaimRequest(Strict):
    signed_transaction: str | None = Field(
        default=None,
        max_length=2 * MAX_RAW_BYTES + 2,
        description="RevenueDistributor.claim(asset) signed by the investor's wallet (0x-hex)",
    )


def optional_principal(
    session: SessionDep, settings: SettingsDep, x_api_key: Annotated[str | None, Header()] = None
) -> Principal | None:
    """No key: anonymous. A key that does not resolve is still a 401, never silently anonymous."""
    return resolve_key(session, settings=settings, key=x_api_key) if x_api_key else None


@router.post(
    "/{symbol}/distributions",
    status_code=201,
    response_model=DistributionPublic,
    responses={202: {"model": DistributionPublic, "description": "sent; the deposit transaction is not yet confirmed"}},
)
def create_distribution(
    symbol: str,
    body: DistributionCreate,
    response: Response,
    session: SessionDep,
    chain: ChainDep,
    principal: IssuerDep,
) -> dict[str, Any]:
    """Distribute cash to the asset's holders pro rata, paid from the issuer's own wallet.

    The issuer's wallet signs the deposit (and the cash approval when its allowance is short);
    the service relays them. Without `signed_transaction`: 409 `distribution.deposit_from_wallet`
    whose details list the exact transactions to sign - unless, in development on a test chain,
    the issuer wallet is one of the node's unlocked accounts: then the node signs. On a test
    chain a short issuer balance is topped up by minting test cash; elsewhere it is 409
    `distribution.insufficient_cash`. An asset with no issued supply is 409 `distribution.no_holders`.
    """
    asset = get_asset(session, symbol)
    row = service.deposit(
        session,
        chain,
        asset=asset,
        principal=principal,
        amount=body.amount,
        memo=body.memo,
        signed_approval=body.signed_approval,
        signed_transaction=body.signed_transaction,
    )
    if row.status == DistributionStatus.PENDING:
        response.status_code = 202
    return service.distribution_public(row)


@router.get("/{symbol}/distributions", response_model=DistributionsPublic, response_model_exclude_unset=True)
def list_distributions(
    symbol: str,
    session: SessionDep,
    chain: ChainDep,
    principal: Annotated[Principal | None, Depends(optional_principal)],
    wallet: Annotated[
        str | None, Query(description="any holder's wallet (chain data is public); default: the investor key's wallet")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """History newest first, the asset's totals, and a holder's `claimable`/`claimed` cash."""
    asset = get_asset(session, symbol)
    rows = service.list_distributions(session, chain, asset=asset, limit=limit)
    body: dict[str, Any] = {
        "symbol": asset.symbol,
        "kind": kind_label(asset.kind),
        **service.totals(chain, asset=asset),
        "distributions": [service.distribution_public(r) for r in rows],
    }
    holder = checksum_wallet(wallet) if wallet else _investor_wallet(session, principal)
    if holder:
        body.update(service.holder_position(chain, asset=asset, wallet=holder))
    return body


@router.post("/{symbol}/distributions/claim", response_model=ClaimPublic)
def claim(
    symbol: str, session: SessionDep, chain: ChainDep, investor: CurrentInvestor, body: ClaimRequest | None = None
) -> dict[str, Any]:
    """Claims are signed by the investor's wallet, never by the service.

    Without `signed_transaction`: 409 `distribution.claim_from_wallet`, whose details hold the
    exact transaction to sign (to, data, chain_id) and the claimable amount. With it: the
    service checks it is claim(asset) from this investor's wallet to the distributor on this
    chain, broadcasts it and returns `{symbol, wallet, amount, tx_hash}`.
    """
    asset = get_asset(session, symbol)
    return claims.claim(
        chain, asset=asset, wallet=investor.wallet, signed_transaction=body.signed_transaction if body else None
    )


def _investor_wallet(session: Any, principal: Principal | None) -> str | None:
    if principal is None or principal.role != "investor" or principal.investor_id is None:
        return None
    investor = session.get(Investor, principal.investor_id)
    return investor.wallet if investor else None
