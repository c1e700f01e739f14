"""The compliance mirror: everything the evaluator needs, answered from the database.

POST /v1/compliance/check and the pre-trade checks of orders must give the chain's
verdict without a JSON-RPC call each. They read two mirrors:

* Identity: the `Investor` table (onboarding writes it after each IdentityRegistry
  transaction; `registry_sync.resync_investors` rebuilds it from the registry, chain
  wins). registered = status "approved"; KYC expiry = the end of the `kyc_expires` day.
* Per-asset token state, kept by `backend/compliance/sync.py`: `AssetRules` (the rule
  set), `ComplianceState` (paused, holder count, the block it is current at) and
  `HolderState` (balance, partially frozen amount, whole-wallet freeze, lock-up end) for
  every wallet that ever touched the token.

How the token state stays current: it is an event-sourced projection of the chain.
`sync(asset)` reads the logs of the asset's token and rule set since
`ComplianceState.synced_block` (Transfer, WalletFrozen, Frozen, Paused, Unpaused,
RulesUpdated) and applies them in chain order exactly as the contracts do: balances
move, the holder count changes on nonzero transfers between different wallets, and an
acquisition extends the receiver's lock-up by the rule set in force at that log, from its
block's timestamp. Whatever moved the tokens — issuance, DvP settlement, forced
transfers, recoveries, a brownie script — shows up, because the chain is the only
source. The sync is driven (a) by the service right after its own transactions (issue,
setRules, freezes: read-your-writes through `min_block`) and (b) by a background
worker (`compliance/worker.py`) that polls every asset about once a second, which
picks up settlements and anything done outside the service. Each sync commits with
a compare-and-set on `synced_block`, so concurrent syncs (worker, requests, other
processes) never apply an event twice. `resync(asset)` throws the projection away
and rebuilds it from chain state read at one block (every wallet seen in the token's
logs), for recovery and for assets the mirror has never seen.

Time: the evaluator's `now` is the later of the wall clock and the newest synced block's
timestamp (a node whose clock was moved forward, e.g. ganache's evm_increaseTime).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import bindparam
from sqlmodel import Session, select

from backend.compliance import rules as ev
from backend.compliance.codes import MESSAGES, REASONS
from backend.compliance.countries import numeric_code
from backend.compliance.onboarding import kyc_expiry_timestamp
from backend.errors import InvalidInput
from backend.models.assets import Asset
from backend.models.compliance import AssetRules, ComplianceState, HolderState, Investor
from backend.statuses import InvestorStatus

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class Holding:
    balance: int = 0
    frozen_tokens: int = 0
    wallet_frozen: bool = False
    locked_until: int = 0
    locked_amount: int = 0  # locked while now < locked_until (ComplianceRules.lockOf)


NO_HOLDING = Holding()


@dataclass(frozen=True)
class Verdict:
    code: int
    as_of_block: int

    @property
    def allowed(self) -> bool:
        return self.code == ev.OK

    @property
    def reason(self) -> str:
        return REASONS.get(self.code, f"code_{self.code}")

    @property
    def message(self) -> str:
        return MESSAGES.get(self.code, f"transfer restricted (code {self.code})")


def rule_set(row: AssetRules | None) -> ev.RuleSet:
    if row is None:
        return ev.RuleSet()
    return ev.RuleSet(
        allowed_countries=tuple(int(c) for c in row.allowed_countries),
        accredited_only=row.accredited_only,
        max_holders=int(row.max_holders),
        max_balance=int(row.max_balance),
        lockup_seconds=int(row.lockup_seconds),
    )


def holding(session: Session, asset_id: int, wallet: str) -> Holding:
    row = session.exec(
        select(HolderState).where(HolderState.asset_id == asset_id, HolderState.wallet == wallet)
    ).first()
    return _holding(row)


def _holding(row: HolderState | None) -> Holding:
    if row is None:
        return NO_HOLDING
    return Holding(
        balance=int(row.balance),
        frozen_tokens=int(row.frozen_tokens),
        wallet_frozen=row.wallet_frozen,
        locked_until=int(row.locked_until),
        locked_amount=int(row.locked_amount),
    )


@lru_cache(maxsize=512)
def _country_numeric(alpha2: str) -> int:
    try:
        return numeric_code(alpha2)
    except InvalidInput:  # "ZZ": an on-chain code pycountry does not know (registry_sync)
        return 0


def identity(investor: Investor | None) -> ev.InvestorRecord:
    """The IdentityRegistry record the Investor row mirrors (unregistered when absent)."""
    if investor is None or investor.status != InvestorStatus.APPROVED:
        return ev.UNREGISTERED
    return ev.InvestorRecord(
        registered=True,
        country=_country_numeric(investor.country),
        accredited=investor.accredited,
        kyc_expiry=kyc_expiry_timestamp(investor.kyc_expires),
    )


def investor_record(session: Session, wallet: str, frozen: bool) -> ev.InvestorRecord:
    if wallet == ZERO_ADDRESS:
        return ev.InvestorRecord(wallet_frozen=frozen)
    investor = session.exec(select(Investor).where(Investor.wallet == wallet)).first()
    return dataclasses.replace(identity(investor), wallet_frozen=frozen)


def state_of(session: Session, asset: Asset) -> ComplianceState:
    return session.get(ComplianceState, asset.id) or ComplianceState(asset_id=asset.id)  # type: ignore[arg-type]


def rules_of(session: Session, asset: Asset) -> ev.RuleSet:
    return rule_set(session.get(AssetRules, asset.id))


def asset_view(session: Session, asset: Asset, wallet: str) -> tuple[ComplianceState, Holding, ev.RuleSet]:
    """state_of, holding and rules_of in one query (order entry's pre-trade check): the
    asset's row drives outer joins to its state, the wallet's holding and its rule set."""
    found = session.exec(_ASSET_VIEW, params={"asset_id": asset.id, "wallet": wallet}).first()
    state, row, rules = found if found is not None else (None, None, None)
    return state or ComplianceState(asset_id=asset.id), _holding(row), rule_set(rules)  # type: ignore[arg-type]


_ASSET_VIEW = (
    select(ComplianceState, HolderState, AssetRules)
    .select_from(Asset)
    .outerjoin(ComplianceState, ComplianceState.asset_id == Asset.id)  # type: ignore[arg-type]
    .outerjoin(HolderState, (HolderState.asset_id == Asset.id) & (HolderState.wallet == bindparam("wallet")))  # type: ignore[arg-type]
    .outerjoin(AssetRules, AssetRules.asset_id == Asset.id)  # type: ignore[arg-type]
    .where(Asset.id == bindparam("asset_id"))
)  # built once: asset_view runs per order


def chain_now(state: ComplianceState, wall_clock: int | None = None) -> int:
    return max(int(time.time()) if wall_clock is None else wall_clock, state.block_timestamp)


def check_transfer(
    session: Session, *, asset: Asset, from_wallet: str, to_wallet: str, amount: int, now: int | None = None
) -> Verdict:
    """detectTransferRestriction(from, to, amount) from the mirror (checksummed wallets;
    the zero address as `from_wallet` is a mint)."""
    state = state_of(session, asset)
    sender, receiver = holding(session, asset.id, from_wallet), holding(session, asset.id, to_wallet)  # type: ignore[arg-type]
    code = ev.detect_restriction(
        rules=rules_of(session, asset),
        sender=investor_record(session, from_wallet, sender.wallet_frozen),
        receiver=investor_record(session, to_wallet, receiver.wallet_frozen),
        amount=amount,
        sender_balance=sender.balance,
        receiver_balance=receiver.balance,
        sender_frozen_tokens=sender.frozen_tokens,
        holder_count=state.holder_count,
        sender_locked_until=sender.locked_until,
        sender_locked_amount=sender.locked_amount,
        paused=state.paused,
        now=chain_now(state) if now is None else now,
        mint=from_wallet == ZERO_ADDRESS,
        same_wallet=from_wallet == to_wallet,
    )
    return Verdict(code=code, as_of_block=state.synced_block)
