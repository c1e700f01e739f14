"""Whole-wallet freezes across every listed asset (each token's agent action), mirrored at once."""

from __future__ import annotations

from sqlmodel import Session, select

from backend.chain.client import Chain
from backend.compliance.sync import sync, token_contract
from backend.models.assets import Asset


def set_wallet_frozen_everywhere(session: Session, chain: Chain, *, wallet: str, frozen: bool) -> None:
    for asset in session.exec(select(Asset).order_by(Asset.id)).all():  # type: ignore[arg-type]
        fn = token_contract(chain, asset).functions.setWalletFrozen(wallet, frozen)
        receipt = chain.transact(fn, governance=True)  # the asset agent is the governance key
        sync(session, chain, asset, min_block=int(receipt["blockNumber"]))
