"""Halting and resuming a market: the operator's kill switch, and the disclosure halt that keeps
a market whose required disclosures are missing or stale from trading (DESIGN flow 2).
Each is a journaled engine command, so a replay halts exactly where the live engine did.
"""

from __future__ import annotations

from sqlmodel import Session

from backend.clock import utc_today
from backend.disclosures.policies import missing_disclosures
from backend.matching import Halt, Resume
from backend.models.assets import Asset
from backend.trading.dispatch import run_command
from backend.trading.sequencer import Venue, now_ns

DISCLOSURE_HALT = "disclosure"


def sync_disclosure_halt(session: Session, venue: Venue, asset: Asset, *, enforced: bool) -> list[str]:
    """The market's missing or stale required disclosures (none when not enforced). With
    calls on, a market already open (its journal started) is also halted in its engine while
    any are missing (`Halt("disclosure")`, journaled, seen by replay), and once they are filed
    and current again a `Resume` starts the reopening call: a market coming back from a
    disclosure halt reopens through a call, like any other halt. Run before each order and
    after each filing. A new market opens through its opening call anyway (sequencer.py)."""
    if not enforced:
        return []
    missing = missing_disclosures(session, asset, utc_today())
    market = venue.market(session, asset.symbol)
    if market.engine.config.auction_ns > 0:
        with market.lock:
            halt = market.engine.halted
            if missing and halt is None and market.next_seq > 1:
                run_command(session, venue, market, asset, Halt(reason=DISCLOSURE_HALT, ts=now_ns()))
            elif not missing and halt is not None and halt[0] == DISCLOSURE_HALT:
                run_command(session, venue, market, asset, Resume(ts=now_ns()))
    return missing


def halt_market(session: Session, venue: Venue, asset: Asset) -> None:
    """The operator's kill switch: no matching until resumed; cancels still work."""
    market = venue.market(session, asset.symbol)
    with market.lock:
        run_command(session, venue, market, asset, Halt(reason="operator", ts=now_ns()))


def resume_market(session: Session, venue: Venue, asset: Asset) -> None:
    market = venue.market(session, asset.symbol)
    with market.lock:
        run_command(session, venue, market, asset, Resume(ts=now_ns()))
