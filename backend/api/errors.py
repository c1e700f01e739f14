"""The one place where errors become HTTP responses (API.md's error envelope)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.errors import DomainError

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


def envelope(status: int, code: str, message: str, details: object = None,
             headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse(status_code=status, content={"error": body}, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return envelope(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
                    "problem": err.get("msg", "")} for err in exc.errors()]
        first = details[0] if details else {"field": "", "problem": "invalid request"}
        message = f"{first['field'] or 'request'}: {first['problem']}"
        return envelope(422, "validation.invalid", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, f"http.{exc.status_code}")
        # Keep the exception's headers: 405's Allow, 429's Retry-After.
        return envelope(exc.status_code, code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return envelope(500, "internal.error", "internal error; it has been logged")
