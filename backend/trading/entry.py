"""Order entry: validate an order, check the investor, compliance, signature and funds, then
sequence it (PlaceOrder) in its market; and the investor's and the service's cancels.

The signed EIP-712 order is the investor's consent (DESIGN "What a signature authorizes"):
prepare builds the typed data, place_order accepts only a signature of exactly that order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backend.assets.service import get_asset
from backend.assets.units import price_units
from backend.chain.client import Chain
from backend.compliance.codes import restriction_error
from backend.disclosures.policies import refuse_missing
from backend.errors import Conflict, DomainError, InvalidInput, NotFound
from backend.matching import CancelAll, CancelOrder, OrderType, PlaceOrder, Side, TimeInForce
from backend.models.assets import Asset
from backend.models.compliance import Investor
from backend.models.settlement import TradeRecord
from backend.models.trading import Order
from backend.money import ASSET_DECIMALS, to_units
from backend.statuses import OPEN_STATUSES, InvestorStatus
from backend.trading import funds, reservations, terms
from backend.trading.dispatch import FeedMessage, run_command
from backend.trading.halts import sync_disclosure_halt
from backend.trading.node_signing import node_signature
from backend.trading.pretrade import ComplianceSnapshot, check_order_compliance
from backend.trading.projection import Rows
from backend.trading.sequencer import Market, Venue, now_ns
from backend.trading.signing import canonical_problem, signature_bytes, typed_data, verify_order


@dataclass(frozen=True)
class OrderRequest:
    symbol: str
    side: str
    type: str
    quantity: Decimal
    price: Decimal | None = None
    time_in_force: str = "GTC"
    post_only: bool = False
    client_order_id: str | None = None
    signature: str | None = None
    nonce: int | None = None
    expires_at: int | None = None


@dataclass(frozen=True)
class PreparedOrder:
    asset: Asset
    side: Side
    type: OrderType
    tif: TimeInForce
    price_ticks: int | None
    quantity_lots: int
    signed_price: int
    typed: dict[str, Any]
    limit_ticks: int  # the signed limit: a limit order's price, a market order's collar price
    expires_ts: int  # ns: when the engine takes the order off the book


def prepare(session: Session, chain: Chain, venue: Venue, investor: Investor, req: OrderRequest) -> PreparedOrder:
    """Validate an order request and build the EIP-712 order its wallet must sign: a real
    limit price, an expiry and a nonce from the wallet's sequence (backend/trading/terms.py).
    Hands out (and commits) the wallet's next nonce when the request has none."""
    terms.require_signed_fields(signature=req.signature, nonce=req.nonce, expires_at=req.expires_at)
    asset = get_asset(session, req.symbol)
    side, order_type, tif = (
        _enum(Side, req.side, "side"),
        _enum(OrderType, req.type, "type"),
        _enum(TimeInForce, req.time_in_force, "time_in_force"),
    )
    lots = _whole(
        req.quantity / Decimal(asset.lot_size),
        "order.invalid_lot",
        f"quantity must be a multiple of the lot size {asset.lot_size}",
        "quantity",
    )
    if order_type is OrderType.LIMIT and req.price is None:
        raise InvalidInput("validation.invalid", "a limit order needs a price", details=[{"field": "price"}])
    if order_type is OrderType.MARKET and req.post_only:
        raise InvalidInput("validation.invalid", "a market order cannot be post-only", details=[{"field": "post_only"}])
    settings = chain.settings
    expiry = terms.signed_expiry(
        settings, requested=req.expires_at, order_type=order_type, tif=tif, now=terms.now_seconds()
    )
    if req.price is not None:  # a limit order's price; a market order's signed limit (typed-data's limit_price)
        limit_ticks = _whole(
            req.price / Decimal(asset.tick_size),
            "order.invalid_tick",
            f"price must be a multiple of the tick size {asset.tick_size}",
            "price",
        )
    else:  # a market order: its collar price now
        market = venue.market(session, asset.symbol)
        limit_ticks = terms.market_limit_ticks(market, asset, side, settings.market_collar_bps, now_ns())
    price_ticks = limit_ticks if order_type is OrderType.LIMIT else None
    signed_price = price_units(asset, limit_ticks)
    if req.nonce is not None:
        terms.check_nonce_floor(session, chain, investor.wallet, req.nonce)
        nonce = req.nonce
    else:
        nonce = terms.take_nonce(session, chain, investor.wallet)
    typed = typed_data(
        chain_id=chain.chain_id,
        exchange=chain.deployment.contracts["settlement_exchange"],
        trader=investor.wallet,
        asset=asset.token_address,
        is_buy=side is Side.BUY,
        price=signed_price,
        quantity=to_units(req.quantity, ASSET_DECIMALS),
        nonce=nonce,
        expiry=expiry,
    )
    return PreparedOrder(
        asset,
        side,
        order_type,
        tif,
        price_ticks,
        lots,
        signed_price,
        typed,
        limit_ticks,
        terms.engine_expiry_ns(settings, expiry),
    )


class Placed(NamedTuple):
    """An order placed (created) or found again by its client_order_id (not created, fills None)."""

    order: Order
    created: bool
    fills: list[TradeRecord] | None


@dataclass(frozen=True)
class Checked:
    """An order request that passed what needs no lock: its terms, its market's disclosures,
    the investor's standing and the signature (the chain's spelling of it, and its digest)."""

    req: OrderRequest
    prep: PreparedOrder
    signature: str
    digest: bytes


def place_order(session: Session, chain: Chain, venue: Venue, investor: Investor, req: OrderRequest) -> Placed:
    """Returns (order, created, fills). A repeated client_order_id returns the original order
    (fills None: look them up). A new order's fills are the trades its placement made: every
    trade of a PlaceOrder command has the order being placed as its taker."""
    if req.client_order_id:
        existing = _by_client_id(session, investor, req.client_order_id)
        if existing is not None:
            return Placed(existing, False, None)
    checked = check_order(session, chain, venue, investor, req)
    prep = checked.prep
    # Flow 3: the asset's compliance rules, answered from the mirror (trading/pretrade.py).
    compliance = ComplianceSnapshot()  # its mirror view serves the funds check's lock-up too
    check_order_compliance(
        session,
        investor=investor,
        asset=prep.asset,
        side=prep.side,
        quantity_units=reservations.lots_units(prep.asset, prep.quantity_lots),
        snapshot=compliance,
    )
    market = venue.market(session, prep.asset.symbol)
    # Funds are checked and reserved under the investor's lock (its orders on every
    # market share one cash balance), then sequenced under the market's lock. The funds
    # check (chain reads) stays outside the market's lock, so one investor's RPC round
    # trips do not stall everyone else's orders in that market.
    with venue.investor_lock(investor.id):  # type: ignore[arg-type]
        # One query for both: a concurrent retry of this client_order_id may have won while we
        # waited (answer with its order); else a signature is good for one order: a replay (same
        # wallet and nonce) would rest a second copy that the exchange contract can never settle.
        clashes = session.exec(
            _CLASHES_OR_CLIENT_ID if req.client_order_id else _CLASHES,
            params={
                "wallet": investor.wallet,
                "nonce": str(prep.typed["message"]["nonce"]),
                "investor_id": investor.id,
                "client_order_id": req.client_order_id,
            },
        ).all()
        for existing in clashes:
            if (
                req.client_order_id
                and existing.investor_id == investor.id
                and existing.client_order_id == req.client_order_id
            ):
                return Placed(existing, False, None)
        if clashes:
            raise duplicate_nonce()
        funds.check_funds(
            session,
            chain,
            venue.balances,
            investor=investor,
            asset=prep.asset,
            side=prep.side,
            limit_ticks=prep.limit_ticks,
            lots=prep.quantity_lots,
            compliance=compliance,
        )
        order = new_order(investor, checked)
        session.add(order)
        try:
            with market.lock:  # writes only under the market's lock, as run_command's
                rejection, fills = sequence(session, venue, market, investor, checked, order)
        except IntegrityError:  # another process took this client_order_id first
            existing = _by_client_id(session, investor, req.client_order_id or "")
            if existing is None:
                raise
            return Placed(existing, False, None)
    if rejection is not None:
        raise rejection
    return Placed(order, True, fills)  # current: apply_events updated this very object before the commit


def check_order(
    session: Session,
    chain: Chain,
    venue: Venue,
    investor: Investor,
    req: OrderRequest,
    missing: dict[str, list[str]] | None = None,
) -> Checked:
    """What order entry checks before any lock: terms (prepare), the signature, the market's
    disclosures (flow 2) and the investor's standing. Compliance and funds come after.
    `missing`: a batch's disclosures by symbol, looked up once for all its orders."""
    prep = prepare(session, chain, venue, investor, req)
    if req.signature is None and not terms.node_signing_allowed(chain):
        raise InvalidInput(
            "order.signature_required",
            "sign the typed data from POST /v1/orders/typed-data with the order's wallet and send the signature",
            details=[{"field": "signature"}],
        )
    # Flow 2: a market whose required disclosures are missing or stale does not trade.
    # Checked before the engine sees the order; cancels stay allowed (see cancel_order).
    symbol, missing = prep.asset.symbol, {} if missing is None else missing
    if symbol not in missing:
        missing[symbol] = sync_disclosure_halt(
            session, venue, prep.asset, enforced=chain.settings.disclosure_policy_enforced
        )
    refuse_missing(prep.asset, missing[symbol])
    _check_investor(investor)
    signature = req.signature if req.signature is not None else node_signature(chain, investor, prep.typed)
    valid, digest = verify_order(prep.typed, signature)
    if not valid or digest is None:
        raw = signature_bytes(signature)
        problem = "it is not hex" if raw is None else canonical_problem(raw)
        raise InvalidInput(
            "order.bad_signature",
            f"the signature is not one the exchange contract accepts: {problem}"
            if problem
            else "the signature does not belong to this order and wallet",
        )
    # one spelling: the bytes the chain checks
    return Checked(req, prep, "0x" + (signature_bytes(signature) or b"").hex(), digest)


def duplicate_nonce() -> Conflict:
    return Conflict(
        "order.duplicate_nonce",
        "this signed order was already placed: ask POST /v1/orders/typed-data for a new nonce and sign again",
    )


def new_order(investor: Investor, checked: Checked) -> Order:
    """The order row of a checked request (not yet added to a session)."""
    return Order(**new_order_columns(investor, checked))


def new_order_columns(investor: Investor, checked: Checked, order_id: str | None = None) -> dict[str, Any]:
    """What a checked request sets of its order row (the rest takes Order's defaults); its id
    `order_id` or a new uuid4."""
    prep, req = checked.prep, checked.req
    return {
        "id": order_id or uuid.uuid4().hex,
        "client_order_id": req.client_order_id,
        "investor_id": investor.id,
        "wallet": investor.wallet,
        "symbol": prep.asset.symbol,
        "side": prep.side.value,
        "type": prep.type.value,
        "time_in_force": prep.tif.value,
        "post_only": req.post_only,
        "price_ticks": prep.price_ticks,
        "quantity_lots": prep.quantity_lots,
        "signed_price": str(prep.signed_price),
        "nonce": str(prep.typed["message"]["nonce"]),
        "expiry": prep.typed["message"]["expiry"],
        "signature": checked.signature,
        "order_hash": "0x" + checked.digest.hex(),
    }


def sequence(
    session: Session,
    venue: Venue,
    market: Market,
    investor: Investor,
    checked: Checked,
    order: Order,
    *,
    commit: bool = True,
    outbox: list[FeedMessage] | None = None,
    pending: dict[str, Order] | None = None,
    rows: Rows | None = None,
    nonces: list[int] | None = None,
) -> tuple[DomainError | None, list[TradeRecord]]:
    """PlaceOrder of `order` (in the session) through its market's sequencer; the caller holds
    the market's lock. Returns the engine's rejection (None: accepted) and the trades it made.
    With commit False the caller commits (and publishes `outbox` after its commit); `pending`
    are the caller's other orders in the session, not yet flushed, that the events may name;
    with `nonces` the caller keeps the wallet's sequence ahead of the nonce (once for a batch)."""
    prep, req = checked.prep, checked.req
    if req.nonce is not None and nonces is not None:
        nonces.append(req.nonce)
    elif req.nonce is not None:
        terms.pass_nonce(session, investor.wallet, req.nonce)
    command = PlaceOrder(
        order_id=order.id,
        owner=str(investor.id),
        side=prep.side,
        type=prep.type,
        price=prep.limit_ticks,  # a market order's: the protection limit it signed
        quantity=prep.quantity_lots,
        tif=prep.tif,
        post_only=req.post_only,
        ts=now_ns(),
        expires_ts=prep.expires_ts,
    )
    fills: list[TradeRecord] = []
    rejection = run_command(
        session,
        venue,
        market,
        prep.asset,
        command,
        known={**(pending or {}), order.id: order},
        trades_out=fills,
        commit=commit,
        outbox=outbox,
        rows=rows,
    )
    return rejection, fills


def cancel_order(session: Session, venue: Venue, investor: Investor, order_id: str, *, reason: str = "user") -> Order:
    """Cancel one open order of `investor` through its market's sequencer (off chain: the
    signature stays valid until the wallet invalidates it, see onchain_cancel)."""
    order = get_own_order(session, investor, order_id)
    if order.status not in OPEN_STATUSES:
        raise Conflict("order.not_open", f"order {order_id} is {order.status}")
    asset = get_asset(session, order.symbol)
    market = venue.market(session, order.symbol)
    with market.lock:
        rejection = run_command(
            session,
            venue,
            market,
            asset,
            CancelOrder(order_id=order.id, owner=str(investor.id), ts=now_ns()),
            cancel_reason=reason,
        )
    if rejection is not None:
        raise rejection
    session.refresh(order)
    return order


def cancel_orders(session: Session, venue: Venue, *, symbol: str, order_ids: list[str], reason: str) -> int:
    """Cancel the named orders of one market that are still resting (others are skipped: an
    order already gone is a no-op), each a journaled CancelOrder, all in one transaction;
    returns how many were cancelled. For the service's own cancels (e.g. the chain said so)."""
    asset = get_asset(session, symbol)
    market = venue.market(session, symbol)
    cancelled = 0
    with market.lock:
        if market.stale:
            venue.rebuild(session, market)
        for order_id in order_ids:
            resting = market.engine.order(order_id)
            if resting is None:  # filled, cancelled or expired already: nothing to do
                continue
            command = CancelOrder(order_id=order_id, owner=resting.owner, ts=now_ns())
            cancelled += run_command(session, venue, market, asset, command, cancel_reason=reason) is None
    return cancelled


def cancel_all_orders(
    session: Session, venue: Venue, *, investor_id: int, symbol: str, reason: str | None = None
) -> int:
    """CancelAll of one investor's orders in one market, through its sequencer (the dead-man's
    switch; revocation, freeze, KYC expiry with their `reason`); returns how many were cancelled."""
    asset = get_asset(session, symbol)
    market = venue.market(session, symbol)
    with market.lock:
        count = len(market.engine.open_orders(str(investor_id)))
        run_command(session, venue, market, asset, CancelAll(owner=str(investor_id), ts=now_ns()), cancel_reason=reason)
    return count


def get_own_order(session: Session, investor: Investor, order_id: str) -> Order:
    # no id holds a NUL (and PostgreSQL cannot compare one)
    order = None if "\x00" in order_id else session.get(Order, order_id)
    if order is None or order.investor_id != investor.id:
        raise NotFound("order.not_found", f"no order {order_id}")
    return order


def _check_investor(investor: Investor) -> None:
    if investor.status != InvestorStatus.APPROVED:
        raise restriction_error(1)
    if investor.kyc_expires < date.today():
        raise restriction_error(3)
    if investor.frozen:
        raise restriction_error(9)


# expressions costs more CPU than SQLite takes to run it).
_SAME_CLIENT_ID = (Order.investor_id == bindparam("investor_id")) & (
    Order.client_order_id == bindparam("client_order_id")
)
_SAME_NONCE = (Order.wallet == bindparam("wallet")) & (Order.nonce == bindparam("nonce"))
_BY_CLIENT_ID = select(Order).where(_SAME_CLIENT_ID)
_CLASHES = select(Order).where(_SAME_NONCE)
_CLASHES_OR_CLIENT_ID = select(Order).where(_SAME_NONCE | _SAME_CLIENT_ID)


def _by_client_id(session: Session, investor: Investor, client_order_id: str) -> Order | None:
    return session.exec(_BY_CLIENT_ID, params={"investor_id": investor.id, "client_order_id": client_order_id}).first()


E = TypeVar("E", bound=Enum)


def _enum(enum: type[E], value: str, field: str) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise InvalidInput(
            "validation.invalid", f"{field} must be one of {allowed}", details=[{"field": field}]
        ) from None


MAX_STEPS = 2**63 - 1  # ticks and lots are stored in 64-bit integer columns (orders, journal, trades)


def _whole(ratio: Decimal, code: str, message: str, field: str) -> int:
    if ratio != ratio.to_integral_value() or ratio <= 0:
        raise InvalidInput(code, message, details=[{"field": field}])
    if ratio > MAX_STEPS:
        raise InvalidInput(
            "validation.invalid", f"{field} is too large: at most {MAX_STEPS} ticks or lots", details=[{"field": field}]
        )
    return int(ratio)
