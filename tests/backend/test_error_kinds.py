"""Services choose an error's kind, never an HTTP status; the API answers each kind's status."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backend import errors
from backend.api import errors as api_errors

BACKEND = Path(__file__).resolve().parents[2] / "backend"
KINDS = {
    errors.InvalidInput: 422,
    errors.Refused: 422,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Forbidden: 403,
    errors.Unauthorized: 401,
    errors.TooLarge: 413,
    errors.Unavailable: 503,
    errors.ChainRejected: 422,
    errors.Corrupt: 500,
}


def test_an_error_cannot_be_given_a_status():
    with pytest.raises(TypeError):
        errors.Conflict("market.halted", "halted", status=422)  # type: ignore[call-arg]


def test_no_backend_code_passes_a_status_to_a_domain_error():
    kinds = {name for name in dir(errors) if isinstance(getattr(errors, name), type)}
    offenders = []
    for path in sorted(BACKEND.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and any(k.arg == "status" for k in node.keywords):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if name in kinds:
                    offenders.append(f"{path.relative_to(BACKEND)}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize("kind", list(KINDS), ids=[k.__name__ for k in KINDS])
def test_the_api_answers_each_kind_with_its_status_and_envelope(kind):
    app = FastAPI()
    api_errors.install(app)

    @app.get("/boom")
    def boom() -> None:
        raise kind("area.problem", "what went wrong", details={"field": "x"})

    answer = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert answer.status_code == KINDS[kind]
    assert answer.json() == {"error": {"code": "area.problem", "message": "what went wrong", "details": {"field": "x"}}}
