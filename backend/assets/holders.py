"""Who holds an asset, and what is frozen: the operator console's view of one token.

The chain is the truth: the wallets come from the token's own events (transfers, freezes,
recoveries) since the asset was created, and each wallet's balance, whole-wallet freeze and
partially frozen amount are read from the token, not from any copy the service keeps.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select
from web3 import Web3

from backend.assets.service import token_contract
from backend.chain.client import Chain
from backend.models.assets import Asset
from backend.models.compliance import Investor
from backend.money import ASSET_DECIMALS, fmt_units

# Events whose indexed topics are wallets that may hold, or be frozen in, the token.
_WALLET_EVENTS = {
    Web3.keccak(text=signature).to_0x_hex()
    for signature in (
        "Transfer(address,address,uint256)",
        "WalletFrozen(address,bool)",
        "TokensFrozen(address,uint256)",
        "TokensUnfrozen(address,uint256)",
        "WalletRecovered(address,address,uint256)",
    )
}
_ZERO = "0x" + "0" * 40


def _topic_hex(topic: Any) -> str:
    return topic.to_0x_hex() if hasattr(topic, "to_0x_hex") else str(topic)


def _wallets_seen(chain: Chain, asset: Asset) -> list[str]:
    """Every wallet the token's events name, in the order first seen."""
    receipt = chain.receipt_or_none(asset.tx_hash) if asset.tx_hash else None
    start = int(receipt["blockNumber"]) if receipt else 0
    seen: dict[str, None] = {}
    for log in chain.logs(addresses=[asset.token_address], from_block=start, to_block=chain.block_number()):
        topics = [_topic_hex(t) for t in log["topics"]]
        if not topics or topics[0] not in _WALLET_EVENTS:
            continue
        for topic in topics[1:]:
            wallet = Web3.to_checksum_address("0x" + topic[-40:])
            if wallet.lower() != _ZERO:
                seen.setdefault(wallet, None)
    return list(seen)


def paused(chain: Chain, *, asset: Asset) -> bool:
    return bool(chain.call(token_contract(chain, asset).functions.paused()))


def wallet_states(session: Session, chain: Chain, *, asset: Asset) -> list[dict[str, Any]]:
    """Each wallet that holds the asset or has anything frozen in it: balance, frozen, frozen
    quantity, and the venue's investor for the wallet (None if the venue has none)."""
    token = token_contract(chain, asset)
    wallets = _wallets_seen(chain, asset)
    found: Iterable[Investor] = (
        session.exec(select(Investor).where(col(Investor.wallet).in_(wallets))) if wallets else []
    )
    investors = {i.wallet.lower(): i for i in found}
    states = []
    for wallet in wallets:
        balance = int(chain.call(token.functions.balanceOf(wallet)))
        frozen = bool(chain.call(token.functions.isFrozen(wallet)))
        frozen_units = int(chain.call(token.functions.frozenTokens(wallet)))
        if not (balance or frozen or frozen_units):
            continue
        investor = investors.get(wallet.lower())
        states.append(
            {
                "wallet": wallet,
                "investor_id": investor.id if investor else None,
                "name": investor.name if investor else None,
                "balance": fmt_units(balance, ASSET_DECIMALS),
                "frozen": frozen,
                "frozen_quantity": fmt_units(frozen_units, ASSET_DECIMALS),
            }
        )
    return states
