"""market_status names the phase a market is in, the limit state included (docs/market-structure.md)."""

import time
from types import SimpleNamespace

from sqlmodel import Session

from backend.db import create_tables, make_engine
from backend.matching import MarketConfig, MatchingEngine, OrderType, PlaceOrder, Side
from backend.trading.markets import market_status
from backend.trading.sequencer import Venue

SECOND = 1_000_000_000


def test_a_band_breach_reads_as_a_limit_state_until_its_deadline(tmp_path):
    db = make_engine(f"sqlite:///{tmp_path / 'rwa.db'}")
    create_tables(db)
    config = MarketConfig(band_bps=1000, limit_state_ns=15 * SECOND, auction_ns=0)
    venue = Venue(engine_factory=lambda: MatchingEngine(config))
    asset = SimpleNamespace(symbol="LIM")
    now = time.time_ns()

    def place(order_id: str, owner: str, side: Side, price: int) -> None:
        command = PlaceOrder(order_id, owner, side, OrderType.LIMIT, price, 1, ts=now)
        with Session(db) as session:
            market = venue.market(session, "LIM")
            with market.lock:
                market.submit(session, command)
            session.commit()

    with Session(db) as session:
        place("s1", "a", Side.SELL, 10_000)
        place("b1", "b", Side.BUY, 10_000)  # the reference: 100.00
        assert market_status(session, venue, asset, enforce_disclosures=False) == "open"
        place("s2", "a", Side.SELL, 12_000)  # 20 % above the reference: outside the 10 % band
        place("b2", "b", Side.BUY, 12_000)
        status = market_status(session, venue, asset, enforce_disclosures=False)
    assert status.startswith("limit state: up (until "), status
