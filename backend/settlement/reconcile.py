"""Reconciliation: the database's positions against on-chain balances, per asset and wallet.

The database position of a wallet in an asset is the compliance mirror's balance (the
event-sourced projection of the token, backend/compliance/mirror.py) plus the trades of
the venue still on their way to the chain (pending or submitted settlements: + bought,
- sold). The comparison is made at one block per asset: the block the mirror is synced
to, so a chain that moves on while we read never shows up as a difference. A row agrees
when the chain's balance at that block equals the mirror's; `settling` is what the
wallet's balance will still change by once the venue's outbox drains.

`rwa reconcile` prints this report (exit 0 when every row agrees, 1 otherwise) and the
demo's summary shows the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from backend.assets.service import list_assets, token_contract
from backend.assets.units import lots_units
from backend.chain.client import Chain
from backend.compliance import sync
from backend.compliance.mirror import ZERO_ADDRESS
from backend.models.assets import Asset
from backend.models.compliance import ComplianceState, HolderState, Investor
from backend.models.settlement import TradeRecord
from backend.statuses import UNSETTLED


@dataclass(frozen=True)
class PositionRow:
    symbol: str
    wallet: str
    holder: str  # the investor's name, "issuer", or "" for a wallet the database does not know
    block: int
    onchain: int  # asset units (18 decimals) at `block`
    mirror: int
    settling: int  # net units of pending/submitted trades

    @property
    def db_position(self) -> int:
        """What the database says the wallet holds once its trades have settled."""
        return self.mirror + self.settling

    @property
    def agrees(self) -> bool:
        return self.onchain == self.mirror


@dataclass
class Report:
    rows: list[PositionRow] = field(default_factory=list)
    blocks: dict[str, int] = field(default_factory=dict)
    hidden_zero_rows: int = 0

    @property
    def ok(self) -> bool:
        return all(row.agrees for row in self.rows)

    @property
    def differences(self) -> list[PositionRow]:
        return [row for row in self.rows if not row.agrees]


def settling_units(session: Session, asset: Asset, wallets_by_investor: dict[int, str]) -> dict[str, int]:
    """Net asset units per wallet of the asset's trades not yet settled on chain."""
    net: dict[str, int] = {}
    for trade in session.exec(
        select(TradeRecord).where(TradeRecord.symbol == asset.symbol, col(TradeRecord.settlement_status).in_(UNSETTLED))
    ):
        units = lots_units(asset, trade.quantity_lots)
        buyer = wallets_by_investor.get(trade.buyer_investor_id)
        seller = wallets_by_investor.get(trade.seller_investor_id)
        if buyer:
            net[buyer] = net.get(buyer, 0) + units
        if seller:
            net[seller] = net.get(seller, 0) - units
    return net


def _mirror_snapshot(session: Session, asset: Asset, attempts: int = 5) -> tuple[int, dict[str, int]]:
    """(synced block, balances) read consistently: retried if a concurrent sync moved the block."""
    block, balances = 0, {}
    for _ in range(attempts):
        session.expire_all()
        state = session.get(ComplianceState, asset.id)
        block = state.synced_block if state else 0
        balances = {
            h.wallet: int(h.balance) for h in session.exec(select(HolderState).where(HolderState.asset_id == asset.id))
        }
        session.expire_all()
        after = session.get(ComplianceState, asset.id)
        if (after.synced_block if after else 0) == block:
            break
    return block, balances


def reconcile(
    session: Session,
    chain: Chain,
    *,
    symbols: list[str] | None = None,
    sync_first: bool = True,
    include_zero: bool = False,
) -> Report:
    """Compare every investor's (and every other holder's) position in each asset.

    `sync_first` brings the mirror to the chain head first, exactly as the service's worker
    would (so a lagging mirror is not reported as a difference); without it the mirror is
    compared as it stands, at the block it is synced to. Rows where both sides are zero
    and nothing is settling are left out unless `include_zero`.
    """
    report = Report()
    investors = list(session.exec(select(Investor)))
    names = {i.wallet: i.name for i in investors}
    wallets_by_investor = {i.id: i.wallet for i in investors if i.id is not None}
    for asset in list_assets(session):
        if symbols and asset.symbol not in symbols:
            continue
        if sync_first:
            sync.sync(session, chain, asset)
        block, mirrored = _mirror_snapshot(session, asset)
        report.blocks[asset.symbol] = block
        settling = settling_units(session, asset, wallets_by_investor)
        wallets = (set(mirrored) | set(names) | set(settling)) - {ZERO_ADDRESS}
        token = token_contract(chain, asset)
        for wallet in sorted(wallets, key=lambda w: (w not in names, names.get(w, ""), w)):
            onchain = int(chain.call(token.functions.balanceOf(wallet), block=block)) if block else 0
            row = PositionRow(
                symbol=asset.symbol,
                wallet=wallet,
                holder=names.get(wallet) or ("issuer" if wallet == asset.issuer_wallet else ""),
                block=block,
                onchain=onchain,
                mirror=mirrored.get(wallet, 0),
                settling=settling.get(wallet, 0),
            )
            if not include_zero and row.agrees and not (row.onchain or row.settling):
                report.hidden_zero_rows += 1
                continue
            report.rows.append(row)
    return report
