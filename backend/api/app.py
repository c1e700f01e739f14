"""The FastAPI application: wiring of settings, database, chain, venue and workers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from backend import memory
from backend.api import admission, errors, limits
from backend.api.routes import (
    account,
    admin,
    assets,
    audit,
    cash,
    chain,
    compliance,
    console,
    dead_man,
    distributions,
    documents,
    health,
    investors,
    issuers,
    markets,
    orders,
    trades,
)
from backend.chain.client import Chain
from backend.compliance.worker import MirrorWorker
from backend.config import Settings, get_settings
from backend.db import create_tables, make_engine
from backend.governance.anchoring import AnchorWorker
from backend.settlement.worker import SettlementWorker
from backend.trading.chain_cancels import ChainCancelWatcher
from backend.trading.dead_man import DeadManWorker
from backend.trading.expiry import ExpiryWorker
from backend.trading.sequencer import Venue

WEB_DIR = Path(__file__).resolve().parent.parent / "web"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    memory.limit_malloc_arenas()  # before the request threads exist (backend/memory.py)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if settings.settlement_enabled:
            worker = SettlementWorker(app.state.db, app.state.chain, settings)
            worker.start()
        app.state.settlement = worker
        mirror = None
        if settings.compliance_sync_enabled:
            mirror = MirrorWorker(app.state.db, app.state.chain, interval_ms=settings.compliance_sync_interval_ms)
            mirror.start()
        app.state.compliance_mirror = mirror
        app.state.dead_man = DeadManWorker(app.state.db, app.state.venue)
        app.state.dead_man.start()
        app.state.order_expiry = ExpiryWorker(app.state.db, app.state.venue)
        app.state.order_expiry.start()
        app.state.chain_cancels = ChainCancelWatcher(
            app.state.db, app.state.chain, app.state.venue, interval_ms=settings.chain_watch_interval_ms
        )
        app.state.chain_cancels.start()
        anchors = None
        if settings.audit_anchor_interval_s:
            anchors = AnchorWorker(app.state.db, app.state.chain, interval_s=settings.audit_anchor_interval_s)
            anchors.start()
        app.state.venue.balances.follow(app.state.chain, interval_ms=settings.funds_follow_interval_ms)
        yield
        app.state.venue.balances.unfollow()
        if anchors:
            anchors.stop()
        app.state.chain_cancels.stop()
        app.state.order_expiry.stop()
        app.state.dead_man.stop()
        if mirror:
            mirror.stop()
        if worker:
            worker.stop()

    app = FastAPI(
        title="RWA Exchange",
        version="0.1.0",
        lifespan=lifespan,
        description="Tokenized real-world assets: compliance on chain, 24/7 matching, DvP settlement.",
    )
    app.state.settings = settings
    app.state.db = make_engine(settings.database_url)
    create_tables(app.state.db)
    app.state.chain = Chain(settings)
    app.state.venue = Venue.for_settings(settings)
    errors.install(app)
    limits.install(app, settings)
    admission.install(app, settings)
    for module in (
        health,
        chain,
        investors,
        issuers,
        assets,
        compliance,
        documents,
        cash,
        dead_man,
        orders,
        markets,
        trades,
        account,
        distributions,
        console,
        admin,
        audit,
    ):
        app.include_router(module.router)
    app.include_router(markets.ws_router)
    if (WEB_DIR / "index.html").exists():
        app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")
    logging.basicConfig(level=logging.INFO)
    return app
