"""Privileged actions on an asset, signed with the governance key (the asset's agent and
rules admin): whole and partial freezes, pause, forced transfer, mint, burn, rule changes;
and market halts. Each checks its input first, sends, and appends only once mined."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import Session

from backend.assets.service import get_asset, issued_supply, token_contract
from backend.chain.client import Chain
from backend.compliance import rulesets
from backend.compliance.codes import translate_chain_error
from backend.compliance.sync import sync as compliance_sync
from backend.disclosures.store import ContentStore
from backend.errors import ChainRejected, Conflict
from backend.governance.common import (
    Reason,
    agent_call,
    document_hash,
    known_investor,
    reason_args,
    record,
    require_governance,
    units,
)
from backend.models.assets import Asset
from backend.models.governance import AuditEntry
from backend.money import ASSET_DECIMALS, fmt, to_units
from backend.trading import halts, revocations
from backend.trading.sequencer import Venue


def _send(session: Session, chain: Chain, asset: Asset, fn: Any) -> dict:
    """Send as the governance key, translate a refusal, sync the asset's mirror past it."""
    try:
        receipt = chain.transact(fn, governance=True)
    except ChainRejected as exc:
        raise translate_chain_error(exc) from None
    compliance_sync(session, chain, asset, min_block=int(receipt["blockNumber"]))
    return receipt


def set_wallet_frozen(
    session: Session, chain: Chain, venue: Venue | None, *, reason: Reason, symbol: str, wallet: str, frozen: bool
) -> AuditEntry:
    asset = get_asset(session, symbol)
    investor = known_investor(session, wallet)
    require_governance(chain)
    token = token_contract(chain, asset)
    fn = agent_call(token, "setWalletFrozen", ["address", "bool"], [investor.wallet, frozen], reason_args(reason))
    receipt = _send(session, chain, asset, fn)
    if frozen and venue is not None:
        revocations.cancel_investor_orders(
            session,
            venue,
            investor_id=investor.id,  # type: ignore[arg-type]
            reason=revocations.FROZEN,
            symbols=[asset.symbol],
        )
    action = "wallet.freeze" if frozen else "wallet.unfreeze"
    return record(session, reason, action, asset=asset.symbol, wallet=investor.wallet, receipt=receipt)


def freeze_tokens(
    session: Session,
    chain: Chain,
    *,
    reason: Reason,
    symbol: str,
    wallet: str,
    quantity: Decimal,
    freeze: bool,
    venue: Venue | None = None,
) -> AuditEntry:
    """Freeze (or release) `quantity` of the wallet's tokens. With the `venue`, a freeze cancels
    its resting sells that the unfrozen rest can no longer deliver (newest first, cancel_reason
    "frozen"); elsewhere (`rwa admin freeze-partial`) the service's watcher sweep does it."""
    asset = get_asset(session, symbol)
    investor = known_investor(session, wallet)
    amount = units(quantity)
    require_governance(chain)
    name = "freezePartialTokens" if freeze else "unfreezePartialTokens"
    fn = agent_call(
        token_contract(chain, asset), name, ["address", "uint256"], [investor.wallet, amount], reason_args(reason)
    )
    receipt = _send(session, chain, asset, fn)  # the mirror now holds the frozen amount
    if freeze and venue is not None:
        revocations.trim_sells(session, venue, investor_id=investor.id, wallet=investor.wallet, asset=asset)  # type: ignore[arg-type]
    action = "tokens.freeze" if freeze else "tokens.unfreeze"
    return record(session, reason, action, asset=asset.symbol, wallet=investor.wallet, receipt=receipt)


def set_paused(session: Session, chain: Chain, *, reason: Reason, symbol: str, paused: bool) -> AuditEntry:
    asset = get_asset(session, symbol)
    require_governance(chain)
    fn = agent_call(token_contract(chain, asset), "pause" if paused else "unpause", [], [], reason_args(reason))
    receipt = _send(session, chain, asset, fn)
    return record(session, reason, "asset.pause" if paused else "asset.unpause", asset=asset.symbol, receipt=receipt)


def forced_transfer(
    session: Session,
    chain: Chain,
    store: ContentStore,
    *,
    reason: Reason,
    symbol: str,
    from_wallet: str,
    to_wallet: str,
    quantity: Decimal,
    document: str | None,
) -> AuditEntry:
    asset = get_asset(session, symbol)
    sender = known_investor(session, from_wallet, field="from_wallet")
    receiver = known_investor(session, to_wallet, field="to_wallet")
    amount = units(quantity)
    digest = document_hash(store, document)
    require_governance(chain)
    fn = agent_call(
        token_contract(chain, asset),
        "forcedTransfer",
        ["address", "address", "uint256"],
        [sender.wallet, receiver.wallet, amount],
        reason_args(reason, ("bytes32", bytes.fromhex(digest))),
    )
    receipt = _send(session, chain, asset, fn)
    return record(
        session,
        reason,
        "asset.forced_transfer",
        asset=asset.symbol,
        wallet=sender.wallet,
        document_hash=digest,
        receipt=receipt,
    )


def mint_or_burn(
    session: Session, chain: Chain, *, reason: Reason, symbol: str, wallet: str, quantity: Decimal, mint: bool
) -> AuditEntry:
    asset = get_asset(session, symbol)
    investor = known_investor(session, wallet)
    amount = units(quantity)
    require_governance(chain)
    if mint and issued_supply(chain, asset) + amount > to_units(Decimal(asset.total_supply), ASSET_DECIMALS):
        raise Conflict(
            "asset.supply_exceeded", f"minting {fmt(quantity)} would exceed the total supply of {asset.total_supply}"
        )
    name = "mint" if mint else "burn"
    fn = agent_call(
        token_contract(chain, asset), name, ["address", "uint256"], [investor.wallet, amount], reason_args(reason)
    )
    receipt = _send(session, chain, asset, fn)
    return record(
        session,
        reason,
        "asset.mint" if mint else "asset.burn",
        asset=asset.symbol,
        wallet=investor.wallet,
        receipt=receipt,
    )


def set_rules(session: Session, chain: Chain, *, reason: Reason, symbol: str, rules: dict[str, Any]) -> AuditEntry:
    asset = get_asset(session, symbol)
    require_governance(chain)
    tx_hash = rulesets.set_rules(session, chain, asset, **rules)
    return record(session, reason, "asset.rules", asset=asset.symbol, receipt={"transactionHash": _Hex(tx_hash)})


def halt_or_resume(session: Session, venue: Venue, *, reason: Reason, symbol: str, halt: bool) -> AuditEntry:
    asset = get_asset(session, symbol)
    if halt:
        halts.halt_market(session, venue, asset)
    else:
        halts.resume_market(session, venue, asset)
    return record(session, reason, "market.halt" if halt else "market.resume", asset=asset.symbol)


class _Hex(str):
    """A tx hash string that answers to_0x_hex() like the receipt's HexBytes."""

    def to_0x_hex(self) -> str:
        return str(self)
