"""Reading a wallet's balance, frozen amount, allowance and lock-up from the node, for the funds
check (funds.py), with the caches and circuit breakers that keep order entry going when the
node is slow or down. One BalanceReader per venue holds that state (no module globals).

Sources of a Reading: "live" (the node answered), "follow" (the balance follower's position,
current as of less than funds_max_age_ms ago: balance_follower.py; no node round trip, asked
first while the venue follows), "cache" (this process's or the snapshot row's reading younger
than funds_max_age_ms), "busy" (the node did not answer within funds_live_wait_ms - a live
read, or the follower's poll in flight: the newest of the wallet's last reading and the
follower's position, if younger than BUSY_SNAPSHOT_MAX_AGE, stands in, and for
BUSY_COOLDOWN_SECONDS the node is not asked again) and "fallback" (the node is unreachable: the
newest of the snapshot row and the follower's position; for COOLDOWN_SECONDS the node is not
asked again). A wallet never read
before whose first order arrives while the node is down is refused with `chain.unavailable`.
Every live reading is written to the wallet's FundsSnapshot row, for other processes and for
outages. The funds rule decides what a stand-in may be trusted with (funds.py).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from eth_utils import keccak, to_canonical_address
from sqlmodel import Session

from backend.chain.client import TRANSIENT, Chain
from backend.clock import utcnow
from backend.errors import Unavailable
from backend.models.trading import FundsSnapshot

if TYPE_CHECKING:
    from backend.trading.balance_follower import BalanceFollower

COOLDOWN_SECONDS = 1.0
# A busy node's stand-in is a snapshot at most this old; an older one waits for the node.
BUSY_SNAPSHOT_MAX_AGE = timedelta(seconds=60)
# After a live read outlasted its wait, orders with a stand-in use it without asking the node
# for this long: a node busy mining stays busy for a while, and each would wait in vain.
BUSY_COOLDOWN_SECONDS = 0.5
# Readings whose refusal is not final: the order is read again live before it is refused.
RECHECKED_LIVE = frozenset({"follow", "cache", "busy"})


@dataclass(frozen=True)
class Reading:
    balance: int
    frozen: int
    allowance: int
    since: datetime | None = None  # None: read live; else the snapshot's read time
    # live, cache, busy or fallback (see the module's docstring)
    source: str = "live"
    # ComplianceRules.lockedBalance(wallet), read live with the balance (read's `lock_at`);
    # None when not read (a snapshot: the compliance mirror's lock stands in)
    locked: int | None = None


class NodeBusy(Exception):
    """The node did not answer a live read within the wait order entry allows it."""


@dataclass
class BalanceReader:
    """The node reads of one venue's funds checks, and what they remember: the last live
    reading per (wallet, token), and until when the node is left alone (busy, or down)."""

    busy_until: float = 0.0  # time.monotonic()
    down_until: float = 0.0
    recent: dict[tuple[str, str], Reading] = field(default_factory=dict)
    follower: BalanceFollower | None = None  # while following (follow): read first
    live_reads: int = 0  # node round trips made for order entry (tests, measurements)

    def follow(self, chain: Chain, *, interval_ms: int) -> None:
        """Follow the wallets' positions from the chain's events (balance_follower.py), polling
        every `interval_ms` (0: do not; every order's funds check then takes the paths below)."""
        from backend.trading.balance_follower import BalanceFollower  # it imports this module

        self.unfollow()
        if interval_ms:
            follower = BalanceFollower(chain, interval_ms=interval_ms)
            follower.start()
            self.follower = follower

    def unfollow(self) -> None:
        follower, self.follower = self.follower, None
        if follower is not None:
            follower.stop()

    def read(
        self,
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
        rows: list[FundsSnapshot] | None = None,
    ) -> Reading:
        """Balance, frozen amount and allowance of `wallet` in `token`: a snapshot younger than
        `max_age_ms`, else live, else (node busy past `wait_ms`, or unreachable) the last known.
        With `lock_at` (the asset's ComplianceRules), a live reading also holds the wallet's
        lockedBalance (snapshots do not: `locked` None). A live reading's snapshot row is merged
        into the session, or, with `rows`, appended there for the caller to write later (a
        batch writes nothing before it holds its markets' locks: the database's write lock is
        always taken after a market's lock, never before)."""
        if max_age_ms and self.follower is not None:  # the follower's position first: no node, no query
            followed = self.follower.held(wallet, token.address, max_age_ms=max_age_ms, frozen=frozen)
            if followed is not None:
                held, since = followed
                if lock_at is None:
                    return Reading(held.balance, held.frozen, held.allowance, since=since, source="follow")
                # The follower has no lock-ups: the chain's lock from this process's last live read,
                # if as young as a snapshot may be; else today's path reads it live with the balance.
                last = self.recent.get((wallet, token.address))
                if (
                    last is not None
                    and last.locked is not None
                    and last.since is not None
                    and utcnow() - last.since < timedelta(milliseconds=max_age_ms)
                ):
                    return Reading(
                        held.balance, held.frozen, held.allowance, since=since, source="follow", locked=last.locked
                    )
        recent = self.recent.get((wallet, token.address))
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
                int(snapshot.balance),
                int(snapshot.frozen),
                int(snapshot.allowance),
                since=snapshot.read_at,
                source="cache",
            )
        if time.monotonic() >= self.down_until:
            read_at = utcnow()
            stand_in = self._busy_stand_in(session, wallet, token.address, recent, snapshot) if wait_ms else None
            # known busy: a live read outlasted its wait lately, or the follower's poll has
            # waited that long already (it is behind because the node is mining, not answering)
            busy = time.monotonic() < self.busy_until or (
                self.follower is not None and self.follower.waiting_ms() >= wait_ms
            )
            if stand_in is not None and busy:
                return stand_in
            try:
                self.live_reads += 1
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
                self.busy_until = time.monotonic() + BUSY_COOLDOWN_SECONDS
                return stand_in
            except Unavailable as exc:
                if exc.code != "chain.unavailable":
                    raise
                self.down_until = time.monotonic() + COOLDOWN_SECONDS
            else:
                self.down_until = 0.0
                if self.follower is not None:
                    self.follower.disagrees(wallet, token.address, balance, frozen_units, allowance, frozen=frozen)
                row = FundsSnapshot(
                    wallet=wallet,
                    token=token.address,
                    balance=str(balance),
                    frozen=str(frozen_units),
                    allowance=str(allowance),
                    read_at=read_at,
                )
                if rows is None:
                    session.merge(row)
                else:
                    rows.append(row)
                self.recent[(wallet, token.address)] = Reading(
                    balance, frozen_units, allowance, since=read_at, source="cache", locked=locked if lock_at else None
                )
                return Reading(balance, frozen_units, allowance, locked=locked if lock_at else None)
        known = self._last_known(session, wallet, token.address, None, snapshot)
        if known is None:
            raise Unavailable(
                "chain.unavailable",
                "the chain node is unreachable and this wallet's balance has "
                "not been seen before: try again when the node is back",
            )
        return replace(known, source="fallback")

    def _busy_stand_in(
        self, session: Session, wallet: str, token: str, recent: Reading | None, snapshot: FundsSnapshot | None
    ) -> Reading | None:
        """The last known reading, if young enough to answer for a busy node (source "busy")."""
        known = self._last_known(session, wallet, token, recent, snapshot)
        if known is None or known.since is None or utcnow() - known.since >= BUSY_SNAPSHOT_MAX_AGE:
            return None
        return replace(known, source="busy")

    def _last_known(
        self, session: Session, wallet: str, token: str, recent: Reading | None, snapshot: FundsSnapshot | None
    ) -> Reading | None:
        """The newest of what is known without the node, however old: this process's last live
        reading (else the wallet's snapshot row) and the follower's position (it saw the
        transfers since the last live read; a followed wallet is not read live again)."""
        known: list[Reading] = []
        if recent is not None and recent.since is not None:
            known.append(Reading(recent.balance, recent.frozen, recent.allowance, since=recent.since))
        else:
            snapshot = snapshot or session.get(FundsSnapshot, (wallet, token))
            if snapshot is not None:
                balances = int(snapshot.balance), int(snapshot.frozen), int(snapshot.allowance)
                known.append(Reading(*balances, since=snapshot.read_at))
        followed = self.follower.last_known(wallet, token) if self.follower is not None else None
        if followed is not None:
            held, since = followed
            known.append(Reading(held.balance, held.frozen, held.allowance, since=since))
        return max(known, key=lambda r: r.since or datetime.min) if known else None


BALANCE_OF = keccak(b"balanceOf(address)")[:4]
FROZEN_TOKENS = keccak(b"frozenTokens(address)")[:4]
ALLOWANCE = keccak(b"allowance(address,address)")[:4]
LOCKED_BALANCE = keccak(b"lockedBalance(address)")[:4]


def eth_call(token: str, selector: bytes, *addresses: str, block: str = "latest") -> tuple[str, list[Any]]:
    """The JSON-RPC eth_call of `token`.`selector`(addresses...) at `block`, encoded by hand."""
    data = selector + b"".join(to_canonical_address(a).rjust(32, b"\0") for a in addresses)
    return "eth_call", [{"to": token, "data": "0x" + data.hex()}, block]


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
    calls = [eth_call(token.address, BALANCE_OF, wallet), eth_call(token.address, ALLOWANCE, wallet, spender)]
    if frozen:
        calls.append(eth_call(token.address, FROZEN_TOKENS, wallet))
    if lock_at:
        calls.append(eth_call(lock_at, LOCKED_BALANCE, wallet))
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
