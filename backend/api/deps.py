"""Annotated dependencies: the database session, the chain, the caller's role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from backend.auth.service import (
    Principal,
    investor_of,
    key_digest,
    known_investor_keys,
    resolve_investor_key,
    resolve_key,
)
from backend.chain.client import Chain
from backend.config import Settings
from backend.errors import Forbidden, Unauthorized
from backend.models.compliance import Investor
from backend.trading.sequencer import Venue


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session. async: a plain generator dependency costs two thread-pool
    hand-offs (enter and exit); making a Session does no I/O. Closing one that holds a
    connection (a transaction to roll back) stays off the event loop."""
    session = Session(request.app.state.db, expire_on_commit=False)
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


# async: FastAPI runs a plain `def` dependency in the thread pool (a hand-off to a worker
# thread and back each); these only read app.state, so they run on the event loop.
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_chain(request: Request) -> Chain:
    return request.app.state.chain


async def get_venue(request: Request) -> Venue:
    return request.app.state.venue


SessionDep = Annotated[Session, Depends(get_session)]
ChainDep = Annotated[Chain, Depends(get_chain)]
VenueDep = Annotated[Venue, Depends(get_venue)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_principal(
    request: Request, session: SessionDep, settings: SettingsDep, x_api_key: Annotated[str | None, Header()] = None
) -> Principal:
    principal = resolve_key(session, settings=settings, key=x_api_key)
    # The rate limiter gives a key its own bucket once it has resolved (backend/api/limits.py).
    request.state.api_key_resolved = True
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_admin(principal: PrincipalDep) -> Principal:
    if principal.role != "admin":
        raise Forbidden("auth.forbidden", "this needs an admin key")
    return principal


def require_issuer_or_admin(principal: PrincipalDep) -> Principal:
    if principal.role not in ("admin", "issuer"):
        raise Forbidden("auth.forbidden", "this needs an admin or issuer key")
    return principal


def current_investor(
    request: Request, session: SessionDep, settings: SettingsDep, x_api_key: Annotated[str | None, Header()] = None
) -> Investor:
    """get_principal and the key's investor in one query (and one thread-pool hand-off)."""
    principal, investor = resolve_investor_key(session, settings=settings, key=x_api_key)
    request.state.api_key_resolved = True  # as get_principal
    return investor_of(principal, investor)


async def investor_key(request: Request, x_api_key: Annotated[str | None, Header()] = None) -> str:
    """The digest of the caller's investor key, checked before the body as CurrentInvestor
    is (401 without a key or with an unknown or revoked one, 403 for another role's), for a
    route that reads the key and its investor itself (auth.service.investor_by_digest) in its
    one thread-pool hand-off. async: a key this process has seen resolve costs no query and
    no hand-off here; another goes to the database once."""
    if not x_api_key:
        raise Unauthorized("auth.missing_key", "send your API key in the X-API-Key header")
    digest = key_digest(x_api_key)
    if digest not in known_investor_keys:
        await run_in_threadpool(_check_investor_key, request, x_api_key)
    request.state.api_key_resolved = True  # as get_principal
    return digest


def _check_investor_key(request: Request, key: str) -> None:
    with Session(request.app.state.db) as session:
        principal, investor = resolve_investor_key(session, settings=request.app.state.settings, key=key)
        request.state.api_key_resolved = True  # as get_principal, also when the role is refused
        investor = investor_of(principal, investor)
        known_investor_keys.remember(key_digest(key), investor.id)  # type: ignore[arg-type]


AdminDep = Annotated[Principal, Depends(require_admin)]
IssuerDep = Annotated[Principal, Depends(require_issuer_or_admin)]
CurrentInvestor = Annotated[Investor, Depends(current_investor)]
InvestorKeyDep = Annotated[str, Depends(investor_key)]
