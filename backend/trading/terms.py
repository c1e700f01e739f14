"""What an order's signature must bound, decided at order entry (docs/security.md).

An investor's EIP-712 signature is the venue's only consent, so everything the operator
could otherwise choose is in the signed order: a real limit price (a market order signs its
collar price), an expiry (every order has one), and a nonce from the wallet's own sequence
(so that `SettlementExchange.cancelUpTo(n)` invalidates exactly the orders below n). The
node signs for a wallet only on a development chain.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.chain.client import Chain
from backend.errors import Conflict, InvalidInput
from backend.matching import OrderType, Side, TimeInForce
from backend.matching.halts import collar_bound
from backend.models.assets import Asset
from backend.models.trading import WalletNonce

# A client clock a little ahead of ours may ask for the longest lifetime and a bit more.
CLOCK_SLACK_SECONDS = 60
# An order must outlive its entry: it leaves the book `order_expiry_margin_seconds` before the
# signed expiry, and should rest at least this long before that.
MIN_LIFETIME_SECONDS = 5
# WalletNonce.next_nonce is a 64-bit column: a sequence never gets near it, a chosen nonce may.
MAX_SEQUENCE_NONCE = 2**62


def require_signed_fields(*, signature: str | None, nonce: int | None, expires_at: int | None) -> None:
    """A signed order names the nonce and expiry it signed: without them the service cannot
    rebuild the typed data, and would answer a misleading bad_signature."""
    if signature is None:
        return
    missing = [name for name, value in (("nonce", nonce), ("expires_at", expires_at)) if value is None]
    if missing:
        raise InvalidInput(
            "validation.invalid",
            f"a signed order needs {' and '.join(missing)}: send back the values of the typed data you signed",
            details=[{"field": name, "problem": "required with a signature"} for name in missing],
        )


def signed_expiry(settings: Any, *, requested: int | None, order_type: OrderType, tif: TimeInForce, now: int) -> int:
    """The order's signed expiry (unix seconds): the one asked for, checked, or the default
    (GTC: the longest lifetime, IOC/FOK/market: the short one)."""
    if requested is None:
        short = order_type is OrderType.MARKET or tif is not TimeInForce.GTC
        return now + (settings.order_short_ttl_seconds if short else settings.order_max_ttl_seconds)
    if requested == 0:
        raise InvalidInput(
            "validation.invalid",
            "expires_at 0 is not 'never': every order expires (omit expires_at for the default)",
            details=[{"field": "expires_at", "problem": "must be a unix time in the future"}],
        )
    latest = now + settings.order_max_ttl_seconds + CLOCK_SLACK_SECONDS
    if requested > latest:
        raise InvalidInput(
            "order.expiry_too_far",
            f"expires_at may be at most {settings.order_max_ttl_seconds} seconds ahead",
            details=[{"field": "expires_at", "latest": latest}],
        )
    if requested <= now + settings.order_expiry_margin_seconds + MIN_LIFETIME_SECONDS:
        raise InvalidInput(
            "order.expired",
            f"expires_at is past or too soon: an order leaves the book "
            f"{settings.order_expiry_margin_seconds} seconds before its signed expiry",
            details=[{"field": "expires_at"}],
        )
    return requested


def engine_expiry_ns(settings: Any, expiry: int) -> int:
    """When the engine takes the order off the book: the margin before the signed expiry, so
    that no trade is matched the chain would refuse as expired."""
    return (expiry - settings.order_expiry_margin_seconds) * 1_000_000_000


def market_limit_ticks(market: Any, asset: Asset, side: Side, collar_bps: int, now_ns: int) -> int:
    """A market order's signed limit: the collar around the market's reference price (else
    the best opposite price), rounded to the tick against the taker (a buy's limit down, a
    sell's up), at least one tick. The engine never fills a market order beyond it."""
    with market.lock:
        engine = market.engine
        base = engine.reference_price(now_ns)
        if base is None:
            base = engine.best_ask() if side is Side.BUY else engine.best_bid()
    if base is None:
        raise Conflict(
            "order.no_market_price",
            f"{asset.symbol} has no reference price and no {'asks' if side is Side.BUY else 'bids'}: "
            "a market order has no limit to sign; place a limit order",
        )
    return max(1, collar_bound(side, base, collar_bps))


def limit_price(asset: Asset, ticks: int) -> Decimal:
    return Decimal(asset.tick_size) * ticks


_NONCES = WalletNonce.__table__  # type: ignore[attr-defined]
_TAKE_NONCE = (
    update(_NONCES)
    .where(_NONCES.c.wallet == bindparam("w"))
    .values(next_nonce=_NONCES.c.next_nonce + 1)
    .returning(_NONCES.c.next_nonce, _NONCES.c.floor)
)
_FLOOR = select(col(WalletNonce.floor)).where(WalletNonce.wallet == bindparam("wallet"))  # built once: every order
_PASS_NONCE = (
    update(_NONCES)
    .where((_NONCES.c.wallet == bindparam("w")) & (_NONCES.c.next_nonce <= bindparam("n", type_=BigInteger)))
    .values(next_nonce=bindparam("n", type_=BigInteger) + 1)
)


def take_nonce(session: Session, chain: Chain, wallet: str) -> int:
    """The wallet's next nonce, handed out once (an atomic UPDATE ... RETURNING; committed).
    The sequence starts at max(1, the wallet's on-chain nonce floor), read once."""
    for _ in range(2):
        row = session.connection().execute(_TAKE_NONCE, {"w": wallet}).first()
        session.commit()  # ends the write transaction before the chain read below
        if row is not None:
            if int(row[1]) > int(row[0]) - 1:  # a floor beyond the sequence (raise_nonce_floor)
                raise _nonce_exhausted()
            return int(row[0]) - 1
        floor = int(chain.call(chain.core("settlement_exchange").functions.nonceFloor(wallet)))
        if floor >= MAX_SEQUENCE_NONCE:
            raise _nonce_exhausted()
        start = max(1, floor)
        session.add(WalletNonce(wallet=wallet, next_nonce=start + 1, floor=str(floor)))
        try:
            session.commit()
            return start
        except IntegrityError:  # another request created the row first: take from it
            session.rollback()
    raise AssertionError("unreachable: the row exists after an IntegrityError")


def _nonce_exhausted() -> Conflict:
    return Conflict(
        "order.nonce_exhausted",
        "this wallet's nonce floor (cancelUpTo) is beyond the venue's nonce sequence: "
        "sign with a nonce of your own at or above the floor and send it with the order",
    )


def raise_nonce_floor(session: Session, wallet: str, floor: int) -> None:
    """The wallet called cancelUpTo(floor) (seen by backend/trading/chain_cancels.py): hand out
    no nonce below it, and accept none, from now on. Committed at once (a short write, never
    held while a market's lock is awaited). A floor beyond the sequence's 64-bit column moves
    only the known floor."""
    if floor <= MAX_SEQUENCE_NONCE:
        session.connection().execute(_PASS_NONCE, {"w": wallet, "n": floor - 1})
    row = session.get(WalletNonce, wallet)
    if row is None:
        session.add(WalletNonce(wallet=wallet, next_nonce=min(max(1, floor), MAX_SEQUENCE_NONCE), floor=str(floor)))
    elif int(row.floor) < floor:
        row.floor = str(floor)
        session.add(row)
    try:
        session.commit()
    except IntegrityError:  # order entry created the row meanwhile, from the chain's floor
        session.rollback()


def check_nonce_floor(session: Session, chain: Chain, wallet: str, nonce: int) -> None:
    """Refuse a client-chosen nonce below the wallet's on-chain floor (cancelUpTo): its trades
    would fail at settlement with code 6. The floor is the one last seen by the watcher, or
    read from the chain once for a wallet the service has not seen yet."""
    known = session.exec(_FLOOR, params={"wallet": wallet}).one_or_none()  # one column: no ORM load
    if known is not None:
        floor = int(known)
    else:  # first sight of this wallet: read its floor once and keep it (and the sequence) from now on
        floor = int(chain.call(chain.core("settlement_exchange").functions.nonceFloor(wallet)))
        session.add(WalletNonce(wallet=wallet, next_nonce=min(max(1, floor), MAX_SEQUENCE_NONCE), floor=str(floor)))
        try:
            session.commit()
        except IntegrityError:  # a concurrent request created it first
            session.rollback()
    if nonce < floor:
        raise Conflict(
            "order.nonce_cancelled",
            f"nonce {nonce} is below this wallet's on-chain nonce floor {floor} (cancelUpTo): "
            "ask POST /v1/orders/typed-data for a new nonce and sign again",
            details=[{"field": "nonce", "floor": str(floor)}],
        )


def pass_nonce(session: Session, wallet: str, nonce: int) -> None:
    """Keep the sequence ahead of a nonce the client chose (in the caller's transaction), so
    that a handed-out nonce never clashes with it."""
    if nonce < MAX_SEQUENCE_NONCE:
        session.connection().execute(_PASS_NONCE, {"w": wallet, "n": nonce})


def node_signing_allowed(chain: Chain) -> bool:
    """The node signs for its unlocked accounts only in development, on a local chain."""
    settings = chain.settings
    return settings.environment == "development" and chain.chain_id in settings.test_chain_ids


def now_seconds() -> int:
    return int(time.time())
