"""Pre-trade compliance (DESIGN flow 3): an order is checked before it can rest or match.

Answered from the compliance mirror (no RPC), with the contract's checks in the
contract's order, one side at a time because the counterparty is not known yet:

* buy — the buyer as receiver: not paused, wallet not frozen, whitelisted, KYC current,
  country allowed, accredited when required; balance + open buys + unsettled buys + this
  order within max_balance; a buyer who holds nothing and has nothing coming is a new
  holder, refused when the holder cap is reached (assuming the seller keeps a balance).
* sell — the seller as sender: not paused, not frozen, whitelisted, KYC current, selling no
  more than its tokens outside a running lock-up. Enough unreserved unfrozen balance stays with the funds check
  (`order.insufficient_balance`).

Refusals are `compliance.<reason>` errors (HTTP 422). Settlement on chain remains the
final word: a trade the mirror let through but the token refuses fails with a reason.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sqlmodel import Session

from backend.compliance import mirror
from backend.compliance import rules as ev
from backend.compliance.codes import restriction_error
from backend.compliance.mirror import Holding
from backend.matching import Side
from backend.models.assets import Asset
from backend.models.compliance import ComplianceState, Investor
from backend.trading.reservations import lots_units, open_and_unsettled


def check_order_compliance(
    session: Session,
    *,
    investor: Investor,
    asset: Asset,
    side: Side,
    quantity_units: int,
    now: int | None = None,
    snapshot: ComplianceSnapshot | None = None,
) -> None:
    """Refuse an order the asset's rules would refuse for this side. A batch passes one
    `snapshot`: the mirror and the committed buys are read once per asset, and the buys the
    batch accepted so far (`snapshot.accepted_buy_units`) count as committed."""
    if snapshot is None:
        snapshot = ComplianceSnapshot()
    view = snapshot.views.get(asset.symbol)
    if view is None:  # the asset's state, the investor's holding and the rule set: one query
        view = snapshot.views[asset.symbol] = mirror.asset_view(session, asset, investor.wallet)
    state, held, rules = view
    now = mirror.chain_now(state) if now is None else now
    # The registry record of the investor at hand (wallets are unique: the row a lookup by
    # wallet would find is this one), without querying it again.
    if investor.wallet != mirror.ZERO_ADDRESS:
        record = dataclasses.replace(mirror.identity(investor), wallet_frozen=held.wallet_frozen)
    else:
        record = mirror.investor_record(session, investor.wallet, held.wallet_frozen)
    if side is Side.BUY:
        incoming = snapshot.incoming.get(asset.symbol)
        if incoming is None:
            incoming = snapshot.incoming[asset.symbol] = committed_buy_units(session, investor=investor, asset=asset)
        incoming += snapshot.accepted_buy_units.get(asset.symbol, 0)
        code = ev.receiver_side(
            rules=rules,
            receiver=record,
            amount=quantity_units,
            balance=held.balance + incoming,
            holder_count=state.holder_count,
            paused=state.paused,
            now=now,
        )
    else:
        code = ev.sender_side(
            sender=record,
            amount=quantity_units,
            balance=held.balance,
            frozen_tokens=held.frozen_tokens,
            locked_until=held.locked_until,
            locked_amount=held.locked_amount,
            paused=state.paused,
            now=now,
        )
        if code == ev.INSUFFICIENT_UNFROZEN:
            # more than the unfrozen balance: the funds check's refusal (order.insufficient_balance),
            # which also counts what the investor's other sells reserve; checked before the lock-up,
            # as the token does, so a sale past the balance is never called a lock-up
            code = ev.OK
    if code != ev.OK:
        raise restriction_error(code)


@dataclass
class ComplianceSnapshot:
    """What pre-trade compliance read for one investor, kept for the rest of a batch."""

    views: dict[str, tuple[ComplianceState, Holding, ev.RuleSet]] = field(default_factory=dict)  # by symbol
    incoming: dict[str, int] = field(default_factory=dict)  # symbol -> committed_buy_units
    accepted_buy_units: dict[str, int] = field(default_factory=dict)  # symbol -> the batch's accepted buys

    def accept(self, asset: Asset, side: Side, quantity_units: int) -> None:
        """An order of the batch was accepted: a buy is on its way to the investor."""
        if side is Side.BUY:
            self.accepted_buy_units[asset.symbol] = self.accepted_buy_units.get(asset.symbol, 0) + quantity_units


def committed_buy_units(session: Session, *, investor: Investor, asset: Asset) -> int:
    """Asset units on their way to the investor: open buy orders' remainders and bought,
    not yet settled trades."""
    a, b = session.exec(_COMMITTED_BUYS, params={"investor_id": investor.id, "symbol": asset.symbol}).one()
    return lots_units(asset, int(a) + int(b))


_COMMITTED_BUYS = open_and_unsettled("buy")
