from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import AdminDep, ChainDep
from backend.api.schemas import ERRORS, PositiveDecimal, Strict, TxResult, Wallet
from backend.assets import service

router = APIRouter(prefix="/v1/cash", tags=["cash"], responses=ERRORS)


class FaucetRequest(Strict):
    wallet: Wallet
    amount: PositiveDecimal


@router.post("/faucet")
def faucet(body: FaucetRequest, chain: ChainDep, _: AdminDep) -> TxResult:
    """Mint test cash to a wallet. Refused (403) on a chain that is not a test chain."""
    return TxResult(tx_hash=service.faucet(chain, wallet=body.wallet, amount=body.amount))
