"""Order entry's funds check counts the lock-up: a sell that, with the seller's other open
sells, reaches into tokens still locked is refused at entry (code 8), not at settlement."""

from __future__ import annotations

import time

from sqlmodel import select

from backend.models.compliance import HolderState
from tests.support.compliance import asset_row, db_session, put_rules
from tests.support.live_stack import wait_for_settlement

LOCKUP = 3600


def _issue(client, admin, symbol: str, wallet: str, quantity: str) -> None:
    response = client.post(
        f"/v1/assets/{symbol}/issue", headers=admin, json={"to_wallet": wallet, "quantity": quantity}
    )
    assert response.status_code == 200, response.text


def _sell(seller, client, symbol: str, quantity: str, price: str = "10"):
    order = {"symbol": symbol, "side": "sell", "type": "limit", "price": price, "quantity": quantity}
    return seller.wallet.place_order(client, seller.api_key, order)


def _seller_with_locked_tokens(client, admin, chain_info, make_asset, make_investor):
    """50 free units (issued before the lock-up rule) and 100 locked ones (issued under it)."""
    asset = make_asset()
    symbol = asset["symbol"]
    seller = make_investor()
    _issue(client, admin, symbol, seller.wallet.address, "50")
    assert put_rules(client, admin, symbol, lockup_seconds=LOCKUP).status_code == 200
    _issue(client, admin, symbol, seller.wallet.address, "100")
    seller.wallet.approve(asset["token_address"], chain_info["contracts"]["settlement_exchange"])
    return asset, seller


def _refused_as_locked(response) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "compliance.lockup" and error["details"]["restriction_code"] == 8, error


def test_sells_reaching_into_locked_tokens_are_refused_at_entry_and_the_free_ones_settle(
    client, admin, chain_info, make_asset, make_investor
):
    asset, seller = _seller_with_locked_tokens(client, admin, chain_info, make_asset, make_investor)
    symbol = asset["symbol"]
    assert _sell(seller, client, symbol, "30").status_code == 201
    # 30 more: alone it fits the free 50, with the resting 30 it reaches 10 into the locked 100.
    _refused_as_locked(_sell(seller, client, symbol, "30"))
    _refused_as_locked(_sell(seller, client, symbol, "120"))  # within the balance, not the free part
    assert _sell(seller, client, symbol, "20").status_code == 201  # exactly the free rest

    # What was accepted is what the chain lets the seller sell: both sells settle.
    buyer = make_investor()
    assert (
        client.post("/v1/cash/faucet", headers=admin, json={"wallet": buyer.wallet.address, "amount": "1000"})
    ).status_code == 200
    buyer.wallet.approve(chain_info["contracts"]["cash_token"], chain_info["contracts"]["settlement_exchange"])
    buy = {"symbol": symbol, "side": "buy", "type": "limit", "price": "10", "quantity": "50"}
    bought = buyer.wallet.place_order(client, buyer.api_key, buy)
    assert bought.status_code == 201 and bought.json()["status"] == "filled", bought.text
    trades = wait_for_settlement(client, admin, symbol, 2)
    assert [t["settlement_status"] for t in trades] == ["settled", "settled"], trades
    _refused_as_locked(_sell(seller, client, symbol, "1"))  # 100 left, all locked


def mirror_forgets_the_lock(client, symbol: str, wallet: str) -> None:
    """The compliance mirror loses the wallet's lock of 100 (a lagging event sync); the chain keeps it."""
    row = asset_row(client, symbol)
    with db_session(client) as session:
        held = session.exec(
            select(HolderState).where(HolderState.asset_id == row.id, HolderState.wallet == wallet)
        ).one()
        assert int(held.locked_amount) == 100 * 10**18
        held.locked_amount, held.locked_until = "0", "0"
        session.add(held)
        session.commit()


def test_the_chains_lock_counts_when_the_mirror_has_not_seen_it(client, admin, chain_info, make_asset, make_investor):
    asset, seller = _seller_with_locked_tokens(client, admin, chain_info, make_asset, make_investor)
    symbol = asset["symbol"]
    mirror_forgets_the_lock(client, symbol, seller.wallet.address)
    time.sleep(1.1)  # past the funds snapshot's age: the next check reads the chain
    _refused_as_locked(_sell(seller, client, symbol, "60"))
    assert _sell(seller, client, symbol, "50").status_code == 201
