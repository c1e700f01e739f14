"""The compliance evaluator: ComplianceRules.detectTransferRestriction, in pure Python.

Pure: no I/O, no clock, integers only. The caller supplies every fact the contract
reads (registry records, token state, the rule set, the block timestamp) and gets the
same ERC-1404 code the chain would return. The order of the checks is the contract's,
first failing check wins (contracts/compliance/ComplianceRules.sol, documented in
contracts/interfaces/IComplianceRules.sol):

    10 paused | 9 from or to frozen | 1 from not registered (not on mint)
    2 to not registered | 3 from (not on mint) or to KYC expired (expiry <= now)
    4 to's country not allowed (empty list: all) | 5 accredited-only, to not accredited
    11 amount > balance(from) - frozenTokens(from), floored at 0 (not on mint)
    8 amount > that - lockedBalance(from) (not on mint) | from == to: 0
    7 maxBalance != 0 and balance(to) + amount > maxBalance
    6 maxHolders != 0, to holds nothing, amount > 0, from keeps a balance or mints,
      holderCount >= maxHolders

A lock (docs/compliance.md) is an amount with a release time; it counts while now < until
(`locked_balance`). Only mints create one; the mirror takes each wallet's lock from the
contract's LockUpdated events.

`sender_side` and `receiver_side` evaluate one party alone, in the same order, for the
pre-trade checks of orders whose counterparty is not known yet.
"""

from __future__ import annotations

from dataclasses import dataclass

OK = 0
SENDER_NOT_WHITELISTED = 1
RECEIVER_NOT_WHITELISTED = 2
KYC_EXPIRED = 3
COUNTRY_NOT_ALLOWED = 4
NOT_ACCREDITED = 5
MAX_HOLDERS = 6
MAX_BALANCE = 7
LOCKED_UP = 8
FROZEN = 9
PAUSED = 10
INSUFFICIENT_UNFROZEN = 11

UINT64_MAX = 2**64 - 1


@dataclass(frozen=True)
class InvestorRecord:
    """A wallet as the contract sees it: its IdentityRegistry record plus this token's
    whole-wallet freeze flag. The default is an unregistered, unfrozen wallet."""

    registered: bool = False
    country: int = 0  # ISO 3166 numeric
    accredited: bool = False
    kyc_expiry: int = 0  # unix seconds; KYC is current while kyc_expiry > now
    wallet_frozen: bool = False


UNREGISTERED = InvestorRecord()


@dataclass(frozen=True)
class RuleSet:
    """IComplianceRules.Rules. Zero caps mean "no cap"; an empty country list allows all."""

    allowed_countries: tuple[int, ...] = ()
    accredited_only: bool = False
    max_holders: int = 0
    max_balance: int = 0
    lockup_seconds: int = 0

    def country_ok(self, country: int) -> bool:
        return not self.allowed_countries or country in self.allowed_countries


def detect_restriction(
    *,
    rules: RuleSet,
    sender: InvestorRecord,
    receiver: InvestorRecord,
    amount: int,
    sender_balance: int,
    receiver_balance: int,
    sender_frozen_tokens: int,
    holder_count: int,
    sender_locked_until: int,
    sender_locked_amount: int,
    paused: bool,
    now: int,
    mint: bool = False,
    same_wallet: bool = False,
) -> int:
    """The code detectTransferRestriction(from, to, amount) returns at block time `now`.

    `mint` means from is the zero address (`sender` is then the zero address's record:
    only its freeze flag matters); `same_wallet` means from == to.
    """
    if paused:
        return PAUSED
    if sender.wallet_frozen or receiver.wallet_frozen:
        return FROZEN
    if not mint and not sender.registered:
        return SENDER_NOT_WHITELISTED
    if not receiver.registered:
        return RECEIVER_NOT_WHITELISTED
    if (not mint and sender.kyc_expiry <= now) or receiver.kyc_expiry <= now:
        return KYC_EXPIRED
    if not rules.country_ok(receiver.country):
        return COUNTRY_NOT_ALLOWED
    if rules.accredited_only and not receiver.accredited:
        return NOT_ACCREDITED
    if not mint:
        unfrozen = max(sender_balance - sender_frozen_tokens, 0)
        if amount > unfrozen:
            return INSUFFICIENT_UNFROZEN
        if locked_balance(amount=sender_locked_amount, until=sender_locked_until, now=now) > unfrozen - amount:
            return LOCKED_UP
    if same_wallet:
        return OK
    if rules.max_balance and receiver_balance + amount > rules.max_balance:
        return MAX_BALANCE
    if (
        rules.max_holders
        and receiver_balance == 0
        and amount != 0
        and (mint or sender_balance > amount)
        and holder_count >= rules.max_holders
    ):
        return MAX_HOLDERS
    return OK


def sender_side(
    *,
    sender: InvestorRecord,
    amount: int,
    balance: int,
    frozen_tokens: int,
    locked_until: int,
    locked_amount: int,
    paused: bool,
    now: int,
) -> int:
    """The checks a sell order can make before its buyer is known (codes 10, 9, 1, 3, 11, 8)."""
    if paused:
        return PAUSED
    if sender.wallet_frozen:
        return FROZEN
    if not sender.registered:
        return SENDER_NOT_WHITELISTED
    if sender.kyc_expiry <= now:
        return KYC_EXPIRED
    unfrozen = max(balance - frozen_tokens, 0)
    if amount > unfrozen:
        return INSUFFICIENT_UNFROZEN
    if locked_balance(amount=locked_amount, until=locked_until, now=now) > unfrozen - amount:
        return LOCKED_UP
    return OK


def receiver_side(
    *, rules: RuleSet, receiver: InvestorRecord, amount: int, balance: int, holder_count: int, paused: bool, now: int
) -> int:
    """The checks a buy order can make before its seller is known (codes 10, 9, 2, 3, 4, 5, 7, 6).

    `balance` is what the receiver will hold before this amount arrives (on chain plus
    what it has already committed to buy). For the holder cap the seller is assumed to
    keep a balance, so a new holder at the cap is refused (conservative).
    """
    if paused:
        return PAUSED
    if receiver.wallet_frozen:
        return FROZEN
    if not receiver.registered:
        return RECEIVER_NOT_WHITELISTED
    if receiver.kyc_expiry <= now:
        return KYC_EXPIRED
    if not rules.country_ok(receiver.country):
        return COUNTRY_NOT_ALLOWED
    if rules.accredited_only and not receiver.accredited:
        return NOT_ACCREDITED
    if rules.max_balance and balance + amount > rules.max_balance:
        return MAX_BALANCE
    if rules.max_holders and balance == 0 and amount != 0 and holder_count >= rules.max_holders:
        return MAX_HOLDERS
    return OK


def locked_balance(*, amount: int, until: int, now: int) -> int:
    """ComplianceRules.lockedBalance: the locked amount while now < until, else 0."""
    return amount if now < until else 0
