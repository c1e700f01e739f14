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


def test_a_method_the_api_path_lacks_is_405_with_allow_even_under_a_catch_all_mount(tmp_path):
    from fastapi.staticfiles import StaticFiles

    app = _app()

    @app.delete("/typed/{n}")
    def delete(n: int) -> int:
        return n

    app.mount("/", StaticFiles(directory=tmp_path, html=True))
    client = TestClient(app)
    for method in ("PUT", "POST"):
        response = client.request(method, "/typed/1")
        assert response.status_code == 405
        assert response.headers["Allow"] == "DELETE, GET"
        assert response.json()["error"]["code"] == "request.method_not_allowed"
    assert client.get("/nowhere").status_code == 404
