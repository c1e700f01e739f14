"""The funds rule of order entry: what a wallet may commit to a new order.

    available = balance - frozen - (this investor's reservations: open orders and unsettled trades)
                - what left the wallet in trades settled since a stand-in reading was taken

A buy needs that much cash (and allowance); a sell that many units and also may not reach into
tokens in lock-up (code 8, `compliance.lockup`): locked is the larger of the compliance mirror's
lock and the chain's, when read live. The reading comes from balances.BalanceReader: live, or a
stand-in (follow: the balance follower's position; cache, busy, fallback). A stand-in can only
make the venue accept: an order it cannot pay for is read again live, however long the node
takes, before it is refused. Counting a trade
settled around the reading's time twice is conservative, never not at all; what moves outside
the venue while the node cannot be read is caught by settlement (codes 9 and 10).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from backend.assets.service import get_asset, token_contract
from backend.chain.client import Chain
from backend.compliance import mirror
from backend.compliance.codes import restriction_error
from backend.compliance.rules import locked_balance
from backend.errors import DomainError, Refused
from backend.matching import Side
from backend.models.assets import Asset
from backend.models.compliance import Investor
from backend.models.settlement import TradeRecord
from backend.models.trading import FundsSnapshot
from backend.statuses import SettlementStatus
from backend.trading import reservations
from backend.trading.balances import RECHECKED_LIVE, BalanceReader, Reading
from backend.trading.pretrade import ComplianceSnapshot


class AssetsBySymbol(dict[str, Asset]):
    """The assets an investor's reservations name, each looked up when first needed (with the
    request's memo of get_asset, the order's own market costs no query) instead of all of them."""

    def __init__(self, session: Session):
        super().__init__()
        self._session = session

    def __missing__(self, symbol: str) -> Asset:
        asset = self[symbol] = get_asset(self._session, symbol)
        return asset


@dataclass(frozen=True)
class Claim:
    """What an order asks of its wallet in one token, and what the wallet has committed already."""

    token: Any  # the token contract (its .address): cash for a buy, the asset for a sell
    need: int  # units this order may take
    reserved: int  # units the investor's open orders and unsettled trades hold
    mirror_locked: int  # units in lock-up per the compliance mirror (0 for cash)
    short: DomainError  # the refusal when the balance falls short
    out_since: Callable[[datetime], int]  # units that left in trades settled after a time
    frozen: bool = False  # read frozenTokens (asset tokens have it, cash does not)
    lock_at: str | None = None  # the asset's ComplianceRules, for the chain's lockedBalance


def refusal(claim: Claim, reading: Reading) -> DomainError | None:
    """The funds rule: why `reading` cannot pay for `claim`, or None when it can."""
    committed = claim.reserved + (claim.out_since(reading.since) if reading.since is not None else 0)
    locked = max(claim.mirror_locked, reading.locked or 0)  # the chain's lock when read live
    free = reading.balance - reading.frozen - committed
    if free < claim.need:
        return claim.short
    if free - locked < claim.need:
        # the sale (with the seller's other open sells and unsettled trades) reaches into
        # tokens still in lock-up: settlement would revert with code 8
        return restriction_error(8)
    if reading.allowance < committed + claim.need:
        return Refused(
            "order.allowance_missing", "approve the SettlementExchange (GET /v1/chain) to move your tokens first"
        )
    return None


def check_funds(
    session: Session,
    chain: Chain,
    reader: BalanceReader,
    *,
    investor: Investor,
    asset: Asset,
    side: Side,
    limit_ticks: int,
    lots: int,
    compliance: ComplianceSnapshot | None = None,
) -> None:
    """Refuse an order its wallet cannot pay for; call under the investor's lock (not the market's)."""
    # The database first (commitments), then the wallet: a settlement landing in between is
    # counted twice, never missed.
    claim = replace(
        wallet_claim(session, chain, investor=investor, asset=asset, side=side, compliance=compliance),
        need=order_need(asset, side, limit_ticks=limit_ticks, lots=lots),
    )
    check_claim(session, chain, reader, wallet=investor.wallet, claim=claim)


def check_claim(session: Session, chain: Chain, reader: BalanceReader, *, wallet: str, claim: Claim) -> None:
    """Apply the rule to the wallet's reading; a stand-in that falls short is read again live."""
    exchange = chain.deployment.contracts["settlement_exchange"]
    max_age_ms = chain.settings.funds_max_age_ms
    wait_ms = chain.settings.funds_live_wait_ms
    while True:
        reading = reader.read(
            session,
            chain,
            wallet,
            claim.token,
            exchange,
            frozen=claim.frozen,
            max_age_ms=max_age_ms,
            wait_ms=wait_ms,
            lock_at=claim.lock_at,
        )
        error = refusal(claim, reading)
        if error is None:
            return
        if reading.source not in RECHECKED_LIVE:
            raise error
        # a stand-in fell short: funds may have arrived since, read them live however long it takes
        max_age_ms = wait_ms = 0


def order_need(asset: Asset, side: Side, *, limit_ticks: int, lots: int) -> int:
    """Units of the claim's token the order may take: a sell's quantity, a buy's cost at its
    signed limit. A market buy's limit is its signed collar: it is matched after this check,
    when the asks of the moment may have left, and may fill up to that price (what its
    signature lets it pay), so that is what it is checked for."""
    if side is Side.SELL:
        return reservations.lots_units(asset, lots)
    return reservations.cost_units(asset, limit_ticks, lots)


def wallet_claim(
    session: Session,
    chain: Chain,
    *,
    investor: Investor,
    asset: Asset,
    side: Side,
    compliance: ComplianceSnapshot | None = None,
) -> Claim:
    """The investor's commitments in the token an order on `side` of `asset` pays with (need 0);
    `compliance`: what pre-trade compliance read for this order (its mirror view is reused)."""
    investor_id: int = investor.id  # type: ignore[assignment]
    if side is Side.SELL:
        return Claim(
            token=token_contract(chain, asset),
            need=0,
            reserved=reservations.reserved_asset_units(session, investor_id=investor_id, asset=asset),
            mirror_locked=mirror_locked_units(session, asset=asset, wallet=investor.wallet, compliance=compliance),
            short=Refused("order.insufficient_balance", "not enough unreserved, unfrozen units to sell"),
            out_since=lambda since: asset_out_since(session, investor_id=investor_id, asset=asset, since=since),
            frozen=True,
            lock_at=asset.rules_address,
        )
    assets = AssetsBySymbol(session)
    return Claim(
        token=chain.core("cash_token"),
        need=0,
        reserved=reservations.reserved_cash_units(session, investor_id=investor_id, assets=assets),
        mirror_locked=0,
        short=Refused("order.insufficient_cash", "not enough unreserved cash for this order"),
        out_since=lambda since: cash_out_since(session, investor_id=investor_id, assets=assets, since=since),
    )


class BatchFunds:
    """The funds rule across one investor's batch: per token the commitments and the wallet
    are read once; each order the batch accepts adds its need to what is committed, so the
    batch as a whole never commits more than the wallet can pay (the same rule as one by one).
    A stand-in reading that falls short is replaced by a live one, as check_claim does."""

    def __init__(
        self,
        session: Session,
        chain: Chain,
        reader: BalanceReader,
        investor: Investor,
        compliance: ComplianceSnapshot | None = None,
    ) -> None:
        self.session, self.chain, self.reader, self.investor = session, chain, reader, investor
        self.compliance = compliance
        self._bases: dict[str, Claim] = {}  # "cash" or the asset's symbol -> its claim, need 0
        self._readings: dict[str, Reading] = {}
        self._accepted: dict[str, int] = {}
        self._out: dict[tuple[str, datetime], int] = {}  # (token, reading time) -> units out since
        self._rows: list[FundsSnapshot] = []  # live readings' snapshot rows, written by write_snapshots

    def check(self, *, asset: Asset, side: Side, limit_ticks: int, lots: int) -> DomainError | None:
        """Why the wallet cannot also pay for this order, or None (then it counts as committed)."""
        key = "cash" if side is Side.BUY else asset.symbol
        base = self._bases.get(key)
        if base is None:
            base = self._bases[key] = wallet_claim(
                self.session, self.chain, investor=self.investor, asset=asset, side=side
            )
        need = order_need(asset, side, limit_ticks=limit_ticks, lots=lots)
        claim = replace(base, need=need, reserved=base.reserved + self._accepted.get(key, 0))
        reading = self._readings.get(key)
        if reading is None:
            reading = self._readings[key] = self._read(claim, live=False)
        error = refusal(self._settled_once(claim, reading), reading)
        if error is not None and reading.source in RECHECKED_LIVE:
            reading = self._readings[key] = self._read(claim, live=True)
            error = refusal(self._settled_once(claim, reading), reading)
        if error is None:
            self._accepted[key] = self._accepted.get(key, 0) + need
        return error

    def _settled_once(self, claim: Claim, reading: Reading) -> Claim:
        """The claim with what left the wallet since a stand-in reading asked once per reading
        (the same answer for every order of the batch that uses that reading)."""
        if reading.since is None:
            return claim
        key = (claim.token.address, reading.since)
        if key not in self._out:
            self._out[key] = claim.out_since(reading.since)
        out = self._out[key]
        return replace(claim, out_since=lambda _since: out)

    def _read(self, claim: Claim, *, live: bool) -> Reading:
        settings = self.chain.settings
        return self.reader.read(
            self.session,
            self.chain,
            self.investor.wallet,
            claim.token,
            self.chain.deployment.contracts["settlement_exchange"],
            frozen=claim.frozen,
            max_age_ms=0 if live else settings.funds_max_age_ms,
            wait_ms=0 if live else settings.funds_live_wait_ms,
            lock_at=claim.lock_at,
            rows=self._rows,
        )

    def write_snapshots(self) -> None:
        """Merge the live readings' snapshot rows into the session (the last per wallet and
        token): call once the batch holds its markets' locks (see BalanceReader.read's `rows`)."""
        for row in {(r.wallet, r.token): r for r in self._rows}.values():
            self.session.merge(row)


def mirror_locked_units(
    session: Session, *, asset: Asset, wallet: str, compliance: ComplianceSnapshot | None = None
) -> int:
    """The wallet's tokens in lock-up per the compliance mirror (HolderState's lock, active
    while the chain's time is before its release); from `compliance`'s view when it has one."""
    view = compliance.views.get(asset.symbol) if compliance is not None else None
    state, held, _rules = view or mirror.asset_view(session, asset, wallet)
    return locked_balance(amount=held.locked_amount, until=held.locked_until, now=mirror.chain_now(state))


def asset_out_since(session: Session, *, investor_id: int, asset: Asset, since: datetime) -> int:
    """Asset units the investor sold in trades recorded as settled after `since`."""
    lots = session.exec(
        select(func.coalesce(func.sum(TradeRecord.quantity_lots), 0)).where(
            TradeRecord.seller_investor_id == investor_id,
            TradeRecord.symbol == asset.symbol,
            TradeRecord.settlement_status == SettlementStatus.SETTLED,
            TradeRecord.settled_at > since,  # type: ignore[operator]
        )
    ).one()
    return reservations.lots_units(asset, int(lots))


def cash_out_since(session: Session, *, investor_id: int, assets: dict[str, Asset], since: datetime) -> int:
    """Cash the investor paid in trades recorded as settled after `since`."""
    total = 0
    for trade in session.exec(
        select(TradeRecord).where(
            TradeRecord.buyer_investor_id == investor_id,
            TradeRecord.settlement_status == SettlementStatus.SETTLED,
            TradeRecord.settled_at > since,  # type: ignore[operator]
        )
    ):
        total += reservations.cost_units(assets[trade.symbol], trade.price_ticks, trade.quantity_lots)
    return total
