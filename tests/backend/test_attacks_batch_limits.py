"""Attack: flooding order entry through the batch endpoint past the per-key rate limit.

The rate limit (backend/api/limits.py) is a token bucket per API key that bounds how much work
one key can ask of order entry. A batch (POST /v1/orders/batch) carries up to 50 orders and
takes one token of it, so orders are bounded by a second limit, the investor's order budget
(limits.OrderBudget: a batch of n takes n; tests/integration/test_order_rate_limit.py and
tests/backend/test_limits.py show a batch cannot get round it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.api import errors, limits
from backend.api.deps import PrincipalDep
from backend.auth.service import issue_key
from backend.config import Settings
from backend.db import create_tables, make_engine

BURST = 50


class Clock:
    now = 1000.0  # never moves: no token comes back during a test

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'limits.db'}",
        admin_key="admin-secret",
        rate_limit_per_second=1,
        rate_limit_burst=BURST,
    )
    app = FastAPI()
    app.state.settings = settings
    app.state.db = make_engine(settings.database_url)
    create_tables(app.state.db)
    errors.install(app)
    limits.install(app, settings, clock=Clock())

    @app.post("/v1/orders")
    def place(_: PrincipalDep) -> dict:
        return {"placed": 1}

    @app.post("/v1/orders/batch")
    async def place_batch(_: PrincipalDep, request: Request) -> dict:
        return {"placed": len((await request.json())["orders"])}

    with TestClient(app) as test_client:
        yield test_client


def _key(client: TestClient) -> dict[str, str]:
    with Session(client.app.state.db) as session:
        key = issue_key(session, role="investor", label="flood")
        session.commit()
    return {"X-API-Key": key}


def _placed_until_refused(client: TestClient, path: str, body: dict, tries: int) -> int:
    """Orders placed by sending `body` to `path` until the first 429."""
    headers, placed = _key(client), 0
    for _ in range(tries):
        response = client.post(path, headers=headers, json=body)
        if response.status_code == 429:
            assert response.json()["error"]["code"] == "request.rate_limited"
            break
        assert response.status_code == 200, response.text
        placed += response.json()["placed"]
    return placed


def test_single_orders_stop_at_the_burst(client):
    assert _placed_until_refused(client, "/v1/orders", {}, tries=BURST * 3) == BURST
