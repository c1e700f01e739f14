from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import func, text
from sqlmodel import col, select

from backend.api.deps import ChainDep, SessionDep
from backend.api.public import HealthPublic
from backend.errors import DomainError
from backend.models.settlement import TradeRecord
from backend.statuses import UNSETTLED

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic, response_model_exclude_unset=True)
def health(request: Request, session: SessionDep, chain: ChainDep) -> dict[str, Any]:
    """`ok`, or `degraded` with the reasons; never an error status. Matching runs on while the
    chain is down; `settlement` shows the outbox that drains when it is back."""
    body: dict[str, Any] = {"status": "ok", "chain_id": None, "block": None, "db": "ok"}
    reasons = []
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        counts = dict(
            session.exec(
                select(TradeRecord.settlement_status, func.count())
                .where(col(TradeRecord.settlement_status).in_(UNSETTLED))
                .group_by(TradeRecord.settlement_status)
            ).all()
        )
        worker = getattr(request.app.state, "settlement", None)
        body["settlement"] = {
            "pending": counts.get("pending", 0),
            "submitted": counts.get("submitted", 0),
            "last_error": worker.last_error if worker else None,
        }
    except Exception as exc:  # noqa: BLE001
        body["db"] = "unreachable"
        reasons.append(f"database: {type(exc).__name__}")
    children = getattr(request.app.state, "workers", None)  # backend/workers.py, process mode
    if children is not None:
        body["workers"] = children.health()
        if children.state == "restarting":
            reasons.append(f"workers: the worker process exited ({children.last_exit_code}), restarting")
        elif children.state == "silent":
            reasons.append("workers: the worker process has stopped reporting")
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
