"""The wallets' balances, frozen amounts and allowances, followed from the chain's events, so
that order entry's funds check reads memory instead of the node (issue 16).

A wallet's token is followed from the first order that reads it: that order takes the funds
check's usual path (balances.BalanceReader: a live read), and asks to be followed; on its next
poll the follower reads the pair once at its head block (eth_call at that block number), then
keeps it current from the token's logs:

- `Transfer(from, to, value)`: the balances (every ERC-20 balance change emits one);
- `Approval(owner, spender, value)` with the SettlementExchange as spender: the allowance;
- `Frozen(account, amount)` (AssetToken, ERC-7943): the frozen amount, a total.

OpenZeppelin 5's `transferFrom` lowers the allowance without an Approval event, so every
Transfer out of a followed wallet lowers its followed allowance by the value (unless it is
unlimited, type(uint256).max, which transferFrom leaves alone). That is exact for the
exchange's own transferFroms (settlement) and low for a transfer the wallet sends itself: a
low allowance can only refuse, and a refusal is read again live (funds.py), whose differing
answer has the pair read again here (`disagrees`).

One poll (every `interval_ms`, its own thread): the latest block and the block the readings are
as of (one JSON-RPC batch); when the head moved, one eth_getLogs for every followed token from
the block after the last one seen to the head, in one batch with the first reads of newly wanted
pairs at that head and both blocks' hashes again. The readings are
as of that head, and current as of the moment the head was asked (`as_of`): every block mined
before it is included. BalanceReader uses them only while younger than funds_max_age_ms - the
same bound as its cached readings, and with the same arithmetic (Reading.since: trades this
venue settled after it are subtracted again) - else falls back to its live read.

Reorgs: ganache's and anvil's automine never reorganize. A node restarted without its state,
reverted (evm_revert) or, on a real chain, reorganized loses blocks: the follower notices that
the block its readings are as of is gone or has another hash - whether the head went backwards
or is back at or past that height - drops everything followed, and follows afresh (each pair
from its next order's live read). So does a follower more than MAX_BLOCKS behind (one read per
wallet is cheaper than that many logs). Only a reorg in the midst of one batch's reads, which
restores both checked blocks, would go unseen; on a real chain, follow `head - confirmations`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from eth_utils import keccak

from backend.chain.client import TRANSIENT, Chain
from backend.clock import utcnow
from backend.errors import Unavailable
from backend.periodic import PeriodicWorker
from backend.trading.balances import ALLOWANCE, BALANCE_OF, FROZEN_TOKENS, eth_call

log = logging.getLogger(__name__)

TRANSFER = "0x" + keccak(b"Transfer(address,address,uint256)").hex()
APPROVAL = "0x" + keccak(b"Approval(address,address,uint256)").hex()
FROZEN = "0x" + keccak(b"Frozen(address,uint256)").hex()
UNLIMITED = 2**256 - 1
MAX_BLOCKS = 2_000


class ChainChanged(Exception):
    """A block the follower reads at is no longer the one it asked about a moment before."""

    def __init__(self, block: int):
        super().__init__(block)
        self.block = block


@dataclass(frozen=True)
class Held:
    """A followed wallet's position in one token, as of the follower's head."""

    balance: int
    frozen: int
    allowance: int  # to the SettlementExchange


def _address(topic: str) -> str:
    return "0x" + topic[-40:].lower()


def _spent(allowance: int, value: int) -> int:
    """The allowance after a transferFrom of `value` (OpenZeppelin 5: unlimited stays unlimited)."""
    return allowance if allowance == UNLIMITED else max(allowance - value, 0)


class BalanceFollower(PeriodicWorker):
    """Follows the (wallet, token) pairs order entry asked for; `held` answers from memory."""

    name = "funds-follower"

    def __init__(self, chain: Chain, *, interval_ms: int = 100):
        super().__init__(interval=interval_ms / 1000)
        self.chain = chain
        self._held: dict[tuple[str, str], Held] = {}  # (wallet, token), lower case
        self._wanted: dict[tuple[str, str], bool] = {}  # pairs to read at the next head -> frozen?
        self._lock = threading.Lock()  # _wanted (request threads add, the poll takes)
        self._head: tuple[int, str] | None = None  # (number, hash) of the block the readings are as of
        self._as_of: tuple[float, datetime] | None = None  # (monotonic, wall clock) the head was asked
        self.drops = 0  # times everything followed was dropped (head went backwards, too far behind)
        # what `held` answered: from memory, not followed (yet), followed but too far behind
        self.answers: Counter[str] = Counter()
        self.polls = 0
        self._asked: float | None = None  # time.monotonic() the request in flight was sent
        self.slowest_poll_ms = 0.0
        self._spender = ""

    # --- order entry's side ------------------------------------------------------------
    def held(self, wallet: str, token: str, *, max_age_ms: int, frozen: bool) -> tuple[Held, datetime] | None:
        """The pair's position and the time it is current as of, when the follower is no more
        than `max_age_ms` behind; None otherwise (the pair is then wanted, if new)."""
        key = (wallet.lower(), token.lower())
        as_of = self._as_of
        found = self._held.get(key)
        if found is None:
            self.answers["new"] += 1
            if not self.stopping and key not in self._wanted:
                with self._lock:
                    self._wanted[key] = frozen
            return None
        if as_of is None or (time.monotonic() - as_of[0]) * 1000 >= max_age_ms:
            self.answers["behind"] += 1
            return None
        self.answers["memory"] += 1
        return found, as_of[1]

    def position(self, wallet: str, token: str) -> Held | None:
        """The pair's followed position however old (None: not followed); asks for nothing."""
        return self._held.get((wallet.lower(), token.lower()))

    def last_known(self, wallet: str, token: str) -> tuple[Held, datetime] | None:
        """The pair's position and the time it was current as of, however old (the node is down
        or busy: the newest thing known); None when not followed."""
        as_of, found = self._as_of, self._held.get((wallet.lower(), token.lower()))
        return None if as_of is None or found is None else (found, as_of[1])

    def waiting_ms(self) -> float:
        """How long the follower's request in flight has waited for the node (0: none): a node
        that has not answered it for funds_live_wait_ms is busy, as a live read would find out."""
        asked = self._asked
        return 0.0 if asked is None else (time.monotonic() - asked) * 1000

    def age_ms(self) -> float | None:
        """Milliseconds since the head the positions are as of was asked (None: no poll yet)."""
        as_of = self._as_of
        return None if as_of is None else (time.monotonic() - as_of[0]) * 1000

    def disagrees(
        self, wallet: str, token: str, balance: int, frozen_units: int, allowance: int, *, frozen: bool
    ) -> None:
        """A live read of a followed pair answered these: if that is not what is followed, read
        the pair again at the next head (a transfer the wallet sent itself leaves the followed
        allowance low; or the live read saw blocks the follower has not polled yet)."""
        key = (wallet.lower(), token.lower())
        found = self._held.get(key)
        if found is not None and found != Held(balance, frozen_units, allowance):
            with self._lock:
                self._wanted[key] = frozen

    def drop(self) -> None:
        """Forget everything followed: each pair is read live and followed again on its next order."""
        with self._lock:
            self._as_of = None
            self._held = {}
            self._wanted.clear()
            self._head = None
            self.drops += 1

    # --- the poll ------------------------------------------------------------------------
    def run_once(self) -> int:
        """One poll; the head the readings are now as of."""
        asked_mono, asked_wall = time.monotonic(), utcnow()
        last = self._head
        calls: list[tuple[str, list[Any]]] = [("eth_getBlockByNumber", ["latest", False])]
        if last is not None:
            calls.append(("eth_getBlockByNumber", [hex(last[0]), False]))
        latest, *then = self._batch(calls)
        head = (int(latest["number"], 16), str(latest["hash"]))
        if last is not None and not self._same_chain(last, then[0], head[0]):
            self.drop()
            last = None
        with self._lock:
            wanted, self._wanted = self._wanted, {}
        try:
            changed = self._catch_up(last, head, wanted)
        except ChainChanged as exc:
            log.warning("funds follower: block %d changed while it was read: dropping what it followed", exc.block)
            self.drop()
            return head[0]
        except BaseException:
            with self._lock:  # read them at the next head
                self._wanted.update(wanted)
            raise
        self._held.update(changed)  # one assignment a pair: a reader sees it before or after, whole
        self._head, self._as_of = head, (asked_mono, asked_wall)
        self.polls += 1
        self.slowest_poll_ms = max(self.slowest_poll_ms, (time.monotonic() - asked_mono) * 1000)
        return head[0]

    @staticmethod
    def _same_chain(last: tuple[int, str], block_now: dict[str, Any] | None, head: int) -> bool:
        """Whether the block the readings are as of is still the chain's (by its hash: a node
        restarted, reverted or reorganized may be back at that height with other blocks, or
        below it: then it has no such block) and not too far behind the head."""
        if block_now is None or block_now.get("hash") != last[1]:
            log.warning("funds follower: block %d is no longer the one it followed: dropping what it followed", last[0])
            return False
        if head - last[0] > MAX_BLOCKS:
            log.warning("funds follower: %d blocks behind: dropping what it followed", head - last[0])
            return False
        return True

    def stop(self) -> None:
        super().stop()
        log.info(
            "funds follower: %d polls (slowest %.0f ms), %d pairs followed, %d drops; funds checks: %s",
            self.polls,
            self.slowest_poll_ms,
            len(self._held),
            self.drops,
            dict(self.answers),
        )

    def _catch_up(
        self, last: tuple[int, str] | None, head: tuple[int, str], wanted: dict[tuple[str, str], bool]
    ) -> dict[tuple[str, str], Held]:
        """The followed pairs the logs of blocks (last, head] changed, and the wanted pairs
        read at `head`: one JSON-RPC batch, which also asks both blocks' hashes again (a chain
        that changed since the head was asked is not read into what is followed: ChainChanged)."""
        if not self._spender:
            self._spender = self.chain.deployment.contracts["settlement_exchange"].lower()
        calls: list[tuple[str, list[Any]]] = []
        tokens = sorted({token for _wallet, token in self._held})
        fetch_logs = False
        if last is not None and head[0] > last[0] and tokens:
            fetch_logs = True
            span = {"fromBlock": hex(last[0] + 1), "toBlock": hex(head[0]), "address": tokens}
            calls.append(("eth_getLogs", [{**span, "topics": [[TRANSFER, APPROVAL, FROZEN]]}]))
        block = hex(head[0])
        for wallet, token in wanted:
            calls.append(eth_call(token, BALANCE_OF, wallet, block=block))
            calls.append(eth_call(token, ALLOWANCE, wallet, self._spender, block=block))
            if wanted[(wallet, token)]:
                calls.append(eth_call(token, FROZEN_TOKENS, wallet, block=block))
        if not calls:
            return {}
        checks = [head] if last is None or last[0] == head[0] else [head, last]
        calls += [("eth_getBlockByNumber", [hex(number), False]) for number, _hash in checks]
        results = self._batch(calls)
        for found, (number, expected) in zip(results[-len(checks) :], checks, strict=True):
            if found is None or found.get("hash") != expected:
                raise ChainChanged(number)
        answers = iter(results[: -len(checks)])
        changed: dict[tuple[str, str], Held] = {}
        if fetch_logs:
            for entry in next(answers):
                self._apply(entry, changed)
        for key, frozen in wanted.items():
            words = [next(answers) for _ in range(3 if frozen else 2)]
            if all(isinstance(w, str) and len(w) == 66 for w in words):  # else not a token: not followed
                balance, allowance, *rest = (int(w, 16) for w in words)
                changed[key] = Held(balance, rest[0] if rest else 0, allowance)
        return changed

    def _apply(self, entry: dict[str, Any], changed: dict[tuple[str, str], Held]) -> None:
        """One log, in chain order, onto the followed pairs it names (Transfer, Approval and
        Frozen each carry one word of data: the value)."""
        topics, token = entry["topics"], entry["address"].lower()
        value = int(entry["data"], 16) if len(entry["data"]) > 2 else 0
        kind = topics[0] if topics else None
        updates: list[tuple[str, Callable[[Held], Held]]] = []
        if kind == TRANSFER and len(topics) == 3:
            updates = [
                (topics[1], lambda h: replace(h, balance=h.balance - value, allowance=_spent(h.allowance, value))),
                (topics[2], lambda h: replace(h, balance=h.balance + value)),
            ]
        elif kind == APPROVAL and len(topics) == 3 and _address(topics[2]) == self._spender:
            updates = [(topics[1], lambda h: replace(h, allowance=value))]
        elif kind == FROZEN and len(topics) == 2:
            updates = [(topics[1], lambda h: replace(h, frozen=value))]
        for topic, update in updates:
            key = (_address(topic), token)
            held = changed.get(key) or self._held.get(key)
            if held is not None:
                changed[key] = update(held)

    def _request(self, method: str, params: list[Any]) -> Any:
        return self._batch([(method, params)])[0]

    def _batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """The results of `calls`, in order; Unavailable when the node cannot answer them all."""
        self._asked = time.monotonic()
        try:
            answers = self.chain.w3.provider.make_batch_request(calls)  # type: ignore[attr-defined]
        except TRANSIENT as exc:
            raise Unavailable("chain.unavailable", f"chain node unreachable: {exc}") from None
        finally:
            self._asked = None
        if not isinstance(answers, list) or len(answers) != len(calls):
            raise Unavailable("chain.unavailable", f"the node answered the follower's batch with {answers!r:.200}")
        by_id = sorted(answers, key=lambda a: a["id"])
        failed = [a["error"] for a in by_id if "error" in a]
        if failed:
            raise Unavailable("chain.unavailable", f"the node refused the follower's reads: {failed[0]!r:.200}")
        return [a["result"] for a in by_id]
