"""Two holes in "orders die with the investor's right to trade" (issue 13, review R1), on a real ganache.

1. A partial freeze: the part frozen can never be delivered, so the wallet's resting sells
   beyond what it can still deliver leave the book (newest first, cancel_reason "frozen"),
   at once through the API and within seconds when the governance key freezes on chain.
2. A wallet removed from the IdentityRegistry (or whose KYC is cut short) on chain by the
   registrar, outside the service: the watcher follows the registry, its orders are cancelled
   within seconds ("delisted" / "kyc_expired") and new orders are refused.
"""

from __future__ import annotations

import time
from decimal import Decimal

from sqlmodel import Session

from backend.assets.service import get_asset
from backend.compliance.sync import token_contract
from backend.models.compliance import Investor
from backend.models.trading import Order
from backend.statuses import InvestorStatus
from tests.integration.test_chain_cancels import OBEYED_WITHIN, _place, _wait_status
from tests.support.compliance import put_rules
from tests.support.trading import fund_and_approve

UNIT = 10**18
WHY = {"reason_code": "court_order", "reason": "attachment order 12"}


def _listed(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)  # the seller holds 100
    return asset, seller, buyer


def _asks(client, symbol: str) -> Decimal:
    return sum((Decimal(q) for _, q in client.get(f"/v1/markets/{symbol}/book").json()["asks"]), Decimal(0))


def _two_sells(client, seller, symbol: str) -> tuple[dict, dict]:
    older, _ = _place(client, seller, symbol, "sell", "10", "30")
    newer, _ = _place(client, seller, symbol, "sell", "11", "70")
    assert _asks(client, symbol) == 100
    return older, newer


def test_a_partial_freeze_through_the_api_cancels_the_newest_sells_beyond_the_unfrozen_rest(
    client, admin, chain_info, make_asset, make_investor
):
    asset, seller, buyer = _listed(client, admin, chain_info, make_asset, make_investor)
    symbol = asset["symbol"]
    older, newer = _two_sells(client, seller, symbol)
    frozen = client.post(
        f"/v1/admin/assets/{symbol}/freeze-partial",
        headers=admin,
        json={"wallet": seller.wallet.address, "quantity": "60", **WHY},
    )
    assert frozen.status_code == 200, frozen.text
    # at once: 40 deliverable; the newest sell (70) goes, the older one (30) fits and stays
    now = client.get(f"/v1/orders/{newer['id']}", headers=seller.headers).json()
    assert (now["status"], now["cancel_reason"]) == ("cancelled", "frozen"), now
    assert client.get(f"/v1/orders/{older['id']}", headers=seller.headers).json()["status"] == "open"
    assert _asks(client, symbol) == 30
    # a buy of 100 finds only what the seller can deliver
    bought, _ = _place_buy(client, buyer, symbol, "11", "100")
    assert sum(Decimal(f["quantity"]) for f in bought.get("fills", [])) == 30, bought


def _place_buy(client, buyer, symbol: str, price: str, quantity: str) -> tuple[dict, int]:
    order = {
        "symbol": symbol,
        "side": "buy",
        "price": price,
        "quantity": quantity,
        "expires_at": int(time.time()) + 3600,
    }
    data = client.post("/v1/orders/typed-data", json=order, headers=buyer.headers).json()
    signed = {
        **order,
        "nonce": int(data["message"]["nonce"]),
        "expires_at": int(data["message"]["expiry"]),
        "signature": buyer.wallet.sign_order(data),
    }
    placed = client.post("/v1/orders", json=signed, headers=buyer.headers)
    assert placed.status_code == 201, placed.text
    return placed.json(), placed.status_code


def test_a_partial_freeze_made_on_chain_by_the_governance_key_trims_the_sells_within_seconds(
    client, admin, chain_info, make_asset, make_investor
):
    asset, seller, _ = _listed(client, admin, chain_info, make_asset, make_investor)
    symbol = asset["symbol"]
    older, newer = _two_sells(client, seller, symbol)
    app = client.app
    with Session(app.state.db) as session:
        row = get_asset(session, symbol)
    token = token_contract(app.state.chain, row)
    app.state.chain.transact(token.functions.freezePartialTokens(seller.wallet.address, 60 * UNIT), governance=True)
    now, took = _wait_status(client, seller, newer["id"], "cancelled", timeout=OBEYED_WITHIN)
    assert now["cancel_reason"] == "frozen", now
    assert took < OBEYED_WITHIN
    assert client.get(f"/v1/orders/{older['id']}", headers=seller.headers).json()["status"] == "open"
    assert _asks(client, symbol) == 30
    # a smaller freeze that the rest still covers changes nothing more: 100 - 70 = 30 deliverable
    app.state.chain.transact(token.functions.freezePartialTokens(seller.wallet.address, 10 * UNIT), governance=True)
    time.sleep(4)  # two sweeps at least
    assert client.get(f"/v1/orders/{older['id']}", headers=seller.headers).json()["status"] == "open"
    # one more unit frozen: 29 deliverable, the last sell goes too
    app.state.chain.transact(token.functions.freezePartialTokens(seller.wallet.address, 1 * UNIT), governance=True)
    now, _ = _wait_status(client, seller, older["id"], "cancelled", timeout=OBEYED_WITHIN)
    assert now["cancel_reason"] == "frozen", now
    assert _asks(client, symbol) == 0


def test_a_wallet_removed_from_the_registry_on_chain_loses_its_orders_and_may_not_place_more(
    client, admin, chain_info, make_asset, make_investor
):
    asset, seller, _ = _listed(client, admin, chain_info, make_asset, make_investor)
    symbol = asset["symbol"]
    placed, _ = _place(client, seller, symbol, "sell", "40", "1")
    chain = client.app.state.chain
    chain.transact(chain.core("identity_registry").functions.removeInvestor(seller.wallet.address))  # the registrar
    now, _ = _wait_status(client, seller, placed["id"], "cancelled", timeout=OBEYED_WITHIN)
    assert now["cancel_reason"] == "delisted", now
    with Session(client.app.state.db) as session:
        row = session.get(Investor, seller.id)
        assert row is not None
        assert (row.status, row.status_reason) == (InvestorStatus.REVOKED, "not registered in the IdentityRegistry")
    order = {"symbol": symbol, "side": "sell", "price": "41", "quantity": "1", "expires_at": int(time.time()) + 3600}
    refused = client.post("/v1/orders/typed-data", json=order, headers=seller.headers)
    if refused.status_code == 200:  # typed data may still be handed out: the order itself is refused
        data = refused.json()
        signed = {
            **order,
            "nonce": int(data["message"]["nonce"]),
            "expires_at": int(data["message"]["expiry"]),
            "signature": seller.wallet.sign_order(data),
        }
        refused = client.post("/v1/orders", json=signed, headers=seller.headers)
    assert 400 <= refused.status_code < 500, refused.text
    assert _asks(client, symbol) == 0


def test_a_kyc_cut_short_on_chain_cancels_the_orders_as_kyc_expired(
    client, admin, chain_info, make_asset, make_investor
):
    asset, seller, _ = _listed(client, admin, chain_info, make_asset, make_investor)
    placed, _ = _place(client, seller, asset["symbol"], "sell", "40", "1")
    chain = client.app.state.chain
    registry = chain.core("identity_registry")
    _registered, country, accredited, _expiry = chain.call(registry.functions.investorOf(seller.wallet.address))
    chain.transact(registry.functions.updateInvestor(seller.wallet.address, country, accredited, int(time.time())))
    now, _ = _wait_status(client, seller, placed["id"], "cancelled", timeout=OBEYED_WITHIN)
    assert now["cancel_reason"] == "kyc_expired", now


def test_the_services_own_revocation_keeps_its_reason(client, admin, chain_info, make_asset, make_investor):
    """The watcher sees the service's own removeInvestor too: it must not relabel it "delisted"."""
    asset, seller, _ = _listed(client, admin, chain_info, make_asset, make_investor)
    placed, _ = _place(client, seller, asset["symbol"], "sell", "40", "1")
    assert client.delete(f"/v1/investors/{seller.id}", headers=admin).status_code in (200, 204)
    time.sleep(4)  # the watcher's grace and a pass after it
    with Session(client.app.state.db) as session:  # a revoked investor's key no longer reads its orders
        row = session.get(Order, placed["id"])
        assert row is not None
        assert (row.status, row.cancel_reason) == ("cancelled", "revoked")


def test_a_country_changed_on_chain_cancels_buys_where_it_is_no_longer_allowed(
    client, admin, chain_info, make_asset, make_investor
):
    """The registrar moves a buyer to Germany on chain; an asset open to the US only can no
    longer deliver to it (code 4): its buys there go ("ineligible"), its buys elsewhere stay."""
    us_only, anywhere = make_asset(), make_asset()
    assert put_rules(client, admin, us_only["symbol"], allowed_countries=["US"]).status_code == 200
    buyer = make_investor(country="US")
    fund_and_approve(client, admin, chain_info, us_only, None, buyer)
    closed, _ = _place(client, buyer, us_only["symbol"], "buy", "5", "1")
    kept, _ = _place(client, buyer, anywhere["symbol"], "buy", "5", "1")
    chain = client.app.state.chain
    registry = chain.core("identity_registry")
    _registered, _country, accredited, expiry = chain.call(registry.functions.investorOf(buyer.wallet.address))
    chain.transact(registry.functions.updateInvestor(buyer.wallet.address, 276, accredited, expiry))  # DE
    now, _ = _wait_status(client, buyer, closed["id"], "cancelled", timeout=OBEYED_WITHIN)
    assert now["cancel_reason"] == "ineligible", now
    assert client.get(f"/v1/orders/{kept['id']}", headers=buyer.headers).json()["status"] == "open"
    assert client.get(f"/v1/investors/{buyer.id}", headers=admin).json()["country"] == "DE"
