"""Back-pressure from settlement to order entry: past RWA_SETTLEMENT_MAX_BACKLOG unsettled
trades, new orders are refused with 503 settlement.backlog; cancels still work."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from backend.api.app import create_app
from tests.support.trading import fund_and_approve


def test_orders_wait_while_the_settlement_backlog_is_full(
    client, admin, chain_info, settings, make_asset, make_investor
):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    symbol = asset["symbol"]
    # A second app on the same database and chain whose worker passes once at start, then
    # sleeps (an hour) unless nudged.
    gated = settings.model_copy(update={"settlement_max_backlog": 3, "settlement_interval_ms": 3_600_000})
    with TestClient(create_app(gated), raise_server_exceptions=False) as app_client:
        worker = app_client.app.state.settlement
        for _ in range(100):  # its first pass has counted what waits (an int, not None)
            if worker.backlog is not None:
                break
            time.sleep(0.05)
        assert isinstance(worker.backlog, int)
        worker.backlog = 2  # under the limit: taken
        resting = buyer.wallet.place_order(
            app_client, buyer.api_key, {"symbol": symbol, "side": "buy", "price": "1", "quantity": "1"}
        )
        assert resting.status_code == 201, resting.text
        worker.backlog = 3  # at the limit: refused, and nothing is placed
        refused = seller.wallet.place_order(
            app_client, seller.api_key, {"symbol": symbol, "side": "sell", "price": "1", "quantity": "1"}
        )
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "settlement.backlog"
        assert refused.headers["Retry-After"] == "5"
        book = app_client.get(f"/v1/markets/{symbol}/book").json()
        assert book["asks"] == [] and book["bids"] == [["1", "1"]]
        cancelled = app_client.delete(f"/v1/orders/{resting.json()['id']}", headers=buyer.headers)
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
