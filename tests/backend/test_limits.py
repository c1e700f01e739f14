"""Abuse limits: per-key token buckets (429 + Retry-After) and streamed body-size limits (413)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlmodel import Session

from backend.api import errors, limits
from backend.api.deps import PrincipalDep
from backend.auth.service import issue_key
from backend.config import Settings
from backend.db import create_tables, make_engine
from backend.errors import RateLimited


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Item(BaseModel):
    note: str


def _app(tmp_path: Path, clock: Clock, **overrides: object) -> FastAPI:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'limits.db'}",
        admin_key="admin-secret",
        **{
            "rate_limit_per_second": 1,
            "rate_limit_burst": 3,
            "max_body_bytes": 1000,
            "document_max_bytes": 2000,
            **overrides,
        },
    )
    app = FastAPI()
    app.state.settings = settings
    app.state.db = make_engine(settings.database_url)
    create_tables(app.state.db)
    errors.install(app)
    limits.install(app, settings, clock=clock)

    @app.get("/v1/private")
    def private(_: PrincipalDep) -> dict:
        return {"ok": True}

    @app.get("/v1/public")
    def public() -> dict:
        return {"ok": True}

    @app.post("/v1/items")
    def create(item: Item) -> dict:
        return {"length": len(item.note)}

    @app.post("/v1/raw")
    async def raw(request: Request) -> dict:
        return {"length": len(await request.body())}

    @app.post("/v1/assets/{symbol}/documents")
    async def upload(symbol: str, request: Request) -> dict:
        return {"length": len(await request.body())}

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    return app


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    with TestClient(_app(tmp_path, clock)) as test_client:
        yield test_client


def _investor_key(client: TestClient) -> str:
    with Session(client.app.state.db) as session:
        key = issue_key(session, role="investor", label="limits")
        session.commit()
    return key


def test_a_key_gets_its_burst_then_429_with_retry_after(client, clock):
    key = {"X-API-Key": _investor_key(client)}
    assert [client.get("/v1/private", headers=key).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/v1/private", headers=key)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["error"]["code"] == "request.rate_limited"
    clock.now += 1  # one token back at 1 per second
    assert client.get("/v1/private", headers=key).status_code == 200
    assert client.get("/v1/private", headers=key).status_code == 429


def test_keys_have_separate_buckets(client):
    first, second = {"X-API-Key": _investor_key(client)}, {"X-API-Key": _investor_key(client)}
    for _ in range(4):
        client.get("/v1/private", headers=first)
    assert client.get("/v1/private", headers=first).status_code == 429
    assert client.get("/v1/private", headers=second).status_code == 200
    assert client.get("/v1/private", headers={"X-API-Key": "admin-secret"}).status_code == 200


def test_made_up_keys_count_against_the_address_and_known_keys_do_not(client):
    known = {"X-API-Key": _investor_key(client)}
    assert client.get("/v1/private", headers=known).status_code == 200  # address: 2 left
    answers = [client.get("/v1/private", headers={"X-API-Key": f"guess-{i}"}).status_code for i in range(4)]
    assert answers == [401, 401, 429, 429]
    assert client.get("/v1/private", headers=known).status_code == 200  # its own bucket now


def test_made_up_keys_on_public_paths_count_against_the_address(client):
    answers = [client.get("/v1/public", headers={"X-API-Key": f"guess-{i}"}).status_code for i in range(4)]
    assert answers == [200, 200, 200, 429]
    assert client.get("/v1/public").status_code == 429


def test_health_and_non_api_paths_are_not_limited(client):
    assert {client.get("/health").status_code for _ in range(10)} == {200}


def test_zero_rate_disables_the_limit(tmp_path, clock):
    with TestClient(_app(tmp_path, clock, rate_limit_per_second=0)) as unlimited:
        assert {unlimited.get("/v1/public").status_code for _ in range(20)} == {200}


def test_retry_after_rounds_the_wait_up_to_whole_seconds(tmp_path, clock):
    with TestClient(_app(tmp_path, clock, rate_limit_per_second=0.25, rate_limit_burst=1)) as slow:
        assert slow.get("/v1/public").status_code == 200
        clock.now += 1  # a quarter token back: three quarters missing at 0.25/s = 3 s
        assert slow.get("/v1/public").headers["Retry-After"] == "3"


def test_a_declared_oversized_json_body_is_413(tmp_path, clock):
    with TestClient(_app(tmp_path, clock, rate_limit_per_second=0)) as client:
        response = client.post("/v1/items", json={"note": "x" * 2000})
        assert response.status_code == 413
        assert response.json() == {
            "error": {"code": "request.too_large", "message": "a request body may be at most 1000 bytes"}
        }
        assert client.post("/v1/items", json={"note": "x" * 900}).json() == {"length": 900}


def _chunks(total: int, size: int = 256) -> Iterator[bytes]:
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


@pytest.mark.parametrize("path", ["/v1/items", "/v1/raw"])
def test_a_streamed_body_without_content_length_is_cut_off_at_the_limit(tmp_path, clock, path):
    with TestClient(_app(tmp_path, clock, rate_limit_per_second=0)) as client:
        response = client.post(path, content=_chunks(5000), headers={"Content-Type": "application/json"})
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "request.too_large"


def test_uploads_get_the_document_limit_and_other_bodies_the_json_limit(tmp_path, clock):
    with TestClient(_app(tmp_path, clock, rate_limit_per_second=0)) as client:
        assert client.post("/v1/assets/ACME/documents", content=b"x" * 1500).json() == {"length": 1500}
        streamed = client.post("/v1/assets/ACME/documents", content=_chunks(2000 + limits.FRAMING_BYTES + 1))
        assert streamed.status_code == 413
        assert streamed.json()["error"]["message"] == "a document may be at most 2000 bytes"
        assert client.post("/v1/raw", content=b"x" * 1500).status_code == 413


def test_the_order_budget_counts_every_order_of_a_batch_and_refuses_a_batch_whole():
    clock = Clock()
    budget = limits.OrderBudget(per_second=10, burst=60, clock=clock)
    budget.take(7, 50)  # a full batch passes on a fresh budget
    with pytest.raises(RateLimited) as refused:
        budget.take(7, 20)  # 10 tokens left: the batch of 20 is refused whole
    assert refused.value.status == 429 and refused.value.code == "request.rate_limited"
    assert refused.value.retry_after == 1  # 10 more tokens come in 1 s
    budget.take(7, 10)  # nothing was taken by the refusal: the 10 left are still there
    budget.take(8, 50)  # another investor has a budget of its own
    clock.now += 2
    budget.take(7, 20)
    limits.OrderBudget(per_second=0, burst=50).take(7, 10_000)  # 0 disables it


def test_an_order_refused_by_the_budget_answers_429_with_retry_after(tmp_path):
    clock = Clock()
    app = FastAPI()
    errors.install(app)
    budget = limits.OrderBudget(per_second=5, burst=50, clock=clock)

    @app.post("/v1/orders")
    def place(count: int) -> dict:
        budget.take(1, count)
        return {"ok": True}

    with TestClient(app) as client:
        assert client.post("/v1/orders", params={"count": 50}).status_code == 200
        refused = client.post("/v1/orders", params={"count": 1})
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
        assert refused.json()["error"]["code"] == "request.rate_limited"
