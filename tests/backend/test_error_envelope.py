"""The error envelope of API.md for errors raised before any chain access."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from backend.api import errors
from backend.errors import Conflict


def _app() -> FastAPI:
    app = FastAPI()
    errors.install(app)

    @app.get("/conflict")
    def conflict() -> None:
        raise Conflict("order.duplicate_client_id", "seen before")

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/typed/{n}")
    def typed(n: int) -> int:
        return n

    return app


def test_domain_error_becomes_the_envelope():
    response = TestClient(_app()).get("/conflict")
    assert response.status_code == 409
    assert response.json() == {"error": {"code": "order.duplicate_client_id", "message": "seen before"}}


def test_unexpected_error_is_500_without_traceback():
    response = TestClient(_app(), raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal.error"
    assert "secret" not in response.text and "Traceback" not in response.text


def test_validation_and_unknown_routes_use_the_envelope():
    client = TestClient(_app())
    invalid = client.get("/typed/abc")
    assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "validation.invalid"
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "request.not_found"
