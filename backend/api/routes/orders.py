from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import Field, ValidationError
from sqlmodel import Session, col, select

from backend.api import batch
from backend.api.deps import (
    ChainDep,
    CurrentInvestor,
    InvestorKeyDep,
    SessionDep,
    VenueDep,
)
from backend.api.public import OrderCancelled, OrderPublic, OrderTypedData
from backend.api.schemas import ERRORS, PositiveDecimal, Strict
from backend.assets.service import get_asset
from backend.auth.service import investor_by_digest
from backend.chain.client import Chain
from backend.errors import DomainError
from backend.models.assets import Asset
from backend.models.compliance import Investor
from backend.models.settlement import TradeRecord
from backend.models.trading import Order
from backend.money import fmt
from backend.settlement.encoding import order_struct
from backend.statuses import OPEN_STATUSES
from backend.trading import entry, revocations
from backend.trading.batch import cancel_orders, place_orders, reread_resting
from backend.trading.chain_cancels import onchain_cancel_request
from backend.trading.sequencer import Venue

router = APIRouter(prefix="/v1/orders", tags=["orders"], responses=ERRORS)


class OrderCreate(Strict):
    symbol: str = Field(min_length=1, max_length=12)
    side: Literal["buy", "sell"]
    type: Literal["limit", "market"] = "limit"
    price: PositiveDecimal | None = Field(
        default=None,
        description="a limit order's price; a market order's signed limit (typed-data's limit_price), "
        "absent: the collar price at entry",
    )
    quantity: PositiveDecimal
    time_in_force: Literal["GTC", "IOC", "FOK"] = "GTC"
    post_only: bool = False
    client_order_id: str | None = Field(default=None, min_length=1, max_length=64)
    signature: str | None = Field(default=None, max_length=200)
    nonce: int | None = Field(
        default=None,
        ge=0,
        lt=2**64,  # settle()'s packed record carries 64 bits (DELETE answers cancelOrder for 2^64 - 1)
        description="the nonce of the signed order (from typed-data); required with a signature",
    )
    expires_at: int | None = Field(
        default=None,
        ge=0,
        lt=2**64,
        description="unix seconds, the signed expiry (from typed-data); required with a signature. "
        "Absent without a signature: GTC now + RWA_ORDER_MAX_TTL_SECONDS, IOC/FOK/market "
        "now + RWA_ORDER_SHORT_TTL_SECONDS. 0 is refused: every order expires",
    )

    def request(self) -> entry.OrderRequest:
        return entry.OrderRequest(**self.model_dump())


def order_public(
    session: Session, asset: Asset, order: Order, fills: list[TradeRecord] | None = None
) -> dict[str, Any]:
    """`fills`: the order's trades when the caller has them in hand (a new order's placement)."""
    tick, lot = Decimal(asset.tick_size), Decimal(asset.lot_size)
    # An order's trades are what filled it: nothing filled, nothing to look up (most orders).
    trades: Any = fills
    if trades is None:
        trades = (
            session.exec(
                select(TradeRecord)
                .where((TradeRecord.buy_order_id == order.id) | (TradeRecord.sell_order_id == order.id))
                .order_by(col(TradeRecord.trade_seq))
            )
            if order.filled_lots
            else []
        )
    return {
        "id": order.id,
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side,
        "type": order.type,
        "price": fmt(tick * order.price_ticks) if order.price_ticks is not None else None,
        "quantity": fmt(lot * order.quantity_lots),
        "filled_quantity": fmt(lot * order.filled_lots),
        "status": order.status,
        "reject_code": order.reject_code,
        "cancel_reason": order.cancel_reason,
        "time_in_force": order.time_in_force,
        "post_only": order.post_only,
        "nonce": order.nonce,
        "expires_at": order.expiry,
        "created_at": order.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "fills": [
            {
                "trade_id": t.id,
                "price": fmt(tick * t.price_ticks),
                "quantity": fmt(lot * t.quantity_lots),
                "settlement_status": t.settlement_status,
            }
            for t in trades
        ],
    }


@router.post("/typed-data", response_model=OrderTypedData)
def typed_data(
    body: OrderCreate, session: SessionDep, chain: ChainDep, venue: VenueDep, investor: CurrentInvestor
) -> dict[str, Any]:
    """The EIP-712 structure the investor's wallet signs, with the wallet's next nonce, the
    expiry and (a market order's collar) limit price in `message`; `limit_price` is that limit
    as a decimal. Send the order back with the same `nonce`, `expires_at` (= message.expiry),
    a market order's `price` = limit_price, and the `signature`."""
    prepared = entry.prepare(session, chain, venue, investor, body.request())
    return {**prepared.typed, "limit_price": fmt(Decimal(prepared.asset.tick_size) * prepared.limit_ticks)}


@router.post(
    "",
    status_code=201,
    response_model=OrderPublic,
    responses={200: {"model": OrderPublic, "description": "the original order of a repeated client_order_id"}},
)
async def place_order(body: OrderCreate, request: Request, key: InvestorKeyDep) -> Response:
    """Place a signed order. A repeated client_order_id returns the original order (200)."""
    # async, with the whole order in one thread-pool hand-off (a plain `def` route with
    # SessionDep and CurrentInvestor costs three: the investor, the route and its response).
    return await run_in_threadpool(_place_order, request, key, body.request())


def _place_order(request: Request, key: str, req: entry.OrderRequest) -> Response:
    state = request.app.state
    with Session(state.db, expire_on_commit=False) as session:
        investor = investor_by_digest(session, key)  # read per order: a revoked key is refused at once
        state.order_budget.take(investor.id, 1)
        order, created, fills = entry.place_order(session, state.chain, state.venue, investor, req)
        # The order as placed (apply_events updated this object before the commit): its status,
        # fills and filled quantity agree. Read again only when a revocation cancelled it.
        if created and order.status in OPEN_STATUSES and _cancel_if_barred_meanwhile(session, state.venue, investor):
            session.refresh(order)
        # the dict is OrderPublic's fields in its order (tests/backend/test_order_route_auth.py)
        content = order_public(session, get_asset(session, order.symbol), order, fills)
    return JSONResponse(content, status_code=201 if created else 200)


def _cancel_if_barred_meanwhile(session: Session, venue: Venue, investor: Investor) -> int:
    """A revocation (freeze, KYC expiry, de-whitelisting) committed while the order was being
    placed may have cancelled the investor's orders before this one was sequenced: read the
    investor's standing again and cancel what rests if it is barred now; returns how many
    orders were cancelled."""
    if not revocations.barred_now(session, investor.id):  # type: ignore[arg-type]
        return 0
    session.refresh(investor)
    return venue.cancel_orders_if_barred(session, investor)


@router.get("", response_model=list[OrderPublic])
def list_orders(
    session: SessionDep,
    investor: CurrentInvestor,
    status: str | None = None,
    symbol: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    query = select(Order).where(Order.investor_id == investor.id)
    if status:
        query = query.where(Order.status == status)
    if symbol:
        query = query.where(Order.symbol == symbol.upper())
    rows = session.exec(query.order_by(col(Order.created_at).desc()).limit(max(1, min(limit, 1000))))
    assets = {a.symbol: a for a in session.exec(select(Asset))}
    return [order_public(session, assets[o.symbol], o) for o in rows]


@router.get("/{order_id}", response_model=OrderPublic)
def read_order(order_id: str, session: SessionDep, investor: CurrentInvestor) -> dict[str, Any]:
    order = entry.get_own_order(session, investor, order_id)
    return order_public(session, get_asset(session, order.symbol), order)


@router.delete("/{order_id}", response_model=OrderCancelled)
def cancel_order(
    order_id: str, session: SessionDep, chain: ChainDep, venue: VenueDep, investor: CurrentInvestor
) -> dict[str, Any]:
    """Cancel on this venue (at once, `cancel_reason: "user"`). The signature stays valid on
    chain: `onchain_cancel` is the cancelUpTo transaction the wallet signs to invalidate it."""
    return _cancelled(session, chain, venue, investor, order_id)


def _cancelled(session: Session, chain: Chain, venue: Venue, investor: Investor, order_id: str) -> dict[str, Any]:
    return _cancelled_public(session, chain, entry.cancel_order(session, venue, investor, order_id))


def _cancelled_public(session: Session, chain: Chain, order: Order) -> dict[str, Any]:
    try:  # the cancel is done: a node that cannot be asked its chain id does not undo it
        exchange, chain_id = chain.deployment.contracts["settlement_exchange"], chain.chain_id
    except DomainError:
        exchange, chain_id = None, None
    asset = get_asset(session, order.symbol)
    return {
        **order_public(session, asset, order),
        "onchain_cancel": onchain_cancel_request(
            exchange=exchange,
            wallet=order.wallet,
            chain_id=chain_id,
            order_nonce=int(order.nonce),
            order=order_struct(order, asset),
        ),
    }


@router.post("/batch", response_model=None, responses={200: {"model": batch.OrderBatchResults}})
def place_orders_batch(
    body: batch.OrderBatch,
    request: Request,
    session: SessionDep,
    chain: ChainDep,
    venue: VenueDep,
    investor: CurrentInvestor,
) -> JSONResponse:
    """Place 1-50 signed orders (each the body of POST /v1/orders) together; `results[i]` is
    `{status, order}` or `{status, error}` with the status and error the single endpoint gives
    order i. One bad order never fails the others. An empty or longer batch: 422 `validation.invalid`."""
    request.app.state.order_budget.take(investor.id, len(body.orders))
    results: list[dict[str, Any] | None] = [None] * len(body.orders)
    requests: list[tuple[int, entry.OrderRequest]] = []
    for i, item in enumerate(body.orders):
        try:
            requests.append((i, OrderCreate.model_validate(item).request()))
        except ValidationError as exc:
            results[i] = batch.failed(exc)
    outcomes = place_orders(session, chain, venue, investor, [r for _, r in requests]) if requests else []
    if any(isinstance(o, entry.Placed) for o in outcomes):
        _cancel_if_barred_meanwhile(session, venue, investor)
        reread_resting(session, outcomes)  # what that cancelled is answered cancelled
    assets: dict[str, Asset] = {}
    for (i, _), outcome in zip(requests, outcomes, strict=True):
        if isinstance(outcome, DomainError):
            results[i] = batch.failed(outcome)
            continue
        order = outcome.order
        asset = assets.get(order.symbol) or assets.setdefault(order.symbol, get_asset(session, order.symbol))
        results[i] = {
            "status": 201 if outcome.created else 200,
            "order": order_public(session, asset, order, outcome.fills),
        }
    return JSONResponse({"results": results})


@router.post("/cancel-batch", response_model=None, responses={200: {"model": batch.CancelBatchResults}})
def cancel_orders_batch(
    body: batch.CancelBatch, session: SessionDep, chain: ChainDep, venue: VenueDep, investor: CurrentInvestor
) -> JSONResponse:
    """Cancel 1-50 of the caller's orders, in order, with one commit; `results[i]` is `{status: 200, order}`
    (as DELETE /v1/orders/{id} answers) or `{status, error}` (e.g. 404 `order.not_found`, 409 `order.not_open`)."""

    def result(one: Order | DomainError) -> dict[str, Any]:
        if isinstance(one, DomainError):
            return batch.failed(one)
        return {"status": 200, "order": _cancelled_public(session, chain, one)}

    return JSONResponse({"results": [result(one) for one in cancel_orders(session, venue, investor, body.order_ids)]})
