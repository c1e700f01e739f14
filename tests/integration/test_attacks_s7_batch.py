"""Attack review s7 (issue 16): a revocation that lands while a batch is between its checks and
its commit. The route then cancels what the batch placed (`_cancel_if_barred_meanwhile`, as the
single endpoint does), but answers each order from the batch's own detached rows: 201 `open`
for orders that are cancelled by the time the answer leaves. The single endpoint refreshes the
order first and answers what is true. A market maker trusting the answer believes it quotes.
Fixed in cae9509 (trading.batch.reread_resting): the test now pins the true answer.
"""

from __future__ import annotations

from sqlmodel import Session

from backend.models.compliance import Investor
from backend.trading import batch as batch_module
from tests.integration.test_order_batch import _batch, _signed
from tests.support.trading import fund_and_approve


def test_a_batch_answers_what_a_freeze_during_it_left_of_its_orders(
    client, admin, chain_info, make_asset, make_investor, monkeypatch
):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    symbol = asset["symbol"]
    orders = [
        _signed(client, buyer, {"symbol": symbol, "side": "buy", "price": "0.5", "quantity": "1"}) for _ in range(3)
    ]

    check = batch_module.BatchFunds.check
    frozen = []

    def freeze_during_the_batch(self, **kwargs):  # the freeze commits after the batch's standing checks
        if not frozen:
            with Session(client.app.state.db) as session:
                investor = session.get(Investor, buyer.id)
                investor.frozen = True
                session.add(investor)
                session.commit()
            frozen.append(True)
        return check(self, **kwargs)

    monkeypatch.setattr(batch_module.BatchFunds, "check", freeze_during_the_batch)
    try:
        results = _batch(client, buyer, orders)
    finally:
        monkeypatch.undo()
        with Session(client.app.state.db) as session:
            investor = session.get(Investor, buyer.id)
            investor.frozen = False
            session.add(investor)
            session.commit()

    for result in results:
        assert result["status"] == 201, result  # placed: the freeze came after its checks
        now = client.get(f"/v1/orders/{result['order']['id']}", headers=buyer.headers).json()
        assert now["status"] == "cancelled" and now["cancel_reason"] == "frozen", now  # and cancelled at once
        assert result["order"]["status"] == now["status"], f"answered {result['order']['status']}, is {now['status']}"
