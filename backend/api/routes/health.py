from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from backend.api.deps import ChainDep, SessionDep
from backend.errors import DomainError

router = APIRouter(tags=["health"])


@router.get("/health")
def health(session: SessionDep, chain: ChainDep) -> dict[str, Any]:
    """`ok`, or `degraded` with the reasons; never an error status."""
    body: dict[str, Any] = {"status": "ok", "chain_id": None, "block": None, "db": "ok"}
    reasons = []
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except Exception as exc:  # noqa: BLE001
        body["db"] = "unreachable"
        reasons.append(f"database: {type(exc).__name__}")
    try:
        body["chain_id"] = chain.chain_id
        body["block"] = chain.block_number()
    except DomainError as exc:
        reasons.append(f"chain: {exc.message}")
    except Exception as exc:  # noqa: BLE001
        reasons.append(f"chain: {type(exc).__name__}")
    if reasons:
        body["status"], body["reasons"] = "degraded", reasons
    return body
