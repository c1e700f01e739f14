"""The one place where errors become HTTP responses (API.md's error envelope)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from backend.errors import DomainError, RateLimited

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "request.bad",
    401: "auth.missing_key",
    403: "auth.forbidden",
    404: "request.not_found",
    405: "request.method_not_allowed",
    413: "request.too_large",
    415: "request.unsupported_media_type",
    429: "request.rate_limited",
}


def envelope(
    status: int, code: str, message: str, details: object = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": error_body(code, message, details)}, headers=headers)


def error_body(code: str, message: str, details: object = None) -> dict[str, object]:
    """The `error` object of the envelope (also each failed item of a batch, backend/api/batch.py)."""
    body: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return body


def validation_problem(errors: Sequence[Any]) -> tuple[str, list[dict[str, Any]]]:
    """pydantic's errors as `validation.invalid`'s message and `details` (field, problem)."""
    details = [
        {"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"), "problem": err.get("msg", "")}
        for err in errors
    ]
    first = details[0] if details else {"field": "", "problem": "invalid request"}
    return f"{first['field'] or 'request'}: {first['problem']}", details


def route_methods(request: Request) -> set[str] | None:
    """The methods of the API path that matches first (FastAPI makes one route per method)."""
    routes = [r for r in request.app.router.routes if isinstance(r, Route) and r.methods]
    path = request.url.path
    # a literal route (/v1/orders/batch) before a templated one that also matches (/v1/orders/{order_id})
    matching = sorted((r for r in routes if r.path_regex.match(path)), key=lambda r: r.path_format != path)
    first = matching[0] if matching else None
    if first is None:
        return None
    return {m for r in routes if r.path_format == first.path_format for m in r.methods or ()}


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return envelope(exc.status, exc.code, exc.message, exc.details, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        message, details = validation_problem(exc.errors())
        return envelope(422, "validation.invalid", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status, detail, headers = exc.status_code, str(exc.detail), dict(exc.headers or {})
        if status in (404, 405):
            # The web UI's catch-all mount answers an API path's other methods with 404 or a
            # bare 405, Starlette with one route's methods: say 405 and all that is allowed.
            methods = route_methods(request)
            if methods is not None and request.method not in methods:
                status, detail, headers["Allow"] = 405, "Method Not Allowed", ", ".join(sorted(methods))
        return envelope(status, HTTP_CODES.get(status, f"http.{status}"), detail, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return envelope(500, "internal.error", "internal error; it has been logged")
