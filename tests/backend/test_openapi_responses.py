"""/openapi.json describes every JSON answer: each operation's success statuses name a
response model with its fields, so generated clients get types, not `object`.

Built from the app alone (no chain, no server): the chain client connects lazily.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from backend.api.app import create_app
from backend.config import Settings

# Operations whose answer is not JSON.
NOT_JSON = {
    ("get", "/v1/documents/{document_id}/content"),  # the filed bytes, with their own Content-Type
}
# Routes that are not operations of the document at all.
NOT_OPERATIONS = {
    "/v1/ws/markets/{symbol}",  # the market websocket (docs/API.md)
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "",  # the static web UI, mounted at /
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    tmp = tmp_path_factory.mktemp("openapi")
    settings = Settings(database_url=f"sqlite:///{tmp / 'openapi.db'}", storage_dir=tmp / "documents")
    return create_app(settings)


@pytest.fixture(scope="module")
def openapi(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, item in document["paths"].items() for method, op in item.items()]


def _untyped(document: dict[str, Any], schema: dict[str, Any] | None) -> str | None:
    """Why this response schema says nothing useful, or None when it names fields."""
    if not schema:
        return "no JSON schema"
    schema = _resolve(document, schema)
    if "anyOf" in schema:  # `Model | None`: null and a typed body
        whys = [_untyped(document, s) for s in schema["anyOf"] if s != {"type": "null"}]
        return None if whys and not any(whys) else f"an untyped alternative ({schema.get('title')})"
    if schema.get("type") == "array":
        schema = _resolve(document, schema.get("items") or {})
    if schema.get("type") != "object" or not schema.get("properties"):
        return f"no declared fields ({schema.get('title', schema)})"
    return None


def test_every_json_operation_has_a_typed_success_response(openapi: dict[str, Any]) -> None:
    missing = []
    for method, path, op in _operations(openapi):
        if (method, path) in NOT_JSON:
            continue
        successes = {status: r for status, r in op["responses"].items() if status.startswith("2")}
        assert successes, f"{method.upper()} {path}: no success status"
        for status, response in successes.items():
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            why = _untyped(openapi, schema)
            if why:
                missing.append(f"{method.upper()} {path} {status}: {why}")
    assert not missing, "\n".join(missing)


def test_every_route_but_the_listed_ones_is_in_the_document(app: FastAPI, openapi: dict[str, Any]) -> None:
    """So checking the document checks every JSON route the app serves."""
    documented = {(method, path) for method, path, _ in _operations(openapi)}
    others = set()
    for route in app.routes:
        path = getattr(route, "path", "")
        if isinstance(route, APIRoute) and route.include_in_schema:
            for method in route.methods - {"HEAD"}:
                assert (method.lower(), path) in documented, f"{method} {path} is missing from /openapi.json"
        else:
            others.add(path)
    assert others == NOT_OPERATIONS


def test_the_exceptions_are_still_operations_that_answer_otherwise(openapi: dict[str, Any]) -> None:
    """The exception list names real operations: a renamed route does not hide behind it."""
    operations = {(method, path): op for method, path, op in _operations(openapi)}
    for key in NOT_JSON:
        assert key in operations, f"{key} is not an operation any more: update NOT_JSON"
        assert "application/json" not in operations[key]["responses"]["200"].get("content", {})


def test_response_models_keep_decimals_as_strings(openapi: dict[str, Any]) -> None:
    """Money and quantities are decimal strings in the document as on the wire (docs/API.md)."""
    schemas = openapi["components"]["schemas"]
    for model, field in (
        ("AssetPublic", "tick_size"),
        ("TradePublic", "price"),
        ("CandlePublic", "volume"),
        ("PositionPublic", "available"),
        ("DistributionPublic", "amount"),
    ):
        assert schemas[model]["properties"][field]["type"] == "string", (model, field)


def test_degraded_health_keeps_its_keys_through_the_response_model(tmp_path) -> None:
    """Keys a builder leaves out stay out (not null): /health without a chain node has
    `reasons`, and its nulls are the builder's own."""
    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}", rpc_url=f"http://127.0.0.1:{port}")
    response = TestClient(create_app(settings), raise_server_exceptions=False).get("/health")  # no lifespan
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["status", "chain_id", "block", "db", "settlement", "reasons"]
    assert body["status"] == "degraded" and body["chain_id"] is None and body["block"] is None
    assert body["settlement"] == {"pending": 0, "submitted": 0, "last_error": None}
    assert body["reasons"] and body["reasons"][0].startswith("chain: ")
