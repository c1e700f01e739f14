"""The upload size guard answers 413 from Content-Length, before the route reads the body."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from backend.api.limits import UploadSizeLimit


def _app(calls: list[str]) -> FastAPI:
    app = FastAPI()
    app.add_middleware(UploadSizeLimit, max_document_bytes=1000, framing_bytes=100)

    @app.post("/v1/assets/{symbol}/documents")
    async def upload(symbol: str, request: Request) -> dict:
        calls.append(symbol)
        return {"size": len(await request.body())}

    @app.post("/v1/other")
    async def other(request: Request) -> dict:
        return {"size": len(await request.body())}

    return app


def test_an_oversized_upload_is_refused_without_reaching_the_route():
    calls: list[str] = []
    client = TestClient(_app(calls))
    response = client.post("/v1/assets/ACME/documents", content=b"x" * 1101)
    assert response.status_code == 413
    assert response.json() == {
        "error": {"code": "request.too_large", "message": "a document may be at most 1000 bytes"}
    }
    assert calls == []


def test_uploads_within_the_framing_allowance_and_other_paths_pass():
    calls: list[str] = []
    client = TestClient(_app(calls))
    assert client.post("/v1/assets/ACME/documents", content=b"x" * 1100).json() == {"size": 1100}
    assert client.post("/v1/other", content=b"x" * 5000).json() == {"size": 5000}
    assert calls == ["ACME"]
