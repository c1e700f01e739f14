"""Batches of orders and cancels: `POST /v1/orders/batch` and `POST /v1/orders/cancel-batch`.

A batch carries 1-50 items and is answered with one result per item, in the same order:
`{"status": <the HTTP status the single endpoint would answer>, "order": {...}}` or
`{"status": ..., "error": {"code", "message", "details"?}}` with the very code the single
endpoint gives; a bad item never fails its neighbours. Orders go to
`backend.trading.batch.place_orders` together (one investor lock, one group commit); cancels
to `backend.trading.batch.cancel_orders` (one SELECT, one commit), each answered as its own
DELETE would be. An item
that is not even an order object is answered `validation.invalid` on its own; only a batch
that is not `{orders: [...]}` of 1-50 items (or `{order_ids: [...]}`) fails as a whole.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, ValidationError, WithJsonSchema, model_validator

from backend.api.errors import error_body, validation_problem
from backend.api.public import OrderCancelled, OrderPublic, Public
from backend.api.schemas import ErrorBody, Strict
from backend.errors import DomainError
from backend.trading.batch import MAX_BATCH

# Any JSON value: an item that is not an order is refused on its own (schema: an order).
OrderItem = Annotated[Any, WithJsonSchema({"$ref": "#/components/schemas/OrderCreate"})]


class OrderBatch(Strict):
    orders: list[OrderItem] = Field(
        min_length=1, max_length=MAX_BATCH, description=f"1-{MAX_BATCH} orders, each the body of POST /v1/orders"
    )

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        return data  # each order is checked on its own (a NUL fails that order only)


class CancelBatch(Strict):
    order_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=MAX_BATCH, description=f"1-{MAX_BATCH} ids of the caller's orders"
    )


class ErrorResult(Public):
    status: int = Field(description="the HTTP status the single endpoint answers this item with")
    error: ErrorBody


class OrderResult(Public):
    status: int = Field(description="201 placed; 200 the original order of a repeated client_order_id")
    order: OrderPublic


class CancelResult(Public):
    status: int = Field(description="200: cancelled")
    order: OrderCancelled


class OrderBatchResults(Public):
    results: list[OrderResult | ErrorResult]


class CancelBatchResults(Public):
    results: list[CancelResult | ErrorResult]


def failed(exc: DomainError | ValidationError) -> dict[str, Any]:
    """An item's error result: the status and error body the single endpoint answers it with."""
    if isinstance(exc, ValidationError):
        message, details = validation_problem(exc.errors())
        return {"status": 422, "error": error_body("validation.invalid", message, details)}
    return {"status": exc.status, "error": error_body(exc.code, exc.message, exc.details)}
