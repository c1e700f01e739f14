"""The FastAPI application: wiring of settings, database, chain, venue and workers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from backend import memory, workers
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
from backend.config import Settings, get_settings
from backend.db import create_tables, make_engine
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
        # Settlement, the compliance mirror and anchoring need no venue: a process of their own
        # by default (backend/workers.py); app.state.settlement and .compliance_mirror hold
        # the workers (thread mode) or what the child reports of them (process mode).
        threads: dict[str, workers.Worker] = {}
        children = None
        if settings.workers == "thread":
            threads = workers.build(app.state.db, app.state.chain, settings)
            for worker in threads.values():
                worker.start()
        elif workers.enabled(settings):
            children = workers.WorkerProcess(settings, workers.enabled(settings), app.state.db)
            children.start()
        app.state.workers = children
        running = children.workers if children else threads
        app.state.settlement = running.get("settlement")
        app.state.compliance_mirror = running.get("compliance_mirror")
        app.state.dead_man = DeadManWorker(app.state.db, app.state.venue)
        app.state.dead_man.start()
        app.state.order_expiry = ExpiryWorker(app.state.db, app.state.venue)
        app.state.order_expiry.start()
        app.state.chain_cancels = ChainCancelWatcher(
            app.state.db, app.state.chain, app.state.venue, interval_ms=settings.chain_watch_interval_ms
        )
        app.state.chain_cancels.start()
        app.state.venue.balances.follow(app.state.chain, interval_ms=settings.funds_follow_interval_ms)
        yield
        app.state.venue.balances.unfollow()
        app.state.chain_cancels.stop()
        app.state.order_expiry.stop()
        app.state.dead_man.stop()
        if children:
            children.stop()
        workers.stop_all(threads)

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
