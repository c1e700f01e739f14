"""Reconciliation: on-chain balances against the venue's own ledger, per asset (and cash) and wallet.

Two checks per row, both must hold:

- the ledger (backend/settlement/ledger.py): what the wallet should hold from the venue's
  records (issuance and governance actions in the audit log, settled trades, distributions,
  test cash) against balanceOf at one block, the chain head when the run starts. A settlement
  bug (netting included), an altered trade record or a transfer behind the venue's back shows
  up here. Trades still on their way to the chain (pending or submitted) are `settling`: a
  row whose balance already includes them (mined, not yet marked settled) still agrees;
- the compliance mirror (backend/compliance/mirror.py, assets only): its balance against the
  chain's at the block the mirror is synced to, so a chain that moves on while we read never
  shows up as a difference.

`rwa reconcile` prints this report (exit 0 when every row agrees, 1 otherwise) and the
demo's summary shows the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlmodel import Session, select

from backend.assets.service import list_assets, token_contract
from backend.chain.client import Chain
from backend.compliance import sync
from backend.models.assets import Asset
from backend.models.compliance import ComplianceState, HolderState, Investor
from backend.settlement import ledger as venue_ledger
from backend.settlement.ledger import CASH, ZERO, Movement, Progress


@dataclass(frozen=True)
class PositionRow:
    symbol: str  # an asset's, or CASH
    wallet: str
    holder: str  # the investor's name, "issuer", a venue contract, or "" for a wallet the database does not know
    block: int
    onchain: int  # units (18 decimals for an asset, 6 for cash) at `block`
    ledger: int  # what the venue's records say, at `block`
    settling: int  # net units of pending/submitted trades
    mirror: int | None = None  # the compliance mirror's balance (assets only)
    mirror_onchain: int | None = None  # the chain's balance at the mirror's block

    @property
    def ledger_agrees(self) -> bool:
        return self.onchain == self.ledger or (self.settling != 0 and self.onchain == self.ledger + self.settling)

    @property
    def mirror_agrees(self) -> bool:
        return self.mirror is None or self.mirror == self.mirror_onchain

    @property
    def agrees(self) -> bool:
        return self.ledger_agrees and self.mirror_agrees

    @property
    def difference(self) -> int:
        """On chain minus ledger (0 when the row agrees with the ledger)."""
        return 0 if self.ledger_agrees else self.onchain - self.ledger


@dataclass
class Report:
    rows: list[PositionRow] = field(default_factory=list)
    blocks: dict[str, int] = field(default_factory=dict)
    hidden_zero_rows: int = 0
    block: int = 0
    unexplained: list[Movement] = field(default_factory=list)  # transfers no venue record explains

    @property
    def ok(self) -> bool:
        """Every row agrees and no transfer is left that the venue's records do not explain
        (two such transfers can cancel out in the balances)."""
        return all(row.agrees for row in self.rows) and not self.unexplained

    @property
    def differences(self) -> list[PositionRow]:
        return [row for row in self.rows if not row.agrees]

    @property
    def asset_rows(self) -> list[PositionRow]:
        return [row for row in self.rows if row.symbol != CASH]

    @property
    def cash_rows(self) -> list[PositionRow]:
        return [row for row in self.rows if row.symbol == CASH]


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
    wallets: set[str] | None = None,
    progress: Progress | None = None,
) -> Report:
    """Compare every known wallet's position in each asset (and in cash) with the chain.

    `symbols` restricts the assets (CASH for cash; all of them and cash when None); `wallets`
    the rows. `sync_first` brings the mirror to the chain head first, exactly as the service's
    worker would (so a lagging mirror is not reported as a difference); without it the mirror
    is compared as it stands. Rows where both sides are zero and nothing is settling are left
    out unless `include_zero`.
    """
    say = progress or (lambda _message: None)
    report = Report()
    investors = list(session.exec(select(Investor)))
    names = {i.wallet: i.name for i in investors}
    contracts = chain.deployment.contracts
    names |= {contracts["revenue_distributor"]: "(revenue distributor)", contracts["settlement_exchange"]: "(exchange)"}
    assets = [a for a in list_assets(session) if not symbols or a.symbol in symbols]
    mirrors = _mirrors(session, chain, assets, sync_first=sync_first, say=say)
    report.blocks = {symbol: block for symbol, (block, _) in mirrors.items()}
    report.block = chain.block_number()
    wanted = set(symbols) if symbols else None
    book = venue_ledger.build(session, chain, block=report.block, symbols=wanted, progress=say)
    report.unexplained = [m for m in book.unexplained if wallets is None or {m.sender, m.receiver} & wallets]
    tokens: list[tuple[str, Any, Asset | None]] = [(a.symbol, token_contract(chain, a), a) for a in assets]
    if wanted is None or CASH in wanted:
        tokens.append((CASH, chain.core("cash_token"), None))
    for symbol, token, listed in tokens:
        mirror_block, mirrored = mirrors.get(symbol, (0, {}))
        candidates = (
            set(book.expected.get(symbol, {}))
            | set(book.settling.get(symbol, {}))
            | book.touched.get(symbol, set())
            | set(mirrored)
            | set(names)
        ) - {ZERO}
        if wallets is not None:
            candidates &= wallets
        say(f"reading {len(candidates)} balances of {symbol}")
        for wallet in sorted(candidates, key=lambda w: (w not in names, names.get(w, ""), w)):
            holder = names.get(wallet) or ("issuer" if listed and wallet == listed.issuer_wallet else "")
            row = PositionRow(
                symbol=symbol,
                wallet=wallet,
                holder=holder,
                block=report.block,
                onchain=_balance(chain, token, wallet, report.block),
                ledger=book.expected.get(symbol, {}).get(wallet, 0),
                settling=book.settling.get(symbol, {}).get(wallet, 0),
            )
            if listed is not None:
                at_mirror = (
                    row.onchain if mirror_block == report.block else _balance(chain, token, wallet, mirror_block)
                )
                row = replace(row, mirror=mirrored.get(wallet, 0), mirror_onchain=at_mirror)
            if not include_zero and row.agrees and not (row.onchain or row.settling or row.ledger):
                report.hidden_zero_rows += 1
                continue
            report.rows.append(row)
    return report


def _mirrors(
    session: Session, chain: Chain, assets: list[Asset], *, sync_first: bool, say: Progress
) -> dict[str, tuple[int, dict[str, int]]]:
    """(synced block, balances) of each asset's mirror, synced to the head first if asked."""
    mirrors = {}
    for asset in assets:
        if sync_first:
            say(f"syncing the compliance mirror of {asset.symbol}")
            sync.sync(session, chain, asset)
        mirrors[asset.symbol] = _mirror_snapshot(session, asset)
    return mirrors


def _balance(chain: Chain, token: Any, wallet: str, block: int) -> int:
    return int(chain.call(token.functions.balanceOf(wallet), block=block)) if block else 0
