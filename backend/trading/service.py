"""Order entry: validate, check compliance and funds, verify the signature, sequence."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from eth_utils import keccak
from sqlalchemy import BigInteger, bindparam, case, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, select
from web3.types import RPCEndpoint

from backend.assets.service import get_asset
from backend.assets.units import price_units
from backend.chain.client import Chain
from backend.clock import utc_today, utcnow
from backend.compliance.codes import restriction_error
from backend.disclosures.policies import missing_disclosures, refuse_missing
from backend.errors import Conflict, DomainError, InvalidInput, NotFound
from backend.matching import (
    AuctionStarted,
    AuctionUncrossed,
    CancelAll,
    CancelOrder,
    Halt,
    MarketHalted,
    MarketResumed,
    OrderCancelled,
    OrderDone,
    OrderRejected,
    OrderRested,
    OrderType,
    PlaceOrder,
    Resume,
    Side,
    TimeInForce,
    Trade,
)
from backend.models.assets import Asset
from backend.models.compliance import Investor
from backend.models.settlement import TradeRecord
from backend.models.trading import Order
from backend.money import ASSET_DECIMALS, fmt, to_units
from backend.statuses import OPEN_STATUSES, InvestorStatus, OrderStatus
from backend.trading import funds, reservations, terms
from backend.trading.feed import level_changes
from backend.trading.markets import auction_public, trade_public
from backend.trading.pretrade import check_order_compliance
from backend.trading.sequencer import Venue, now_ns
from backend.trading.signing import canonical_problem, signature_bytes, typed_data, verify_order

log = logging.getLogger(__name__)

REJECT_CODES: dict[str, tuple[str, type[DomainError]]] = {
    "INVALID_ORDER": ("validation.invalid", InvalidInput),
    "FOK_UNFILLED": ("order.fok_unfilled", Conflict),
    "WOULD_CROSS": ("order.would_cross", Conflict),
    "MARKET_HALTED": ("market.halted", Conflict),
    "DUPLICATE_ORDER_ID": ("order.duplicate_client_id", Conflict),
    "INVALID_QUANTITY": ("order.invalid_lot", InvalidInput),
    "INVALID_PRICE": ("order.invalid_tick", InvalidInput),
    "ORDER_NOT_FOUND": ("order.not_found", NotFound),
    "EXPIRED": ("order.expired", InvalidInput),  # its expiry (less the margin) passed before it was sequenced
}


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


def place_order(
    session: Session, chain: Chain, venue: Venue, investor: Investor, req: OrderRequest
) -> tuple[Order, bool, list[TradeRecord] | None]:
    """Returns (order, created, fills). A repeated client_order_id returns the original order
    (fills None: look them up). A new order's fills are the trades its placement made: every
    trade of a PlaceOrder command has the order being placed as its taker."""
    if req.client_order_id:
        existing = _by_client_id(session, investor, req.client_order_id)
        if existing is not None:
            return existing, False, None
    prep = prepare(session, chain, venue, investor, req)
    if req.signature is None and not terms.node_signing_allowed(chain):
        raise InvalidInput(
            "order.signature_required",
            "sign the typed data from POST /v1/orders/typed-data with the order's wallet and send the signature",
            details=[{"field": "signature"}],
        )
    # Flow 2: a market whose required disclosures are missing or stale does not trade.
    # Checked before the engine sees the order; cancels stay allowed (see cancel_order).
    refuse_missing(
        prep.asset, sync_disclosure_halt(session, venue, prep.asset, enforced=chain.settings.disclosure_policy_enforced)
    )
    _check_investor(investor)
    # Flow 3: the asset's compliance rules, answered from the mirror (trading/pretrade.py).
    check_order_compliance(
        session,
        investor=investor,
        asset=prep.asset,
        side=prep.side,
        quantity_units=reservations.lots_units(prep.asset, prep.quantity_lots),
    )
    signature = req.signature if req.signature is not None else _node_signature(chain, investor, prep.typed)
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
    signature = "0x" + (signature_bytes(signature) or b"").hex()  # one spelling: the bytes the chain checks
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
                return existing, False, None
        if clashes:
            raise Conflict(
                "order.duplicate_nonce",
                "this signed order was already placed: ask POST /v1/orders/typed-data for a new nonce and sign again",
            )
        funds.check_funds(
            session,
            chain,
            investor=investor,
            asset=prep.asset,
            side=prep.side,
            price_ticks=prep.price_ticks,
            lots=prep.quantity_lots,
            market=market,
        )
        order = Order(
            id=uuid.uuid4().hex,
            client_order_id=req.client_order_id,
            investor_id=investor.id,  # type: ignore[arg-type]
            wallet=investor.wallet,
            symbol=prep.asset.symbol,
            side=prep.side.value,
            type=prep.type.value,
            time_in_force=prep.tif.value,
            post_only=req.post_only,
            price_ticks=prep.price_ticks,
            quantity_lots=prep.quantity_lots,
            signed_price=str(prep.signed_price),
            nonce=str(prep.typed["message"]["nonce"]),
            expiry=prep.typed["message"]["expiry"],
            signature=signature,
            order_hash="0x" + digest.hex(),
        )
        session.add(order)
        fills: list[TradeRecord] = []
        try:
            with market.lock:  # writes only under the market's lock, as _run's
                if req.nonce is not None:
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
                rejection = _run(session, venue, market, prep.asset, command, known={order.id: order}, trades_out=fills)
        except IntegrityError:  # another process took this client_order_id first
            existing = _by_client_id(session, investor, req.client_order_id or "")
            if existing is None:
                raise
            return existing, False, None
    if rejection is not None:
        raise rejection
    return order, True, fills  # current: apply_events updated this very object before the commit


def cancel_order(session: Session, venue: Venue, investor: Investor, order_id: str, *, reason: str = "user") -> Order:
    """Cancel one open order of `investor` through its market's sequencer (off chain: the
    signature stays valid until the wallet invalidates it, see onchain_cancel)."""
    order = get_own_order(session, investor, order_id)
    if order.status not in OPEN_STATUSES:
        raise Conflict("order.not_open", f"order {order_id} is {order.status}")
    asset = get_asset(session, order.symbol)
    market = venue.market(session, order.symbol)
    with market.lock:
        rejection = _run(
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
            cancelled += _run(session, venue, market, asset, command, cancel_reason=reason) is None
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
        _run(session, venue, market, asset, CancelAll(owner=str(investor_id), ts=now_ns()), cancel_reason=reason)
    return count


def get_own_order(session: Session, investor: Investor, order_id: str) -> Order:
    order = session.get(Order, order_id)
    if order is None or order.investor_id != investor.id:
        raise NotFound("order.not_found", f"no order {order_id}")
    return order


def _run(
    session: Session,
    venue: Venue,
    market: Any,
    asset: Asset,
    command: Any,
    known: dict[str, Order] | None = None,
    trades_out: list[TradeRecord] | None = None,
    cancel_reason: str | None = None,
) -> DomainError | None:
    """Journal + apply + record effects in one transaction. Returns the engine's rejection, if any.
    The caller holds the market's lock; `known` are orders of this session the events may name
    (the one being placed: not yet flushed, a lookup would flush and read it back); the trades
    recorded are appended to `trades_out` once committed; `cancel_reason` is recorded on the
    orders a CancelOrder/CancelAll cancels (who asked: "user", "onchain", "revoked", ...)."""
    if market.stale:
        venue.rebuild(session, market)
    before = market.engine.depth(None)
    try:
        events = market.submit(session, command)
        rejection, trades = apply_events(session, asset, events, known, cancel_reason=cancel_reason)
        session.commit()
    except Exception:
        session.rollback()
        market.stale = True  # the engine ran ahead of the database: rebuild it from the journal
        try:
            venue.rebuild(session, market)
        except Exception:  # noqa: BLE001 - e.g. the database is still unreachable: the next command rebuilds
            log.warning("market %s stays stale until its next command", asset.symbol)
        raise
    # Still under the market lock: increments reach subscribers in sequence order.
    if trades_out is not None:
        trades_out.extend(trades)
    publish(venue, market, asset, before, events, trades)
    return rejection


def publish(venue: Venue, market: Any, asset: Asset, before: Any, events: list[Any], trades: list[TradeRecord]) -> None:
    sequence = market.next_seq - 1
    changes = level_changes(before, market.engine.depth(None))
    tick, lot = Decimal(asset.tick_size), Decimal(asset.lot_size)
    if changes["bids"] or changes["asks"]:
        venue.feed.publish(
            asset.symbol,
            {
                "type": "book",
                "symbol": asset.symbol,
                "sequence": sequence,
                **{side: [[fmt(tick * p), fmt(lot * q)] for p, q in levels] for side, levels in changes.items()},
            },
        )
    for trade in trades:
        venue.feed.publish(
            asset.symbol,
            {"type": "trade", "symbol": asset.symbol, "sequence": sequence, "trade": trade_public(asset, trade)},
        )
    if market.engine.phase == "auction" or market.auction_seen is not None:
        # An `auction` message whenever the call's figures change (start, orders, extension, uncross).
        state = market.engine.auction_state()
        seen = None if state.phase == "none" else state
        if state != market.auction_seen:
            venue.feed.publish(
                asset.symbol,
                {"type": "auction", "symbol": asset.symbol, "sequence": sequence, **auction_public(asset, state)},
            )
        market.auction_seen = seen
    if any(isinstance(e, MarketHalted | MarketResumed | AuctionStarted | AuctionUncrossed) for e in events):
        venue.feed.publish(
            asset.symbol,
            {
                "type": "status",
                "symbol": asset.symbol,
                "sequence": sequence,
                "halted": market.engine.halted is not None,
            },
        )


def apply_events(
    session: Session,
    asset: Asset,
    events: list[Any],
    known: dict[str, Order] | None = None,
    *,
    cancel_reason: str | None = None,
) -> tuple[DomainError | None, list[TradeRecord]]:
    """Record the engine's events; returns its rejection (if any) and the new trades.

    Orders in hand (`known`, or already in the session) are updated as objects. A resting
    order the events name but nobody loaded (a maker, an order a CancelAll cancels) is not
    read back: one UPDATE applies its fills and final status in SQL (everything a trade
    record needs of a maker is in the Trade event). Nothing flushes while the events are
    applied: the order being placed is inserted once, with its final state, before the trade
    rows that name it.

    A cancelled order records why (`cancel_reason`): the engine's reason, except that the
    cancels of a CancelOrder/CancelAll take the service's `cancel_reason` when one is given;
    an order the engine expired gets the status "expired"."""
    rejection: DomainError | None = None
    orders: dict[str, Order] = dict(known or {})
    resting: dict[str, _RestingChange] = {}
    trades: list[TradeRecord] = []
    order_hashes: dict[str, str | None] = {}  # of the orders the trades name: filled at the first Trade

    def in_hand(order_id: str) -> Order | None:
        if order_id not in orders:
            found = session.identity_map.get(identity_key(Order, order_id))
            if found is None:
                return None
            orders[order_id] = found
        return orders[order_id]

    def set_status(order_id: str, status: str, reason: str | None = None) -> None:
        order = in_hand(order_id)
        if order is not None:
            order.status = status
            if reason is not None:
                order.cancel_reason = reason
        else:
            change = resting.setdefault(order_id, _RestingChange())
            change.status, change.cancel_reason = status, reason

    with session.no_autoflush:
        for event in events:
            if isinstance(event, Trade):
                owners = {event.taker_order_id: int(event.taker_owner), event.maker_order_id: int(event.maker_owner)}
                for order_id in (event.maker_order_id, event.taker_order_id):
                    order = in_hand(order_id)
                    if order is not None:
                        order.filled_lots += event.quantity
                        order.status = (
                            OrderStatus.FILLED
                            if order.filled_lots == order.quantity_lots
                            else OrderStatus.PARTIALLY_FILLED
                        )
                    else:
                        change = resting.setdefault(order_id, _RestingChange())
                        change.filled_lots += event.quantity
                        change.status = None  # derived from the fill, in SQL
                buy_id, sell_id = (
                    (event.taker_order_id, event.maker_order_id)
                    if event.taker_side is Side.BUY
                    else (event.maker_order_id, event.taker_order_id)
                )
                if not order_hashes:
                    order_hashes.update(_order_hashes(session, events, in_hand))
                buy_hash, sell_hash = order_hashes.get(buy_id), order_hashes.get(sell_id)
                # "" when an order was placed before hashes were kept: the settlement worker derives it
                trade_id = chain_trade_id(buy_hash, sell_hash, event.trade_seq) if buy_hash and sell_hash else ""
                record = TradeRecord(
                    id=f"{asset.symbol}-{event.trade_seq}",
                    symbol=asset.symbol,
                    trade_seq=event.trade_seq,
                    chain_trade_id=trade_id,
                    buy_order_id=buy_id,
                    sell_order_id=sell_id,
                    buyer_investor_id=owners[buy_id],
                    seller_investor_id=owners[sell_id],
                    taker_side=event.taker_side.value,
                    price_ticks=event.price,
                    quantity_lots=event.quantity,
                )
                trades.append(record)
            elif isinstance(event, OrderCancelled):
                reason = str(event.reason)
                if cancel_reason is not None and reason in _COMMAND_CANCELS:
                    reason = cancel_reason
                set_status(
                    event.order_id, OrderStatus.EXPIRED if reason == EXPIRED else OrderStatus.CANCELLED, reason[:24]
                )
            elif isinstance(event, OrderDone):
                set_status(event.order_id, OrderStatus.FILLED)
            elif isinstance(event, OrderRested):
                order = in_hand(event.order_id)
                assert order is not None, f"rested order {event.order_id} not in hand"
                order.status = OrderStatus.PARTIALLY_FILLED if order.filled_lots else OrderStatus.OPEN
            elif isinstance(event, OrderRejected):
                code, kind = REJECT_CODES.get(event.code.name, ("order.rejected", Conflict))
                # Only the order being placed is rejected: a refused cancel (e.g. of an order
                # the same command just expired) leaves the order it names as it is.
                rejected = (known or {}).get(event.order_id)
                if rejected is not None:
                    rejected.status, rejected.reject_code = OrderStatus.REJECTED, code
                    orders[rejected.id] = rejected
                rejection = kind(code, event.message)
        now = utcnow()
        for order in orders.values():
            order.updated_at = now
            session.add(order)
        for order_id, change in resting.items():
            _update_resting(session, order_id, change, now)
    if trades:
        # The trade rows name their orders (foreign keys): the order being placed goes first.
        session.flush()
        session.add_all(trades)
    return rejection, trades


@dataclass
class _RestingChange:
    filled_lots: int = 0
    status: str | None = None  # None: filled or partially_filled, from the row's fill
    cancel_reason: str | None = None


# The engine's reasons for cancels a command asked for by name (CancelOrder, CancelAll): the
# service's own reason, when it gives one, says who asked. EXPIRED: the engine's reason for
# an order whose signed expiry (less the margin) has passed; its status becomes "expired".
_COMMAND_CANCELS = frozenset({"user", "cancel_all"})
EXPIRED = "expired"


_ORDERS = Order.__table__  # type: ignore[attr-defined]


_FILLED = _ORDERS.c.filled_lots + bindparam("added", type_=BigInteger)
_UPDATE_RESTING = {  # built once; by whether the status is given or follows from the fill
    False: update(_ORDERS)
    .where(_ORDERS.c.id == bindparam("order_id"))
    .values(
        filled_lots=_FILLED,
        status=bindparam("new_status"),
        cancel_reason=bindparam("reason"),
        updated_at=bindparam("now"),
    ),
    True: update(_ORDERS)
    .where(_ORDERS.c.id == bindparam("order_id"))
    .values(
        filled_lots=_FILLED,
        status=case(
            (_FILLED == _ORDERS.c.quantity_lots, OrderStatus.FILLED.value), else_=OrderStatus.PARTIALLY_FILLED.value
        ),
        updated_at=bindparam("now"),
    ),
}


def _update_resting(session: Session, order_id: str, change: _RestingChange, now: Any) -> None:
    """One UPDATE of an order the session never loaded (no read-back)."""
    result = session.connection().execute(
        _UPDATE_RESTING[change.status is None],
        {
            "order_id": order_id,
            "added": change.filled_lots,
            "new_status": change.status,
            "reason": change.cancel_reason,
            "now": now,
        },
    )
    assert result.rowcount == 1, f"engine event for unknown order {order_id}"


def chain_trade_id(buy_hash: str, sell_hash: str, trade_seq: int) -> str:
    """The on-chain trade id, SettlementExchange.tradeIdOf: keccak256(abi.encode(buyHash, sellHash,
    tradeSeq)) of the orders' EIP-712 digests (0x hex), so a reused sequence number with other
    orders is another id. Encoded by hand (eth-abi's encoder costs more than the rest of recording
    a trade); tests/backend/test_trade_id.py checks it against eth-abi and the contract."""
    if not 0 <= trade_seq < 2**256:
        raise ValueError("trade_seq out of uint256 range")
    buy, sell = bytes.fromhex(buy_hash.removeprefix("0x")), bytes.fromhex(sell_hash.removeprefix("0x"))
    if len(buy) != 32 or len(sell) != 32:
        raise ValueError("order hashes are 32 bytes")
    return "0x" + keccak(buy + sell + trade_seq.to_bytes(32, "big")).hex()


def _order_hashes(session: Session, events: list[Any], in_hand: Any) -> dict[str, str | None]:
    """order id -> order_hash of every order the command's trades name: from the orders in hand
    (the taker), the others (makers) with one SELECT of their ids and hashes."""
    hashes: dict[str, str | None] = {}
    wanted: set[str] = set()
    for event in events:
        if isinstance(event, Trade):
            for order_id in (event.taker_order_id, event.maker_order_id):
                order = in_hand(order_id)
                if order is not None:
                    hashes[order_id] = order.order_hash
                else:
                    wanted.add(order_id)
    if wanted:
        rows = session.connection().execute(
            select(_ORDERS.c.id, _ORDERS.c.order_hash).where(_ORDERS.c.id.in_(sorted(wanted)))
        )
        hashes.update({order_id: order_hash for order_id, order_hash in rows})
    return hashes


def _check_investor(investor: Investor) -> None:
    if investor.status != InvestorStatus.APPROVED:
        raise restriction_error(1)
    if investor.kyc_expires < date.today():
        raise restriction_error(3)
    if investor.frozen:
        raise restriction_error(9)


def _node_signature(chain: Chain, investor: Investor, typed: dict[str, Any]) -> str:
    """Local demos: unlocked node accounts can sign through the node itself (only in
    development on a local chain: see terms.node_signing_allowed)."""
    # uint256 values as decimal strings: ganache parses JSON numbers as doubles and
    # fails above 2**53, which every 18-decimal quantity exceeds.
    message = {k: str(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in typed["message"].items()}
    try:
        response = chain.w3.provider.make_request(
            RPCEndpoint("eth_signTypedData_v4"), [investor.wallet, {**typed, "message": message}]
        )
    except Exception:  # noqa: BLE001 - the node could not sign: the client must
        response = {}
    result = response.get("result") if isinstance(response, dict) else None
    if not result:
        raise InvalidInput(
            "order.signature_required",
            "the node holds no key for this wallet: sign the typed data from POST /v1/orders/typed-data "
            "with the order's wallet",
            details=[{"field": "signature"}],
        )
    return str(result)


# Order entry's statements, built once with bind parameters (building a statement's
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


def _enum(enum: Any, value: str, field: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise InvalidInput(
            "validation.invalid", f"{field} must be one of {allowed}", details=[{"field": field}]
        ) from None


def _whole(ratio: Decimal, code: str, message: str, field: str) -> int:
    if ratio != ratio.to_integral_value() or ratio <= 0:
        raise InvalidInput(code, message, details=[{"field": field}])
    return int(ratio)


DISCLOSURE_HALT = "disclosure"


def sync_disclosure_halt(session: Session, venue: Venue, asset: Asset, *, enforced: bool) -> list[str]:
    """The market's missing or stale required disclosures (none when not enforced). With
    calls on, a market already open (its journal started) is also halted in its engine while
    any are missing (`Halt("disclosure")`, journaled, seen by replay), and once they are filed
    and current again a `Resume` starts the reopening call: a market coming back from a
    disclosure halt reopens through a call, like any other halt. Run before each order and
    after each filing. A new market opens through its opening call anyway (sequencer.py)."""
    if not enforced:
        return []
    missing = missing_disclosures(session, asset, utc_today())
    market = venue.market(session, asset.symbol)
    if market.engine.config.auction_ns > 0:
        with market.lock:
            halt = market.engine.halted
            if missing and halt is None and market.next_seq > 1:
                _run(session, venue, market, asset, Halt(reason=DISCLOSURE_HALT, ts=now_ns()))
            elif not missing and halt is not None and halt[0] == DISCLOSURE_HALT:
                _run(session, venue, market, asset, Resume(ts=now_ns()))
    return missing


def halt_market(session: Session, venue: Venue, asset: Asset) -> None:
    """The operator's kill switch: no matching until resumed; cancels still work."""
    market = venue.market(session, asset.symbol)
    with market.lock:
        _run(session, venue, market, asset, Halt(reason="operator", ts=now_ns()))


def resume_market(session: Session, venue: Venue, asset: Asset) -> None:
    market = venue.market(session, asset.symbol)
    with market.lock:
        _run(session, venue, market, asset, Resume(ts=now_ns()))
