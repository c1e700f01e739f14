"""Abuse limits in front of the routers: request body sizes and per-client request rates.

Both are plain ASGI middleware, so they answer before FastAPI parses anything:

- `BodySizeLimit` refuses a body larger than its path allows with 413 `request.too_large`,
  from Content-Length when there is one, and by counting the bytes as they stream in (a
  chunked body, or a Content-Length that lies) - the body is never read whole first.
  Document uploads (`POST /v1/assets/{symbol}/documents`) get `document_max_bytes` plus a
  framing allowance; every other body gets `max_body_bytes`.
- `RateLimit` is a token bucket per API key (per client address for requests without a
  key), answering 429 `request.rate_limited` with `Retry-After` when a bucket is empty.
  A key counts against its client address until it has once resolved (`api_key_resolved`
  on the request state, set by backend/api/deps.py): made-up keys buy no fresh buckets, so
  guessing keys is as slow as the rate, while known keys are unaffected by their address.

The answers use the one error envelope of backend/api/errors.py.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException

from backend.api.errors import envelope
from backend.config import Settings
from backend.errors import RateLimited

UPLOAD_PATH = re.compile(r"^/v1/assets/[^/]+/documents/?$")
FRAMING_BYTES = 64 * 1024  # multipart boundaries, part headers and the small form fields


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a streamed body passes its limit.

    An HTTPException, so FastAPI's body parsing lets it through to the envelope handler
    (413 `request.too_large`) instead of calling it a malformed body."""

    def __init__(self, message: str):
        super().__init__(status_code=413, detail=message)


class BodySizeLimit:
    def __init__(
        self,
        app: Any,
        *,
        max_document_bytes: int,
        max_body_bytes: int | None = None,
        framing_bytes: int = FRAMING_BYTES,
    ):
        self.app = app
        self.max_document_bytes = max_document_bytes
        self.max_upload_bytes = max_document_bytes + framing_bytes
        self.max_body_bytes = max_body_bytes  # None: only uploads are limited

    def _limit(self, scope: dict) -> tuple[int | None, str]:
        if scope["method"] == "POST" and UPLOAD_PATH.match(scope["path"]):
            return self.max_upload_bytes, f"a document may be at most {self.max_document_bytes} bytes"
        return self.max_body_bytes, f"a request body may be at most {self.max_body_bytes} bytes"

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, message = self._limit(scope)
        if limit is None:
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _too_large(message)(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> dict:
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(message)
            return msg

        async def tracking_send(msg: dict) -> None:
            nonlocal started
            started = started or msg["type"] == "http.response.start"
            await send(msg)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            # A route that read its body outside FastAPI's parsing lets it escape to here.
            if started:
                raise
            await _too_large(message)(scope, receive, send)


def _too_large(message: str) -> Any:
    # The rest of the body is not read: ask the client to close rather than send it.
    return envelope(413, "request.too_large", message, headers={"Connection": "close"})


class NulGuard:
    """A NUL character in the query string is refused before any route sees it: PostgreSQL
    cannot compare a string holding one (the request would end in a 500). Bodies are checked
    by their models (api/schemas.py Strict); a path naming a resource with one is that
    resource's not_found (e.g. entry.get_own_order)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"").lower()
            if b"%00" in query or b"\x00" in query:
                await envelope(422, "validation.invalid", "the query contains a NUL character")(scope, receive, send)
                return
        await self.app(scope, receive, send)


class TokenBucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float):
        self.tokens = tokens
        self.stamp = stamp


class RateLimit:
    """Token buckets of `burst` requests refilled at `per_second`; 0 disables the limit.

    Only API paths (/v1/...) count; /health, the schema and the web UI's files do not.
    Buckets live in this process: several workers each allow the rate (put the limit in
    the proxy too when running more than one)."""

    def __init__(
        self,
        app: Any,
        *,
        per_second: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ):
        self.app = app
        self.per_second = per_second
        self.burst = max(1, burst)
        self.clock = clock
        self.max_clients = max_clients
        self.buckets = Buckets(per_second=per_second, burst=burst, clock=clock, max_clients=max_clients)
        self.known_keys: OrderedDict[str, None] = OrderedDict()  # keys seen to resolve

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if self.per_second <= 0 or scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        address = (scope.get("client") or ("unknown",))[0]
        key = dict(scope.get("headers") or []).get(b"x-api-key")
        digest = hashlib.sha256(key).hexdigest() if key else None
        known = digest is not None and digest in self.known_keys
        # No key, or one not yet seen to resolve (made-up keys must not buy fresh buckets):
        # the address's bucket.
        wait = self._take(f"key:{digest}" if known else f"addr:{address}")
        if wait > 0:
            retry_after = str(max(1, math.ceil(wait)))
            await envelope(
                429,
                "request.rate_limited",
                f"too many requests; retry in {retry_after} s",
                headers={"Retry-After": retry_after},
            )(scope, receive, send)
            return
        if digest is None or known:
            await self.app(scope, receive, send)
            return

        async def learning_send(msg: dict) -> None:
            if msg["type"] == "http.response.start" and scope.get("state", {}).get("api_key_resolved"):
                self._remember(self.known_keys, digest, None)
                self._take(f"key:{digest}")  # its own bucket from now on, this request counted
            await send(msg)

        await self.app(scope, receive, learning_send)

    def _take(self, identity: str) -> float:
        return self.buckets.take(identity)

    def _remember(self, table: OrderedDict, name: str, value: Any) -> None:
        remember(table, name, value, self.max_clients)


class Buckets:
    """Token buckets by identity: `burst` tokens refilled at `per_second`, the least recently
    used forgotten past `max_clients`."""

    def __init__(self, *, per_second: float, burst: int, clock: Callable[[], float], max_clients: int = 100_000):
        self.per_second, self.burst, self.clock, self.max_clients = per_second, max(1, burst), clock, max_clients
        self._table: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, identity: str, n: int = 1) -> float:
        """Take `n` tokens; 0 when there were n, else (nothing taken) the seconds until there will be."""
        now = self.clock()
        bucket = self._table.get(identity)
        if bucket is None:
            bucket = TokenBucket(float(self.burst), now)
            remember(self._table, identity, bucket, self.max_clients)
        else:
            self._table.move_to_end(identity)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.stamp) * self.per_second)
            bucket.stamp = now
        if bucket.tokens >= n:
            bucket.tokens -= n
            return 0.0
        return (n - bucket.tokens) / self.per_second


def remember(table: OrderedDict, name: str, value: Any, limit: int) -> None:
    table[name] = value
    table.move_to_end(name)
    while len(table) > limit:
        table.popitem(last=False)


class OrderBudget:
    """Orders per investor: each order, alone or in a batch, takes one token, so a batch of 50
    costs what 50 single orders cost (the request limit above counts a batch as one request).
    A batch needing more tokens than are left is refused whole, with the wait in Retry-After;
    0 disables. The burst is at least a full batch, so a full batch can always pass in time."""

    def __init__(self, *, per_second: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.enabled = per_second > 0
        self._buckets = Buckets(per_second=per_second or 1, burst=burst, clock=clock)

    def take(self, investor_id: int, orders: int) -> None:
        if not self.enabled:
            return
        wait = self._buckets.take(f"investor:{investor_id}", orders)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise RateLimited(
                "request.rate_limited",
                f"order rate limit: {orders} order(s) need tokens this investor has not got; retry in {retry_after} s",
                retry_after=retry_after,
            )


def install(app: FastAPI, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
    """Body sizes inside, rate limit outermost: a throttled client's body is never read."""
    app.add_middleware(NulGuard)
    app.add_middleware(
        BodySizeLimit, max_document_bytes=settings.document_max_bytes, max_body_bytes=settings.max_body_bytes
    )
    app.add_middleware(
        RateLimit, per_second=settings.rate_limit_per_second, burst=settings.rate_limit_burst, clock=clock
    )
    app.state.order_budget = OrderBudget(
        per_second=settings.order_rate_limit_per_second, burst=settings.order_rate_limit_burst, clock=clock
    )


# The disclosure upload guard's earlier name (uploads only, other bodies unlimited).
UploadSizeLimit = BodySizeLimit
