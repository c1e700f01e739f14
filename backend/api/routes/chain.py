from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from backend.api.deps import ChainDep

router = APIRouter(prefix="/v1/chain", tags=["chain"])


@router.get("")
def chain_info(chain: ChainDep) -> dict[str, Any]:
    """The chain id and the addresses of the exchange's contracts."""
    return {"chain_id": chain.chain_id, "contracts": chain.deployment.contracts}
