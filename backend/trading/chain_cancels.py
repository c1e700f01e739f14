"""Cancels the chain obeys: the investor's on-chain cancellations take their orders off the book.

An investor can invalidate signed orders on SettlementExchange at any time, without asking
the venue: one by one (`cancelOrder(order)`, event `OrderCancelled(orderHash, trader)`) or
every order below a nonce (`cancelUpTo(nonce)`, event `NonceFloorRaised(trader, nonce)`).
Such an order can never settle, so it must stop matching. The watcher polls the exchange's
logs from the block after its cursor (ChainCursor "settlement_exchange") to the head every
`chain_watch_interval_ms`, cancels the affected resting orders through their market's
sequencer with `cancel_reason: "onchain"`, then advances the cursor. A restart catches up
from the cursor; cancelling an order that is no longer resting is a no-op, so a range seen
twice (a crash between the cancels and the cursor) changes nothing. An unreachable node is
logged and retried on the next tick.

The same thread runs the right-to-trade sweep (backend/trading/revocations.py) at start and
every RIGHTS_INTERVAL_SECONDS: KYC that ran out, freezes mirrored from the chain (a freeze made
on chain outside the service must take the wallet's orders off the book within seconds, or they
keep matching and every trade fails at settlement; tests/integration/test_attacks_orders.py).

It also follows the IdentityRegistry (ChainCursor "identity_registry"): a wallet removed
(`InvestorRemoved`) or updated (`InvestorUpdated`: KYC expiry, country) on chain by the
registrar outside the service has its Investor row brought to the registry record
(registry_sync.resync_wallets, as `rwa resync` does) and, if it may no longer trade, its
resting orders cancelled (cancel_reason "delisted" or "kyc_expired"; buys in assets whose
rules no longer admit its country or accreditation: "ineligible"); new orders are then
refused. Registry events are acted on once REGISTRY_GRACE_SECONDS old, so the service's own
revoke or update, which mirrors its row right after the receipt, is never taken for an
outside change (its cancel_reason stays "revoked").

DELETE /v1/orders/{id} cancels off chain only; `onchain_cancel_request` says what the wallet
signs to make the cancellation final on chain (as the distribution claim does: the service
holds no investor key).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from hexbytes import HexBytes
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.chain.client import Chain
from backend.compliance import registry_sync
from backend.models.compliance import Investor
from backend.models.trading import ChainCursor, Order
from backend.periodic import PeriodicWorker
from backend.statuses import OPEN_STATUSES
from backend.trading import revocations, terms
from backend.trading.entry import cancel_orders
from backend.trading.sequencer import Venue

log = logging.getLogger(__name__)

CURSOR = "settlement_exchange"
REGISTRY_CURSOR = "identity_registry"
REGISTRY_EVENTS = ("InvestorRemoved", "InvestorUpdated")
REGISTRY_GRACE_SECONDS = 2.0
ONCHAIN = "onchain"
MAX_BLOCKS = 2_000  # logs asked per request: a long catch-up goes in steps
RIGHTS_INTERVAL_SECONDS = 2.0  # two indexed queries over open orders: cheap
CANCEL_UP_TO = "cancelUpTo(uint256)"
CANCEL_UP_TO_SELECTOR = function_signature_to_4byte_selector(CANCEL_UP_TO)
ORDER_TYPE = "(address,address,bool,uint256,uint256,uint256,uint256)"
CANCEL_ORDER = f"cancelOrder({ORDER_TYPE})"
CANCEL_ORDER_SELECTOR = function_signature_to_4byte_selector(CANCEL_ORDER)
MAX_NONCE_FLOOR = 2**64 - 1  # SettlementExchange.cancelUpTo refuses a higher floor (64-bit nonces)


def cancel_up_to_calldata(nonce: int) -> bytes:
    """ABI-encoded SettlementExchange.cancelUpTo(nonce)."""
    return CANCEL_UP_TO_SELECTOR + abi_encode(["uint256"], [nonce])


def onchain_cancel_request(
    *, exchange: str | None, wallet: str, chain_id: int | None, order_nonce: int, order: tuple | None = None
) -> dict[str, Any]:
    """What a DELETE answers beside the cancelled order: the transaction the wallet signs to
    invalidate the order's signature on chain (every order of the wallet below nonce + 1).
    `exchange`/`chain_id` None: the node could not be asked (GET /v1/chain gives them).
    For the top nonce (2^64 - 1, no floor above it exists) it is cancelOrder(`order`, the
    signed Order tuple): that order alone."""
    floor = order_nonce + 1
    if floor > MAX_NONCE_FLOOR and order is not None:
        return {
            "note": (
                "cancelled on this venue only: the signed order stays valid on chain until the wallet "
                "invalidates it; sign and send this transaction (cancelOrder invalidates this order: "
                "no nonce floor above its nonce exists)"
            ),
            "from": wallet,
            "to": exchange,
            "data": "0x" + (CANCEL_ORDER_SELECTOR + abi_encode([ORDER_TYPE], [order])).hex(),
            "value": "0",
            "chain_id": chain_id,
            "function": CANCEL_ORDER,
            "nonce": str(order_nonce),
        }
    return {
        "note": (
            "cancelled on this venue only: the signed order stays valid on chain until the wallet "
            "invalidates it; sign and send this transaction (cancelUpTo invalidates every order of "
            "the wallet with a nonce below `nonce`)"
        ),
        "from": wallet,
        "to": exchange,
        "data": "0x" + cancel_up_to_calldata(floor).hex(),
        "value": "0",
        "chain_id": chain_id,
        "function": CANCEL_UP_TO,
        "nonce": str(floor),
    }


@dataclass
class Pass:
    """What one poll saw and did."""

    from_block: int = 0
    to_block: int = -1
    head: int = -1
    events: int = 0
    cancelled: int = 0
    by_event: dict[str, int] = field(default_factory=dict)


def _cursor(session: Session, chain: Chain, name: str = CURSOR) -> ChainCursor:
    cursor = session.get(ChainCursor, name)
    if cursor is None:  # first start: from the deployment's block
        cursor = ChainCursor(name=name, block=max(chain.deployment.block - 1, 0))
        session.add(cursor)
        session.commit()
    return cursor


def poll(session: Session, chain: Chain, venue: Venue, *, max_blocks: int = MAX_BLOCKS) -> Pass:
    """Read the exchange's cancellation events after the cursor (up to max_blocks of them),
    cancel what they name, advance the cursor."""
    exchange = chain.core("settlement_exchange")
    cursor = _cursor(session, chain)
    head = chain.block_number()
    result = Pass(from_block=cursor.block + 1, to_block=min(head, cursor.block + max_blocks), head=head)
    if result.from_block > result.to_block:
        return result
    logs = chain.logs(addresses=[exchange.address], from_block=result.from_block, to_block=result.to_block)
    decoders = {
        bytes(HexBytes(event.topic)): event
        for event in (exchange.events.OrderCancelled(), exchange.events.NonceFloorRaised())
    }
    for entry in logs:
        event = decoders.get(bytes(entry["topics"][0])) if entry["topics"] else None
        if event is None:
            continue
        args = event.process_log(entry)["args"]
        result.events += 1
        if event.event_name == "OrderCancelled":
            targets = _by_hash(session, "0x" + bytes(args["orderHash"]).hex())
        else:
            targets = _below_floor(session, to_checksum_address(args["trader"]), int(args["nonce"]))
            terms.raise_nonce_floor(session, to_checksum_address(args["trader"]), int(args["nonce"]))
        n = _cancel(session, venue, targets)
        result.cancelled += n
        result.by_event[event.event_name] = result.by_event.get(event.event_name, 0) + n
    cursor.block = result.to_block
    session.add(cursor)
    session.commit()
    if result.cancelled:
        log.info(
            "blocks %d-%d: %d on-chain cancellations, %d resting orders cancelled",
            result.from_block,
            result.to_block,
            result.events,
            result.cancelled,
        )
    return result


def poll_registry(session: Session, chain: Chain, venue: Venue, *, to_block: int, max_blocks: int = MAX_BLOCKS) -> Pass:
    """Read the IdentityRegistry's removals and updates after its cursor (up to `to_block`, at
    most max_blocks), bring the named investors' rows to the registry, cancel the resting orders
    of those who may no longer trade, advance the cursor."""
    registry = chain.core("identity_registry")
    cursor = _cursor(session, chain, REGISTRY_CURSOR)
    result = Pass(from_block=cursor.block + 1, to_block=min(to_block, cursor.block + max_blocks), head=to_block)
    if result.from_block > result.to_block:
        return result
    logs = chain.logs(addresses=[registry.address], from_block=result.from_block, to_block=result.to_block)
    topics = {bytes(HexBytes(getattr(registry.events, name)().topic)): name for name in REGISTRY_EVENTS}
    wallets = {
        to_checksum_address("0x" + bytes(entry["topics"][1])[-20:].hex())  # `wallet`: indexed in both
        for entry in logs
        if len(entry["topics"]) > 1 and bytes(entry["topics"][0]) in topics
    }
    result.events = len(wallets)
    if wallets:
        changed = set(registry_sync.resync_wallets(session, chain, wallets).changed)
        for row in session.exec(select(Investor).where(col(Investor.wallet).in_(sorted(wallets)))).all():
            n = revocations.cancel_if_barred(session, venue, row) if row.wallet in changed else 0
            n += revocations.cancel_ineligible_buys(session, venue, row)  # the service's own updates too
            result.cancelled += n
            result.by_event["registry"] = result.by_event.get("registry", 0) + n
    cursor.block = result.to_block
    session.add(cursor)
    session.commit()
    if wallets:
        log.info(
            "registry blocks %d-%d: %d wallets changed on chain, %d resting orders cancelled",
            result.from_block,
            result.to_block,
            len(wallets),
            result.cancelled,
        )
    return result


def _by_hash(session: Session, order_hash: str) -> list[Order]:
    query = select(Order).where(Order.order_hash == order_hash.lower(), col(Order.status).in_(OPEN_STATUSES))
    return list(session.exec(query))


def _below_floor(session: Session, wallet: str, floor: int) -> list[Order]:
    query = select(Order).where(Order.wallet == wallet, col(Order.status).in_(OPEN_STATUSES))
    return [o for o in session.exec(query) if int(o.nonce) < floor]


def _cancel(session: Session, venue: Venue, orders: list[Order]) -> int:
    by_symbol: dict[str, list[str]] = defaultdict(list)
    for order in orders:
        by_symbol[order.symbol].append(order.id)
    return sum(
        cancel_orders(session, venue, symbol=symbol, order_ids=ids, reason=ONCHAIN)
        for symbol, ids in sorted(by_symbol.items())
    )


class ChainCancelWatcher(PeriodicWorker):
    """The background thread (backend/periodic.py): `poll` every interval, the right-to-trade sweep every
    RIGHTS_INTERVAL_SECONDS."""

    name = "chain-cancels"

    def __init__(
        self,
        db: Engine,
        chain: Chain,
        venue: Venue,
        *,
        interval_ms: int = 1000,
        rights_interval: float = RIGHTS_INTERVAL_SECONDS,
    ):
        super().__init__(interval=interval_ms / 1000)
        self.db, self.chain, self.venue = db, chain, venue
        self.rights_interval = rights_interval
        self._rights_due = 0.0  # monotonic time of the next sweep: at start
        self.registry_grace = REGISTRY_GRACE_SECONDS
        self._heads: deque[tuple[float, int]] = deque()  # (monotonic time, head) seen
        self.last_pass: Pass | None = None

    def run_once(self) -> Pass:
        with Session(self.db, expire_on_commit=False) as session:
            if time.monotonic() >= self._rights_due:
                revocations.sweep(session, self.venue)
                self._rights_due = time.monotonic() + self.rights_interval
            result = poll(session, self.chain, self.venue)
            while result.to_block < result.head and not self.stopping:  # catching up: step on
                result = poll(session, self.chain, self.venue)
            self.last_pass = result
            settled = self._registry_head(result.head)
            if settled is not None:
                seen = poll_registry(session, self.chain, self.venue, to_block=settled)
                while seen.to_block < settled and not self.stopping:
                    seen = poll_registry(session, self.chain, self.venue, to_block=settled)
            return result

    def _registry_head(self, head: int) -> int | None:
        """The highest head seen at least `registry_grace` seconds ago (None: none yet)."""
        now = time.monotonic()
        self._heads.append((now, head))
        settled = None
        while self._heads and self._heads[0][0] <= now - self.registry_grace:
            settled = self._heads.popleft()[1]
        if settled is not None:  # keep it: the next tick may see no older head
            self._heads.appendleft((now - self.registry_grace, settled))
        return settled
