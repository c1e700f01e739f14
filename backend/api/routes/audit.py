"""The public audit log: every privileged action, hash-chained, and its anchors on chain."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel

from backend.api.deps import SessionDep
from backend.api.routes.admin import AnchorPublic, AuditEntryPublic
from backend.api.schemas import ERRORS
from backend.governance import anchoring, log

router = APIRouter(prefix="/v1/audit", tags=["audit"], responses=ERRORS)


class AuditPage(BaseModel):
    entries: list[AuditEntryPublic]
    next_after_seq: int | None


class AuditHead(BaseModel):
    seq: int
    hash: str


@router.get("")
def audit_log(
    session: SessionDep,
    asset: str | None = Query(default=None, max_length=12),
    wallet: str | None = Query(default=None, max_length=42),
    action: str | None = Query(default=None, max_length=40),
    after_seq: int = Query(default=0, ge=0, le=2**53 - 1),
    limit: int = Query(default=100, ge=1, le=1000),
) -> AuditPage:
    """Entries oldest first; page with `after_seq` = the previous page's `next_after_seq`."""
    found = log.list_entries(session, asset=asset, wallet=wallet, action=action, after_seq=after_seq, limit=limit)
    entries = [AuditEntryPublic(**log.as_dict(e)) for e in found]
    return AuditPage(entries=entries, next_after_seq=entries[-1].seq if len(entries) == limit else None)


@router.get("/head")
def head(session: SessionDep) -> AuditHead | None:
    entry = log.head_of(session)
    return None if entry is None else AuditHead(seq=entry.seq, hash=entry.hash)


@router.get("/anchors")
def anchors(session: SessionDep) -> list[AnchorPublic]:
    return [AnchorPublic(**a.model_dump()) for a in anchoring.list_anchors(session)]
