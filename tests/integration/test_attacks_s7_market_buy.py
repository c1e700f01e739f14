"""Attack review s7 (issue 16): a market buy's funds check prices the order at the asks of the
moment (funds.order_need: what sweeping them would cost, read under the market's lock and
released), but the order is matched later, under the market's lock taken again. Asks that leave
the book in between (a cancel, another taker) make it sweep deeper, up to its signed collar
price: the fills cost more than the wallet was checked for, and settlement refuses the cash
(code 10). The need of a market buy is its signed limit (the collar) times its quantity - what
the signature lets it pay - or the sweep priced under the same lock as the matching.

The race is made deterministic: the resting ask is cancelled right after the buy's funds check
(through the service's own cancel), as a concurrent DELETE would.
"""

from __future__ import annotations

from sqlmodel import Session

from backend.models.compliance import Investor
from backend.trading import entry, funds
from tests.integration.test_balance_follower import _funded_buyer
from tests.support.live_stack import wait_for_settlement
from tests.support.trading import fund_and_approve


def _sell(who, client, symbol: str, price: str):
    placed = who.wallet.place_order(
        client, who.api_key, {"symbol": symbol, "side": "sell", "type": "limit", "price": price, "quantity": "1"}
    )
    assert placed.status_code == 201, placed.text
    return placed.json()["id"]


def test_a_market_buy_never_fills_beyond_the_cash_it_was_checked_for(
    client, admin, chain_info, make_asset, make_investor, monkeypatch
):
    asset = make_asset()
    symbol = asset["symbol"]
    cheap, dear = make_investor(), make_investor()
    for seller in (cheap, dear):
        fund_and_approve(client, admin, chain_info, asset, seller)
    buyer = _funded_buyer(client, admin, chain_info, make_investor, 10)  # exactly the best ask
    cheap_ask = _sell(cheap, client, symbol, "10")
    _sell(dear, client, symbol, "10.4")  # inside the 5 % collar around 10

    check = funds.check_funds
    venue = client.app.state.venue

    def then_the_best_ask_leaves(session, chain, reader, **kwargs):
        check(session, chain, reader, **kwargs)
        if kwargs["investor"].id == buyer.id:
            with Session(client.app.state.db, expire_on_commit=False) as other:
                entry.cancel_order(other, venue, other.get(Investor, cheap.id), cheap_ask)

    monkeypatch.setattr(funds, "check_funds", then_the_best_ask_leaves)
    bought = buyer.wallet.place_order(
        client, buyer.api_key, {"symbol": symbol, "side": "buy", "type": "market", "quantity": "1"}
    )
    monkeypatch.undo()

    if bought.status_code != 201:  # refused: the wallet cannot pay what the signature allows
        assert bought.json()["error"]["code"] == "order.insufficient_cash", bought.text
        return
    if bought.json()["filled_quantity"] == "0":  # nothing filled: nothing to settle
        return
    trades = wait_for_settlement(client, admin, symbol, 1)
    outcome = [(t["price"], t["settlement_status"], t["failure_code"]) for t in trades]
    assert outcome == [("10.4", "settled", None)], outcome
