"""Load shedding for order entry: a bounded number of orders inside the service at once.

Order entry is synchronous work on a pool of 40 threads, and each order holds a database
connection while it waits for its investor's and its market's locks. Past what the venue
can process, an unbounded queue only makes every order late: requests pile up, time out
at the client, are processed anyway, and the connection pool runs dry (500s for everyone).
Instead at most `order_max_in_flight` (RWA_ORDER_MAX_IN_FLIGHT) orders are admitted at
once; the next is answered at once with 503 `service.busy` and `Retry-After: 1`. A retry
with the same client_order_id is safe (API.md). 0 disables the limit.

The same gate bounds unsettled exposure: while more than `settlement_max_backlog`
(RWA_SETTLEMENT_MAX_BACKLOG) matched trades wait for settlement - the chain is down, or
slower than matching for long - new orders are answered 503 `settlement.backlog` with
`Retry-After: 5`. Cancels still go through, and matching resumes by itself as the outbox
drains. The count is the settlement worker's, taken at the start of each of its passes.

A plain ASGI middleware, like backend/api/limits.py: it counts on the event loop, so it
needs no lock, and it answers before any thread or connection is taken.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from backend.api.errors import envelope
from backend.config import Settings

ORDER_PATHS = ("/v1/orders", "/v1/orders/", "/v1/orders/batch")  # a batch is admitted as one request


class OrderAdmission:
    def __init__(self, app: Any, *, limit: int, max_backlog: int = 0):
        self.app, self.limit, self.max_backlog = app, limit, max_backlog
        self.in_flight = 0
        self.shed = 0  # orders answered 503 since start

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if not (
            (self.limit or self.max_backlog)
            and scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] in ORDER_PATHS
        ):
            await self.app(scope, receive, send)
            return
        backlog = self._backlog(scope)
        if self.max_backlog and backlog is not None and backlog >= self.max_backlog:
            self.shed += 1
            response = envelope(
                503,
                "settlement.backlog",
                f"{backlog} matched trades are waiting for on-chain "
                "settlement; new orders resume as they settle (cancels still work)",
                headers={"Retry-After": "5"},
            )
            await response(scope, receive, send)
            return
        if not self.limit:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            self.shed += 1
            response = envelope(
                503,
                "service.busy",
                f"{self.in_flight} orders are being processed; retry in 1 s "
                "(the same client_order_id is safe to resend)",
                headers={"Retry-After": "1"},
            )
            await response(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    @staticmethod
    def _backlog(scope: dict) -> int | None:
        app = scope.get("app")
        worker = getattr(getattr(app, "state", None), "settlement", None)
        return getattr(worker, "backlog", None)


def install(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(OrderAdmission, limit=settings.order_max_in_flight, max_backlog=settings.settlement_max_backlog)
