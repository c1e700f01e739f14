"""Revenue distributions: deposit cash for an asset's holders, list them, read a holder's share.

Funding: the asset's issuer pays, from its own wallet (funding.py: the issuer's wallet signs
the cash approval and the deposit, the service relays them, or the node signs for an unlocked
development account). There is no shared operator balance and no depositor role.

One deposit at a time per process (a lock around balance check, top-up, approval and the
deposit transaction), so two concurrent deposits never count the same balance twice.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select
from web3.logs import DISCARD

from backend.assets.service import issued_supply
from backend.auth.service import Principal, require_asset_authority
from backend.chain.client import TRANSIENT, Chain
from backend.distributions import funding
from backend.errors import ChainRejected, Conflict, DomainError, InvalidInput, Unavailable
from backend.models.assets import Asset
from backend.models.distributions import MEMO_MAX, Distribution, kind_label
from backend.money import CASH_DECIMALS, fmt, fmt_units
from backend.statuses import DistributionStatus

_deposit_lock = threading.Lock()


# --- pure rules ----------------------------------------------------------------------
def clean_memo(memo: str | None) -> str:
    """Trimmed, printable, at most MEMO_MAX characters (it is stored on chain in the event)."""
    text = (memo or "").strip()
    if len(text) > MEMO_MAX:
        raise InvalidInput(
            "validation.invalid", f"memo may have at most {MEMO_MAX} characters", details=[{"field": "memo"}]
        )
    if not text.isprintable():
        raise InvalidInput("validation.invalid", "memo may not contain control characters", details=[{"field": "memo"}])
    return text


def cash_units(amount: Decimal) -> int:
    """Cash amount -> integer units of the 6-decimal cash token (more places are refused)."""
    scaled = amount.scaleb(CASH_DECIMALS)
    if amount <= 0 or scaled != scaled.to_integral_value():
        raise InvalidInput(
            "validation.invalid",
            f"amount must be positive with at most {CASH_DECIMALS} decimal places",
            details=[{"field": "amount"}],
        )
    return int(scaled)


def distribution_public(row: Distribution) -> dict[str, Any]:
    return {
        "id": row.id,
        "symbol": row.symbol,
        "kind": row.kind,
        "amount": row.amount,
        "memo": row.memo,
        "status": row.status,
        "distribution_id": row.distribution_id,
        "holder_count": row.holder_count,
        "tx_hash": row.tx_hash,
        "block_number": row.block_number,
        "created_at": row.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


# --- deposit -------------------------------------------------------------------------
def deposit(
    session: Session,
    chain: Chain,
    *,
    asset: Asset,
    principal: Principal,
    amount: Decimal,
    memo: str | None = None,
    signed_approval: str | None = None,
    signed_transaction: str | None = None,
) -> Distribution:
    """The issuer's wallet pays RevenueDistributor.deposit(asset, amount, memo); record the row.

    The row is "confirmed" with its distribution_id when mined in time; "pending" (with its
    tx_hash) after a chain timeout - refresh() settles it later; deleted if it reverted.
    """
    require_asset_authority(
        principal, issuer_wallet=asset.issuer_wallet, symbol=asset.symbol, action="distribute revenue"
    )
    units = cash_units(amount)
    memo = clean_memo(memo)
    if issued_supply(chain, asset) == 0:  # the contract would revert RevenueDistributorNoSupply
        raise Conflict("distribution.no_holders", f"{asset.symbol} has no issued supply: there is nobody to pay")
    created_by = "admin" if principal.role == "admin" else f"{principal.role}:{principal.key_id}"
    with _deposit_lock:
        tx_hash = funding.pay_in(
            chain,
            asset=asset,
            units=units,
            memo=memo,
            signed_approval=signed_approval,
            signed_transaction=signed_transaction,
        )
        row = Distribution(
            symbol=asset.symbol,
            kind=kind_label(asset.kind),
            amount=fmt(amount),
            memo=memo,
            tx_hash=tx_hash,
            created_by=created_by,
        )
        session.add(row)
        session.commit()
        try:
            receipt = chain.wait(tx_hash)
        except ChainRejected:
            _forget(session, row)
            raise
        except DomainError:
            return row  # not mined in time: stays pending with its tx_hash
    _confirm(session, chain, asset, row, receipt)
    return row


def _confirm(session: Session, chain: Chain, asset: Asset, row: Distribution, receipt: dict) -> None:
    distributor = chain.core("revenue_distributor")
    events = [
        e["args"]
        for e in distributor.events.RevenueDeposited().process_receipt(receipt, errors=DISCARD)
        if e["address"].lower() == distributor.address.lower()
    ]
    if events:
        row.distribution_id = int(events[0]["distributionId"])
    row.block_number = int(receipt["blockNumber"])
    row.holder_count = _holder_count(chain, asset, row.block_number)
    row.status = DistributionStatus.CONFIRMED
    session.add(row)
    session.commit()


def _holder_count(chain: Chain, asset: Asset, block: int) -> int | None:
    rules = chain.contract("ComplianceRules", asset.rules_address)
    try:
        return int(chain.call(rules.functions.holderCount(), block=block))
    except DomainError:
        return None  # a node without that block's state: the count is informative only


def _forget(session: Session, row: Distribution) -> None:
    session.delete(row)
    session.commit()


def refresh(session: Session, chain: Chain, asset: Asset, row: Distribution) -> None:
    """Settle a pending row from the chain (chain wins): mined -> confirmed, reverted -> gone."""
    if row.status != DistributionStatus.PENDING or not row.tx_hash:
        return
    receipt = chain.receipt_or_none(row.tx_hash)
    if receipt is None:
        return
    if receipt["status"] == 1:
        _confirm(session, chain, asset, row, receipt)
    else:
        _forget(session, row)


# --- reading -------------------------------------------------------------------------
def list_distributions(session: Session, chain: Chain | None, *, asset: Asset, limit: int = 100) -> list[Distribution]:
    """Newest first; pending rows are settled from the chain first when it answers."""

    def query() -> list[Distribution]:
        return list(
            session.exec(
                select(Distribution)
                .where(Distribution.symbol == asset.symbol)
                .order_by(col(Distribution.created_at).desc(), col(Distribution.id).desc())
                .limit(limit)
            )
        )

    rows = query()
    if chain is not None and any(r.status == DistributionStatus.PENDING for r in rows):
        for row in [r for r in rows if r.status == DistributionStatus.PENDING]:
            try:
                refresh(session, chain, asset, row)
            except DomainError:
                pass  # chain unreachable: list what we know, still pending
        rows = query()
    return rows


def totals(chain: Chain, *, asset: Asset) -> dict[str, str]:
    """Cash deposited for and claimed by the asset's holders, from the contract."""
    distributor = chain.core("revenue_distributor")
    deposited = int(chain.call(distributor.functions.totalDeposited(asset.token_address)))
    claimed = int(chain.call(distributor.functions.totalClaimed(asset.token_address)))
    return {
        "total_distributed": fmt_units(deposited, CASH_DECIMALS),
        "total_claimed": fmt_units(claimed, CASH_DECIMALS),
    }


def claimable_units(chain: Chain, *, asset: Asset, wallet: str) -> int:
    distributor = chain.core("revenue_distributor")
    return int(chain.call(distributor.functions.claimable(asset.token_address, wallet)))


def claimed_units(chain: Chain, *, asset: Asset, wallet: str) -> int:
    """What `wallet` has claimed for `asset` so far: its RevenueClaimed events on chain.

    A filtered log query from the deployment block (both arguments are indexed); claims made
    straight from a wallet count as much as relayed ones.
    """
    event = chain.core("revenue_distributor").events.RevenueClaimed
    try:
        logs = event.get_logs(
            argument_filters={"asset": asset.token_address, "holder": wallet}, from_block=chain.deployment.block
        )
    except TRANSIENT as exc:
        raise Unavailable("chain.unavailable", f"chain node unreachable: {exc}") from None
    return sum(int(log["args"]["amount"]) for log in logs)


def holder_position(chain: Chain, *, asset: Asset, wallet: str) -> dict[str, str]:
    """`wallet`'s claimable and claimed cash for `asset`, decimal strings."""
    return {
        "wallet": wallet,
        "claimable": fmt_units(claimable_units(chain, asset=asset, wallet=wallet), CASH_DECIMALS),
        "claimed": fmt_units(claimed_units(chain, asset=asset, wallet=wallet), CASH_DECIMALS),
    }
