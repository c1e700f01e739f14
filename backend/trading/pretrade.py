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

from sqlmodel import Session

from backend.compliance import mirror
from backend.compliance import rules as ev
from backend.compliance.codes import restriction_error
from backend.matching import Side
from backend.models.assets import Asset
from backend.models.compliance import Investor
from backend.trading.reservations import lots_units, open_and_unsettled


def check_order_compliance(
    session: Session, *, investor: Investor, asset: Asset, side: Side, quantity_units: int, now: int | None = None
) -> None:
    # The asset's state, the investor's holding and the rule set: one query, read per order.
    state, held, rules = mirror.asset_view(session, asset, investor.wallet)
    now = mirror.chain_now(state) if now is None else now
    # The registry record of the investor at hand (wallets are unique: the row a lookup by
    # wallet would find is this one), without querying it again.
    if investor.wallet != mirror.ZERO_ADDRESS:
        record = dataclasses.replace(mirror.identity(investor), wallet_frozen=held.wallet_frozen)
    else:
        record = mirror.investor_record(session, investor.wallet, held.wallet_frozen)
    if side is Side.BUY:
        incoming = committed_buy_units(session, investor=investor, asset=asset)
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
            # the sale as far as the free balance goes (more is the funds check's refusal):
            # a lock-up holds back the locked amount only (docs/compliance.md)
            amount=min(quantity_units, max(held.balance - held.frozen_tokens, 0)),
            balance=held.balance,
            frozen_tokens=held.frozen_tokens,
            locked_until=held.locked_until,
            locked_amount=held.locked_amount,
            paused=state.paused,
            now=now,
        )
    if code != ev.OK:
        raise restriction_error(code)


def committed_buy_units(session: Session, *, investor: Investor, asset: Asset) -> int:
    """Asset units on their way to the investor: open buy orders' remainders and bought,
    not yet settled trades."""
    a, b = session.exec(_COMMITTED_BUYS, params={"investor_id": investor.id, "symbol": asset.symbol}).one()
    return lots_units(asset, int(a) + int(b))


_COMMITTED_BUYS = open_and_unsettled("buy")
