"""The funds check of order entry: enough unreserved balance (or cash) and allowance.

Live from the chain whenever the node answers. But "the matcher keeps running while the
chain is down" (DESIGN flow 5), so when the node is unreachable the check answers from
the last values read for that wallet and token (`FundsSnapshot`, written by every live
check) instead of refusing the order with 503:

    available = snapshot balance - snapshot frozen - reserved now
                - what left the wallet in trades settled since the snapshot was read

A trade recorded as settled after the snapshot's read time may or may not be in the
snapshot; counting it again is conservative (a settlement that landed just before the
read is counted twice, never not at all). Whatever raised the balance since (a buy that
settled, a faucet) is ignored, also conservative. What the venue cannot see while the
node is down - the investor moving tokens away, an agent freezing them, an allowance
revoked - is caught by settlement: the trade is marked failed with the contract's reason
(codes 9 and 10), which is the honest outcome. A wallet never read before (its first
order arrives while the node is down) is refused with 503 `chain.unavailable`.

After a failed read, order entry leaves the node alone for COOLDOWN_SECONDS (a circuit
breaker), so orders do not each sit out the RPC retries while the node is down.

The same arithmetic lets a snapshot stand in for the node while it is up: with
`funds_max_age_ms` (RWA_FUNDS_MAX_AGE_MS) above 0, a snapshot younger than that is used
without any RPC, and an order it cannot pay for is checked again live (funds may have
arrived since) before it is refused. Each live check costs two or three eth_calls (one
JSON-RPC batch), and a loaded ganache answers in tens of milliseconds. The default is 1,000
ms: a refusal is always read live, the venue's own reservations and settlements are never
stale, and what moves outside the venue within that second is caught by settlement, as for
any order resting while its funds leave (docs/reliability.md). 0 reads the chain for every order.

A node that is up but busy is the third case. ganache answers one request at a time
(docs/toolchain.md), so a live read queued behind a settle() being mined waits for it: up to
seconds for a batch of 50. With `funds_live_wait_ms` (RWA_FUNDS_LIVE_WAIT_MS, default 250)
above 0, order entry waits that long for the live answer and then answers from the
wallet's last snapshot, if one younger than BUSY_SNAPSHOT_MAX_AGE exists, with the same
arithmetic as when the node is down (source "busy"); for BUSY_COOLDOWN_SECONDS after that,
orders with such a reading use it without asking the node. As with a cached snapshot, a busy
reading can only make the venue accept: an order it cannot pay for is read again live,
waiting as long as the node takes, before it is refused. 0 always waits.

A sell also counts the lock-up: tokens issued under a lock-up stay locked until their release
(ComplianceRules.lockedBalance), and a sale may only reach the free part,

    free = balance - frozen - locked - (the seller's open sells and unsettled sold trades)

so a sell that with the seller's other open sells reaches into locked tokens is refused at
entry with code 8 (`compliance.lockup`), never left to fail at settlement. `locked` is the
larger of the compliance mirror's lock (HolderState.locked_amount while its release is ahead)
and the chain's, read live in the same JSON-RPC batch as the balance (a snapshot carries no
lock: the mirror's stands in).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

import requests
from eth_utils import keccak, to_canonical_address
from sqlalchemy import func
from sqlmodel import Session, select

from backend.assets.service import get_asset, token_contract
from backend.chain.client import TRANSIENT, Chain
from backend.clock import utcnow
from backend.compliance import mirror
from backend.compliance.codes import restriction_error
from backend.compliance.rules import locked_balance
from backend.errors import DomainError, Refused, Unavailable
from backend.matching import Side
from backend.models.assets import Asset
from backend.models.compliance import Investor
from backend.models.settlement import TradeRecord
from backend.models.trading import FundsSnapshot
from backend.statuses import SettlementStatus
from backend.trading import reservations

COOLDOWN_SECONDS = 1.0
# A busy node's stand-in is a snapshot at most this old; an older one waits for the node.
BUSY_SNAPSHOT_MAX_AGE = timedelta(seconds=60)
# After a live read outlasted its wait, orders with a stand-in use it without asking the node
# for this long: a node busy mining stays busy for a while, and each would wait in vain.
BUSY_COOLDOWN_SECONDS = 0.5
_busy_until: WeakKeyDictionary[Chain, float] = WeakKeyDictionary()
_down_until: WeakKeyDictionary[Chain, float] = WeakKeyDictionary()
# The last live reading per (wallet, token), as its snapshot row holds it: a young one stands
# in without reading that row back (the row stays, for other processes and for node outages).
_recent: WeakKeyDictionary[Chain, dict[tuple[str, str], Reading]] = WeakKeyDictionary()


class AssetsBySymbol(dict):
    """The assets an investor's reservations name, each looked up when first needed (with the
    request's memo of get_asset, the order's own market costs no query) instead of all of them."""

    def __init__(self, session: Session):
        super().__init__()
        self._session = session

    def __missing__(self, symbol: str) -> Asset:
        asset = self[symbol] = get_asset(self._session, symbol)
        return asset


@dataclass(frozen=True)
class Reading:
    balance: int
    frozen: int
    allowance: int
    since: datetime | None = None  # None: read live; else the snapshot's read time
    # live, cache (a snapshot younger than funds_max_age_ms), busy (the node did not answer
    # within funds_live_wait_ms) or fallback (node down)
    source: str = "live"
    # ComplianceRules.lockedBalance(wallet), read live with the balance (read's `lock_at`);
    # None when not read (a snapshot: the compliance mirror's lock stands in)
    locked: int | None = None


class NodeBusy(Exception):
    """The node did not answer a live read within the wait order entry allows it."""


def check_funds(
    session: Session,
    chain: Chain,
    *,
    investor: Investor,
    asset: Asset,
    side: Side,
    price_ticks: int | None,
    lots: int,
    market: Any,
) -> None:
    """Refuse an order its wallet cannot pay for; call under the investor's lock (not the market's)."""
    exchange = chain.deployment.contracts["settlement_exchange"]
    out_since: Callable[[datetime], int]
    # The database first (reservations.py): a settlement landing in between is counted twice.
    if side is Side.SELL:
        reserved = reservations.reserved_asset_units(session, investor_id=investor.id, asset=asset)  # type: ignore[arg-type]
        need = reservations.lots_units(asset, lots)
        token, frozen, lock_at = token_contract(chain, asset), True, asset.rules_address
        short = Refused("order.insufficient_balance", "not enough unreserved, unfrozen units to sell")
        mirror_locked = mirror_locked_units(session, asset=asset, wallet=investor.wallet)

        def out_since(since: datetime) -> int:
            return asset_out_since(session, investor_id=investor.id, asset=asset, since=since)  # type: ignore[arg-type]
    else:
        assets = AssetsBySymbol(session)
        reserved = reservations.reserved_cash_units(session, investor_id=investor.id, assets=assets)  # type: ignore[arg-type]
        if price_ticks is not None:
            need = reservations.cost_units(asset, price_ticks, lots)
        else:  # a market buy: what sweeping the asks for its quantity would cost
            with market.lock:
                asks = market.engine.depth(None)[1]
            need = sweep_cost(asset, asks, lots)
        token, frozen, lock_at, mirror_locked = chain.core("cash_token"), False, None, 0
        short = Refused("order.insufficient_cash", "not enough unreserved cash for this order")

        def out_since(since: datetime) -> int:
            return cash_out_since(session, investor_id=investor.id, assets=assets, since=since)  # type: ignore[arg-type]

    max_age_ms = chain.settings.funds_max_age_ms
    wait_ms = chain.settings.funds_live_wait_ms
    while True:
        reading = read(
            session,
            chain,
            investor.wallet,
            token,
            exchange,
            frozen=frozen,
            max_age_ms=max_age_ms,
            wait_ms=wait_ms,
            lock_at=lock_at,
        )
        committed = reserved + (out_since(reading.since) if reading.since is not None else 0)
        # Lock-up: the chain's lock when read live, the mirror's too (the larger counts).
        locked = max(mirror_locked, reading.locked or 0)
        error: DomainError
        if reading.balance - reading.frozen - committed < need:
            error = short
        elif reading.balance - reading.frozen - locked - committed < need:
            # the sale (with the seller's other open sells and unsettled trades) reaches into
            # tokens still in lock-up: settlement would revert with code 8
            error = restriction_error(8)
        elif reading.allowance < committed + need:
            error = Refused(
                "order.allowance_missing", "approve the SettlementExchange (GET /v1/chain) to move your tokens first"
            )
        else:
            return
        if reading.source not in ("cache", "busy"):
            raise error
        # a snapshot fell short: funds may have arrived since, read them live however long it takes
        max_age_ms = wait_ms = 0


def read(
    session: Session,
    chain: Chain,
    wallet: str,
    token: Any,
    spender: str,
    *,
    frozen: bool,
    max_age_ms: int = 0,
    wait_ms: int = 0,
    lock_at: str | None = None,
) -> Reading:
    """Balance, frozen amount and allowance of `wallet` in `token`: a snapshot younger than
    `max_age_ms`, else live, else (node busy past `wait_ms`, or unreachable) the last known.
    With `lock_at` (the asset's ComplianceRules), a live reading also holds the wallet's
    lockedBalance (snapshots do not: `locked` None)."""
    recent = _recent.get(chain, {}).get((wallet, token.address))
    if max_age_ms:  # this process's own last live read first: no query for it
        if (
            recent is not None
            and recent.since is not None
            and utcnow() - recent.since < timedelta(milliseconds=max_age_ms)
        ):
            return recent
    snapshot = session.get(FundsSnapshot, (wallet, token.address)) if max_age_ms else None
    if snapshot is not None and utcnow() - snapshot.read_at < timedelta(milliseconds=max_age_ms):
        return Reading(
            int(snapshot.balance), int(snapshot.frozen), int(snapshot.allowance), since=snapshot.read_at, source="cache"
        )
    if time.monotonic() >= _down_until.get(chain, 0.0):
        read_at = utcnow()
        stand_in = _busy_stand_in(session, wallet, token.address, recent, snapshot) if wait_ms else None
        if stand_in is not None and time.monotonic() < _busy_until.get(chain, 0.0):
            return stand_in
        try:
            balance, frozen_units, allowance, locked = live_read(
                chain,
                wallet,
                token,
                spender,
                frozen=frozen,
                timeout=wait_ms / 1000 if stand_in else None,
                lock_at=lock_at,
            )
        except NodeBusy:
            assert stand_in is not None  # only a read with a stand-in has a timeout
            _busy_until[chain] = time.monotonic() + BUSY_COOLDOWN_SECONDS
            return stand_in
        except Unavailable as exc:
            if exc.code != "chain.unavailable":
                raise
            _down_until[chain] = time.monotonic() + COOLDOWN_SECONDS
        else:
            _down_until.pop(chain, None)
            session.merge(
                FundsSnapshot(
                    wallet=wallet,
                    token=token.address,
                    balance=str(balance),
                    frozen=str(frozen_units),
                    allowance=str(allowance),
                    read_at=read_at,
                )
            )
            _recent.setdefault(chain, {})[(wallet, token.address)] = Reading(
                balance, frozen_units, allowance, since=read_at, source="cache", locked=locked if lock_at else None
            )
            return Reading(balance, frozen_units, allowance, locked=locked if lock_at else None)
    snapshot = snapshot or session.get(FundsSnapshot, (wallet, token.address))
    if snapshot is None:
        raise Unavailable(
            "chain.unavailable",
            "the chain node is unreachable and this wallet's balance has "
            "not been seen before: try again when the node is back",
        )
    return Reading(
        int(snapshot.balance), int(snapshot.frozen), int(snapshot.allowance), since=snapshot.read_at, source="fallback"
    )


def _busy_stand_in(
    session: Session, wallet: str, token: str, recent: Reading | None, snapshot: FundsSnapshot | None
) -> Reading | None:
    """The last known reading, if young enough to answer for a busy node (source "busy")."""
    if recent is not None and recent.since is not None:
        since, balance, frozen, allowance = recent.since, recent.balance, recent.frozen, recent.allowance
    else:
        snapshot = snapshot or session.get(FundsSnapshot, (wallet, token))
        if snapshot is None:
            return None
        since = snapshot.read_at
        balance, frozen, allowance = int(snapshot.balance), int(snapshot.frozen), int(snapshot.allowance)
    if utcnow() - since >= BUSY_SNAPSHOT_MAX_AGE:
        return None
    return Reading(balance, frozen, allowance, since=since, source="busy")


BALANCE_OF = keccak(b"balanceOf(address)")[:4]
FROZEN_TOKENS = keccak(b"frozenTokens(address)")[:4]
ALLOWANCE = keccak(b"allowance(address,address)")[:4]
LOCKED_BALANCE = keccak(b"lockedBalance(address)")[:4]


def _call(token: str, selector: bytes, *addresses: str) -> tuple[str, list[Any]]:
    data = selector + b"".join(to_canonical_address(a).rjust(32, b"\0") for a in addresses)
    return "eth_call", [{"to": token, "data": "0x" + data.hex()}, "latest"]


_http = threading.local()  # one keep-alive session per request thread, for timed reads


def _timed_batch(url: str, calls: list[tuple[str, list[Any]]], timeout: float) -> Any:
    """One JSON-RPC batch that gives up after `timeout` seconds (NodeBusy). web3's provider
    has one timeout for every request; this is the only call that needs a short one."""
    session = getattr(_http, "session", None)
    if session is None:
        session = _http.session = requests.Session()
    payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    try:
        response = session.post(url, json=payload, timeout=(timeout, timeout))
    except requests.Timeout:
        # the read stays queued in the node and is answered to no one: a few eth_calls
        raise NodeBusy from None
    response.raise_for_status()
    return response.json()


def live_read(
    chain: Chain,
    wallet: str,
    token: Any,
    spender: str,
    *,
    frozen: bool,
    timeout: float | None = None,
    lock_at: str | None = None,
) -> tuple[int, int, int, int]:
    """(balance, frozen, allowance, locked) from the node: the two to four eth_calls in one
    JSON-RPC batch, encoded by hand (web3's per-call ABI lookup and formatting cost more CPU
    than the node's answer); `locked` is ComplianceRules(`lock_at`).lockedBalance(wallet), 0
    without `lock_at`. Anything but clean uint256 answers takes web3's path, which raises
    the node's revert reason or its unavailability as usual. With `timeout`, a node that has
    not answered within it raises NodeBusy."""
    calls = [_call(token.address, BALANCE_OF, wallet), _call(token.address, ALLOWANCE, wallet, spender)]
    if frozen:
        calls.append(_call(token.address, FROZEN_TOKENS, wallet))
    if lock_at:
        calls.append(_call(lock_at, LOCKED_BALANCE, wallet))
    answers: Any = None
    if timeout is not None:
        url = getattr(chain.w3.provider, "endpoint_uri", None)
        if isinstance(url, str) and url.startswith("http"):
            try:
                answers = _timed_batch(url, calls, timeout)
            except NodeBusy:
                raise
            except Exception:  # noqa: BLE001 - refused, reset, not JSON: web3's path below reports it
                answers = None
    for attempt in range(3 if answers is None else 0):
        try:
            answers = chain.w3.provider.make_batch_request(calls)  # type: ignore[attr-defined]
            break
        except TRANSIENT as exc:
            if attempt == 2:
                raise Unavailable("chain.unavailable", f"chain node unreachable: {exc}") from None
            time.sleep(0.2 * (attempt + 1))
        except Exception:  # noqa: BLE001 - a node that does not batch: web3's path below
            break
    try:
        if not isinstance(answers, list) or len(answers) != len(calls):
            raise ValueError("batch answered", answers)
        values = [int(a["result"], 16) for a in sorted(answers, key=lambda a: a["id"])]
        if any(len(a["result"]) != 66 for a in answers):
            raise ValueError("not a uint256", answers)
    except (ValueError, KeyError, TypeError):
        balance = int(chain.call(token.functions.balanceOf(wallet)))
        frozen_units = int(chain.call(token.functions.frozenTokens(wallet))) if frozen else 0
        allowance = int(chain.call(token.functions.allowance(wallet, spender)))
        rules = chain.contract("ComplianceRules", lock_at) if lock_at else None
        locked = int(chain.call(rules.functions.lockedBalance(wallet))) if rules is not None else 0
        return balance, frozen_units, allowance, locked
    return values[0], values[2] if frozen else 0, values[1], values[-1] if lock_at else 0


def mirror_locked_units(session: Session, *, asset: Asset, wallet: str) -> int:
    """The wallet's tokens in lock-up per the compliance mirror (HolderState's lock, active
    while the chain's time is before its release)."""
    state, held, _rules = mirror.asset_view(session, asset, wallet)
    return locked_balance(amount=held.locked_amount, until=held.locked_until, now=mirror.chain_now(state))


def asset_out_since(session: Session, *, investor_id: int, asset: Asset, since: datetime) -> int:
    """Asset units the investor sold in trades recorded as settled after `since`."""
    lots = session.exec(
        select(func.coalesce(func.sum(TradeRecord.quantity_lots), 0)).where(
            TradeRecord.seller_investor_id == investor_id,
            TradeRecord.symbol == asset.symbol,
            TradeRecord.settlement_status == SettlementStatus.SETTLED,
            TradeRecord.settled_at > since,  # type: ignore[operator]
        )
    ).one()
    return reservations.lots_units(asset, int(lots))


def cash_out_since(session: Session, *, investor_id: int, assets: dict[str, Asset], since: datetime) -> int:
    """Cash the investor paid in trades recorded as settled after `since`."""
    total = 0
    for trade in session.exec(
        select(TradeRecord).where(
            TradeRecord.buyer_investor_id == investor_id,
            TradeRecord.settlement_status == SettlementStatus.SETTLED,
            TradeRecord.settled_at > since,  # type: ignore[operator]
        )
    ):
        total += reservations.cost_units(assets[trade.symbol], trade.price_ticks, trade.quantity_lots)
    return total


def sweep_cost(asset: Asset, asks: list[tuple[int, int]], lots: int) -> int:
    cost = 0
    for price, size in asks:
        take = min(size, lots)
        cost += reservations.cost_units(asset, price, take)
        lots -= take
        if lots == 0:
            break
    return cost
