"""The yardstick of `make bench-orders`: a bare FastAPI app with one POST endpoint.

It takes the same JSON body as POST /v1/orders through the same pydantic model
(`OrderCreate`, strict, with its Decimal and bounded-int fields), reads the same
X-API-Key header, runs in the thread pool like our route (a plain `def`), and answers
201 with a JSON object of the same shape as an order - but does no work: no database, no
chain, no signature, no matching. Served by the same uvicorn command line as the service
(bench/stack.py), so the difference between the two is what our work per order costs.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any

from fastapi import FastAPI, Header, Response

from backend.api.routes.orders import OrderCreate

_ids = itertools.count(1)


def create_app() -> FastAPI:
    app = FastAPI(title="bare")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/orders", status_code=201)
    def place_order(
        body: OrderCreate, response: Response, x_api_key: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        return {
            "id": f"{next(_ids):032x}",
            "client_order_id": body.client_order_id,
            "symbol": body.symbol,
            "side": body.side,
            "type": body.type,
            "price": str(body.price),
            "quantity": str(body.quantity),
            "filled_quantity": "0",
            "status": "open",
            "reject_code": None,
            "time_in_force": body.time_in_force,
            "post_only": body.post_only,
            "nonce": str(body.nonce),
            "expires_at": body.expires_at or 0,
            "created_at": "2026-01-01T00:00:00.000000Z",
            "fills": [],
        }

    return app
