"""The dead-man's switch (backend/trading/dead_man.py): cancel all orders after a lapsed heartbeat.

Registered before the orders router: `/v1/orders/dead-man` is not an order id.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from backend.api.deps import CurrentInvestor, SessionDep
from backend.api.public import DeadManPublic
from backend.api.schemas import ERRORS, Strict
from backend.trading import dead_man

router = APIRouter(prefix="/v1/orders", tags=["orders"], responses=ERRORS)


class DeadManArm(Strict):
    timeout_seconds: int = Field(
        ge=0,
        le=dead_man.MAX_TIMEOUT_SECONDS,
        strict=True,
        description="cancel all my orders if no heartbeat comes within this many seconds; 0 disarms",
    )


@router.post("/dead-man", response_model=DeadManPublic)
def arm_dead_man(body: DeadManArm, session: SessionDep, investor: CurrentInvestor) -> dict[str, Any]:
    """Arm, refresh (the heartbeat) or, with timeout 0, disarm the switch."""
    return dead_man.arm(session, investor=investor, timeout_seconds=body.timeout_seconds)


@router.get("/dead-man", response_model=DeadManPublic)
def read_dead_man(session: SessionDep, investor: CurrentInvestor) -> dict[str, Any]:
    """`armed`, `deadline`, and when it last fired with how many orders cancelled."""
    return dead_man.status(session, investor=investor)
