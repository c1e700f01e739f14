"""Per-asset rule sets: written to the asset's ComplianceRules contract, mirrored in the DB.

API shape (PUT/GET /v1/assets/{symbol}/rules): countries ISO alpha-2, `max_balance` a
decimal string in asset units, 0 meaning "no cap" for both caps.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import Session

from backend.chain.client import Chain
from backend.compliance import mirror, sync
from backend.compliance.countries import alpha2_code, numeric_code
from backend.compliance.rules import UINT64_MAX, RuleSet
from backend.errors import ChainRejected, InvalidInput
from backend.models.assets import Asset
from backend.money import ASSET_DECIMALS, fmt_units, to_units

UINT256_MAX = 2**256 - 1


def build_rule_set(
    *, allowed_countries: list[str], accredited_only: bool, max_holders: int, max_balance: Decimal, lockup_seconds: int
) -> RuleSet:
    """Validate API values into the on-chain representation."""
    countries: list[int] = []
    for alpha2 in allowed_countries:
        number = numeric_code(alpha2)
        if number not in countries:
            countries.append(number)
    if not 0 <= max_holders <= UINT256_MAX:
        raise InvalidInput(
            "validation.invalid",
            "max_holders must be 0 (no cap) or a positive integer",
            details=[{"field": "max_holders"}],
        )
    if max_balance < 0:
        raise InvalidInput(
            "validation.invalid", "max_balance must be 0 (no cap) or positive", details=[{"field": "max_balance"}]
        )
    if not 0 <= lockup_seconds <= UINT64_MAX:
        raise InvalidInput(
            "validation.invalid", "lockup_seconds must be between 0 and 2^64-1", details=[{"field": "lockup_seconds"}]
        )
    return RuleSet(
        allowed_countries=tuple(countries),
        accredited_only=accredited_only,
        max_holders=max_holders,
        max_balance=to_units(max_balance, ASSET_DECIMALS),
        lockup_seconds=lockup_seconds,
    )


def set_rules(
    session: Session,
    chain: Chain,
    asset: Asset,
    *,
    allowed_countries: list[str],
    accredited_only: bool,
    max_holders: int,
    max_balance: Decimal,
    lockup_seconds: int,
) -> str:
    """setRules on the asset's ComplianceRules, then sync the mirror past it. Returns the tx hash."""
    rule_set = build_rule_set(
        allowed_countries=allowed_countries,
        accredited_only=accredited_only,
        max_holders=max_holders,
        max_balance=max_balance,
        lockup_seconds=lockup_seconds,
    )
    receipt = write_rules(chain, asset, rule_set)
    sync.sync(session, chain, asset, min_block=int(receipt["blockNumber"]))
    return receipt["transactionHash"].to_0x_hex()


def write_rules(chain: Chain, asset: Asset, rule_set: RuleSet) -> dict:
    contract = sync.rules_contract(chain, asset)
    try:
        return chain.transact(
            contract.functions.setRules(
                list(rule_set.allowed_countries),
                rule_set.accredited_only,
                rule_set.max_holders,
                rule_set.max_balance,
                rule_set.lockup_seconds,
            ),
            governance=True,  # the rules admin is the governance key (docs/security.md)
        )
    except ChainRejected as exc:
        raise ChainRejected(
            "compliance.rules_rejected", f"the chain refused the rule set: {exc.message}", details=exc.details
        ) from None


def get_rules(chain: Chain, asset: Asset) -> RuleSet:
    """The rule set the chain holds now (one eth_call)."""
    countries, accredited_only, max_holders, max_balance, lockup = chain.call(
        sync.rules_contract(chain, asset).functions.getRules()
    )
    return RuleSet(
        allowed_countries=tuple(int(c) for c in countries),
        accredited_only=bool(accredited_only),
        max_holders=int(max_holders),
        max_balance=int(max_balance),
        lockup_seconds=int(lockup),
    )


def mirrored_rules(session: Session, asset: Asset) -> RuleSet:
    """The rule set as the mirror has it (no RPC): what asset listings show."""
    return mirror.rules_of(session, asset)


def rules_public(rule_set: RuleSet) -> dict[str, Any]:
    return {
        "allowed_countries": [_alpha2(c) for c in rule_set.allowed_countries],
        "accredited_only": rule_set.accredited_only,
        "max_holders": rule_set.max_holders,
        "max_balance": fmt_units(rule_set.max_balance, ASSET_DECIMALS),
        "lockup_seconds": rule_set.lockup_seconds,
    }


def _alpha2(numeric: int) -> str:
    try:
        return alpha2_code(numeric)
    except InvalidInput:  # set on chain by someone else with a code pycountry does not know
        return f"{numeric:03d}"
