from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import ChainDep
from backend.api.public import ChainPublic

router = APIRouter(prefix="/v1/chain", tags=["chain"])


@router.get("")
def chain_info(chain: ChainDep) -> ChainPublic:
    """The chain id and the addresses of the exchange's contracts."""
    return ChainPublic(chain_id=chain.chain_id, contracts=chain.deployment.contracts)
