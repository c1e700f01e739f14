"""Cancels the chain obeys, and orders that die with the investor's right to trade.

A real ganache: the wallet itself calls SettlementExchange.cancelOrder / cancelUpTo and the
service's watcher (backend/trading/chain_cancels.py) takes the orders off the book within
seconds; revocation, freeze, de-whitelisting and KYC expiry cancel resting orders with
their reason (backend/trading/revocations.py).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from eth_account import Account
from hexbytes import HexBytes
from sqlmodel import Session

from backend.clock import utc_today
from backend.compliance.registry_sync import resync_investors
from backend.models.compliance import Investor
from backend.models.trading import ChainCursor
from backend.trading import revocations
from backend.trading.chain_cancels import ChainCancelWatcher
from tests.support.trading import fund_and_approve

OBEYED_WITHIN = 10.0  # seconds: the bound for an on-chain cancel to take effect


def _place(client, investor, symbol: str, side: str, price: str, quantity: str = "1") -> tuple[dict, dict]:
    """typed-data -> sign -> POST; returns (the order, the signed message)."""
    order = {
        "symbol": symbol,
        "side": side,
        "price": price,
        "quantity": quantity,
        "expires_at": int(time.time()) + 3600,
    }
    typed = client.post("/v1/orders/typed-data", json=order, headers=investor.headers)
    assert typed.status_code == 200, typed.text
    data = typed.json()
    message = data["message"]
    signed = {
        **order,
        "nonce": int(message["nonce"]),
        "expires_at": int(message["expiry"]),
        "signature": investor.wallet.sign_order(data),
    }
    placed = client.post("/v1/orders", json=signed, headers=investor.headers)
    assert placed.status_code == 201, placed.text
    assert placed.json()["status"] == "open", placed.json()
    return placed.json(), message


def _order(client, investor, order_id: str) -> dict:
    return client.get(f"/v1/orders/{order_id}", headers=investor.headers).json()


def _wait_status(client, investor, order_id: str, status: str, timeout: float = OBEYED_WITHIN) -> tuple[dict, float]:
    """The order once it has `status`, and how long that took."""
    start = time.monotonic()
    while True:
        order = _order(client, investor, order_id)
        if order["status"] == status:
            return order, time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"order {order_id} still {order['status']} after {timeout}s: {order}")
        time.sleep(0.1)


def _book_prices(client, symbol: str, side: str) -> list[str]:
    return [price for price, _ in client.get(f"/v1/markets/{symbol}/book").json()[side]]


def _seller(client, admin, chain_info, make_asset, make_investor) -> tuple[dict, Any, Any]:
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    return asset, seller, buyer


def test_cancel_order_on_chain_takes_the_order_off_the_book_within_seconds(
    client, admin, chain_info, make_asset, make_investor
):
    asset, seller, _ = _seller(client, admin, chain_info, make_asset, make_investor)
    symbol, exchange = asset["symbol"], chain_info["contracts"]["settlement_exchange"]
    gone, message = _place(client, seller, symbol, "sell", "20")
    kept, _ = _place(client, seller, symbol, "sell", "21")
    assert _book_prices(client, symbol, "asks") == ["20", "21"]

    seller.wallet.cancel_order_onchain(exchange, message)
    order, took = _wait_status(client, seller, gone["id"], "cancelled")
    assert order["cancel_reason"] == "onchain" and took < OBEYED_WITHIN
    assert _book_prices(client, symbol, "asks") == ["21"]
    assert _order(client, seller, kept["id"])["status"] == "open"


def test_cancel_up_to_cancels_the_orders_below_the_floor_and_keeps_the_rest(
    client, admin, chain_info, make_asset, make_investor
):
    asset, seller, buyer = _seller(client, admin, chain_info, make_asset, make_investor)
    symbol, exchange = asset["symbol"], chain_info["contracts"]["settlement_exchange"]
    placed = [_place(client, seller, symbol, "sell", price) for price in ("30", "31", "32")]
    bid, _ = _place(client, buyer, symbol, "buy", "1")  # another wallet's order: not touched
    placed.sort(key=lambda p: int(p[1]["nonce"]))
    floor = int(placed[2][1]["nonce"])  # the third order's nonce: the two below it go

    seller.wallet.cancel_up_to(exchange, floor)
    for order, _ in placed[:2]:
        cancelled, took = _wait_status(client, seller, order["id"], "cancelled")
        assert cancelled["cancel_reason"] == "onchain" and took < OBEYED_WITHIN
    time.sleep(0.5)  # a pass after the event: the order at the floor must still be there
    assert _order(client, seller, placed[2][0]["id"])["status"] == "open"
    assert _book_prices(client, symbol, "asks") == [placed[2][0]["price"]]
    assert _order(client, buyer, bid["id"])["status"] == "open"


def test_delete_answers_the_cancel_up_to_transaction_the_wallet_signs(
    client, admin, chain_info, node, make_asset, make_investor
):
    asset, seller, _ = _seller(client, admin, chain_info, make_asset, make_investor)
    order, message = _place(client, seller, asset["symbol"], "sell", "40")
    response = client.delete(f"/v1/orders/{order['id']}", headers=seller.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "cancelled" and body["cancel_reason"] == "user"
    onchain = body["onchain_cancel"]
    exchange = chain_info["contracts"]["settlement_exchange"]
    assert onchain["function"] == "cancelUpTo(uint256)" and onchain["to"] == exchange
    assert onchain["nonce"] == str(int(message["nonce"]) + 1) and onchain["chain_id"] == chain_info["chain_id"]

    w3 = node.w3
    tx = {
        "to": onchain["to"],
        "data": onchain["data"],
        "value": 0,
        "gas": 100_000,
        "gasPrice": w3.eth.gas_price,
        "nonce": w3.eth.get_transaction_count(seller.wallet.address),
        "chainId": onchain["chain_id"],
    }
    raw = Account.sign_transaction(tx, seller.wallet.account.key).raw_transaction
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(HexBytes(raw)))
    assert receipt["status"] == 1
    contract = client.app.state.chain.core("settlement_exchange")
    assert contract.functions.nonceFloor(seller.wallet.address).call() == int(onchain["nonce"])
    time.sleep(1.5)  # the watcher sees NonceFloorRaised: the cancelled order stays as it was
    assert _order(client, seller, order["id"])["cancel_reason"] == "user"


def test_a_restarted_watcher_catches_up_from_its_cursor(client, admin, chain_info, make_asset, make_investor):
    asset, seller, _ = _seller(client, admin, chain_info, make_asset, make_investor)
    symbol, exchange = asset["symbol"], chain_info["contracts"]["settlement_exchange"]
    app = client.app
    app.state.chain_cancels.stop()
    try:
        gone, message = _place(client, seller, symbol, "sell", "50")
        seller.wallet.cancel_order_onchain(exchange, message)
        time.sleep(1.5)
        assert _order(client, seller, gone["id"])["status"] == "open"  # nobody watching
        with Session(app.state.db) as session:
            behind = session.get(ChainCursor, "settlement_exchange").block
        assert behind < app.state.chain.block_number()
    finally:
        app.state.chain_cancels = ChainCancelWatcher(
            app.state.db, app.state.chain, app.state.venue, interval_ms=app.state.settings.chain_watch_interval_ms
        )
        app.state.chain_cancels.start()
    order, _ = _wait_status(client, seller, gone["id"], "cancelled")
    assert order["cancel_reason"] == "onchain"
    with Session(app.state.db) as session:
        assert session.get(ChainCursor, "settlement_exchange").block > behind


def _two_markets(client, admin, chain_info, make_asset, make_investor) -> tuple[Any, list[dict]]:
    """A buyer with resting bids in two markets."""
    first, second = make_asset(), make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, first, seller, buyer)
    orders = [_place(client, buyer, asset["symbol"], "buy", "1")[0] for asset in (first, second)]
    return buyer, orders


def _assert_cancelled(client, admin, investor, orders: list[dict], reason: str) -> None:
    with Session(client.app.state.db) as session:  # a revoked investor's key no longer reads its orders
        from backend.models.trading import Order

        for order in orders:
            row = session.get(Order, order["id"])
            assert (row.status, row.cancel_reason) == ("cancelled", reason), (row.status, row.cancel_reason)
    for order in orders:
        prices = client.get(f"/v1/markets/{order['symbol']}/book").json()["bids"]
        assert prices == [], prices


def test_revoking_an_investor_cancels_its_orders_in_every_market(client, admin, chain_info, make_asset, make_investor):
    buyer, orders = _two_markets(client, admin, chain_info, make_asset, make_investor)
    assert client.delete(f"/v1/investors/{buyer.id}", headers=admin).status_code == 200
    _assert_cancelled(client, admin, buyer, orders, "revoked")


def test_freezing_an_investor_cancels_its_orders(client, admin, chain_info, make_asset, make_investor):
    buyer, orders = _two_markets(client, admin, chain_info, make_asset, make_investor)
    response = client.patch(f"/v1/investors/{buyer.id}", headers=admin, json={"frozen": True})
    assert response.status_code == 200, response.text
    _assert_cancelled(client, admin, buyer, orders, "frozen")


def test_de_whitelisting_found_by_the_registry_sync_cancels_its_orders(
    client, admin, chain_info, make_asset, make_investor
):
    buyer, orders = _two_markets(client, admin, chain_info, make_asset, make_investor)
    app = client.app
    chain = app.state.chain
    chain.transact(chain.core("identity_registry").functions.removeInvestor(buyer.wallet.address))  # behind our back
    with Session(app.state.db, expire_on_commit=False) as session:
        result = resync_investors(session, chain, venue=app.state.venue)
    assert buyer.wallet.address in [row.wallet for row in result.delisted]
    _assert_cancelled(client, admin, buyer, orders, "delisted")


def test_kyc_expiry_cancels_its_orders_at_the_watchers_sweep(client, admin, chain_info, make_asset, make_investor):
    buyer, orders = _two_markets(client, admin, chain_info, make_asset, make_investor)
    app = client.app
    with Session(app.state.db, expire_on_commit=False) as session:
        # Time passes: the KYC ran out yesterday (UTC).
        row = session.get(Investor, buyer.id)
        row.kyc_expires = utc_today() - timedelta(days=1)
        session.add(row)
        session.commit()
        assert revocations.reason_for(row, utc_today()) == "kyc_expired"
    # The watcher sweeps at start (then once a minute): a restart finds the expired KYC.
    app.state.chain_cancels.stop()
    app.state.chain_cancels = ChainCancelWatcher(app.state.db, app.state.chain, app.state.venue, interval_ms=100)
    app.state.chain_cancels.start()
    deadline = time.monotonic() + OBEYED_WITHIN
    while _order(client, buyer, orders[0]["id"])["status"] != "cancelled" and time.monotonic() < deadline:
        time.sleep(0.1)
    _assert_cancelled(client, admin, buyer, orders, "kyc_expired")
    with Session(app.state.db, expire_on_commit=False) as session:
        assert revocations.sweep(session, app.state.venue) == {}  # nothing left: a repeat is a no-op


def test_rwa_orders_cancel_onchain_signs_cancel_up_to_with_the_wallet_key(
    client, admin, chain_info, settings, make_asset, make_investor, tmp_path, monkeypatch
):
    from typer.testing import CliRunner

    from backend.cli import app as cli
    from backend.commands import common

    monkeypatch.setattr(common.console, "width", 220)
    monkeypatch.setattr(common.err_console, "width", 220)

    asset, seller, _ = _seller(client, admin, chain_info, make_asset, make_investor)
    placed = [_place(client, seller, asset["symbol"], "sell", price) for price in ("60", "61")]
    env = {
        "DATABASE_URL": settings.database_url,
        "RPC_URL": settings.rpc_url,
        "RWA_DEPLOYMENT_FILE": str(settings.deployment_file),
        "RWA_STORAGE_DIR": str(settings.storage_dir),
        "RWA_ADMIN_KEY": "test-admin-key",
    }

    def rwa(*args: str):
        return CliRunner().invoke(cli, ["orders", "cancel-onchain", *args], env=env)

    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    refused = rwa("--wallet-key-file", str(bad))
    assert refused.exit_code == 2 and "does not hold a private key" in refused.output
    assert "Traceback" not in refused.output
    missing = rwa("--wallet-key-file", str(tmp_path / "absent.key"))
    assert missing.exit_code == 2 and "cannot read the wallet key file" in missing.output

    key_file = tmp_path / "wallet.key"
    key_file.write_text(seller.wallet.account.key.to_0x_hex() + "\n")
    done = rwa("--wallet-key-file", str(key_file))
    assert done.exit_code == 0, done.output
    floor = max(int(message["nonce"]) for _, message in placed) + 1
    assert f"cancelUpTo({floor})" in done.output and "tx 0x" in done.output and f"-> {floor}" in done.output
    for order, _ in placed:
        cancelled, _took = _wait_status(client, seller, order["id"], "cancelled")
        assert cancelled["cancel_reason"] == "onchain"
    again = rwa("--wallet-key-file", str(key_file), "--up-to", str(floor))
    assert again.exit_code == 2 and f"already {floor}" in again.output


def test_a_wallet_frozen_in_one_token_loses_its_orders_in_that_market_only(
    client, admin, chain_info, make_asset, make_investor
):
    from backend.assets.service import get_asset
    from backend.compliance.sync import sync, token_contract

    buyer, orders = _two_markets(client, admin, chain_info, make_asset, make_investor)
    app = client.app
    chain = app.state.chain
    with Session(app.state.db, expire_on_commit=False) as session:
        asset = get_asset(session, orders[0]["symbol"])
        # An agent freezes the wallet in one token, outside the service (a script): the mirror sees it.
        receipt = chain.transact(
            token_contract(chain, asset).functions.setWalletFrozen(buyer.wallet.address, True), governance=True
        )
        sync(session, chain, asset, min_block=int(receipt["blockNumber"]))
        counts = revocations.sweep(session, app.state.venue)
    assert counts.get("frozen") == 1, counts
    first, second = (_order(client, buyer, o["id"]) for o in orders)
    assert (first["status"], first["cancel_reason"]) == ("cancelled", "frozen")
    assert second["status"] == "open"  # the other token did not freeze the wallet


def test_the_watcher_survives_the_node_being_down_and_catches_up(
    client, admin, chain_info, settings, make_asset, make_investor
):
    from backend.chain.client import Chain

    asset, seller, _ = _seller(client, admin, chain_info, make_asset, make_investor)
    exchange = chain_info["contracts"]["settlement_exchange"]
    app = client.app
    app.state.chain_cancels.stop()
    down = Chain(
        settings.model_copy(update={"rpc_url": "http://127.0.0.1:9", "deployment_file": settings.deployment_file})
    )
    watcher = ChainCancelWatcher(app.state.db, down, app.state.venue, interval_ms=100)
    app.state.chain_cancels = watcher
    watcher.start()
    gone, message = _place(client, seller, asset["symbol"], "sell", "70")
    seller.wallet.cancel_order_onchain(exchange, message)
    deadline = time.monotonic() + OBEYED_WITHIN
    while watcher.last_error is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert watcher.last_error and "unreachable" in watcher.last_error, watcher.last_error
    assert watcher._thread is not None and watcher._thread.is_alive()  # it retries, it does not die
    assert _order(client, seller, gone["id"])["status"] == "open"
    watcher.chain = app.state.chain  # the node is back
    order, _ = _wait_status(client, seller, gone["id"], "cancelled")
    assert order["cancel_reason"] == "onchain"
    deadline = time.monotonic() + OBEYED_WITHIN
    while watcher.last_error is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert watcher.last_error is None


def _signed_with_nonce(client, investor, symbol: str, nonce: int) -> dict:
    """A limit sell the wallet signs with a nonce it chose itself (typed-data refuses a nonce
    below a known floor too, so the typed data is asked for with a valid one, then re-signed)."""
    order = {"symbol": symbol, "side": "sell", "price": "40", "quantity": "1", "expires_at": int(time.time()) + 3600}
    typed = client.post("/v1/orders/typed-data", json=order, headers=investor.headers)
    assert typed.status_code == 200, typed.text
    data = typed.json()
    data["message"]["nonce"] = nonce
    return {**order, "nonce": nonce, "signature": investor.wallet.sign_order(data)}


def test_an_order_signed_below_the_wallets_nonce_floor_is_refused(client, admin, chain_info, make_asset, make_investor):
    """A signature the chain already invalidated (cancelUpTo) never enters the book: both for a
    floor the watcher has seen and for a wallet whose floor the service reads for the first time."""
    asset, seller, _ = _seller(client, admin, chain_info, make_asset, make_investor)
    symbol, exchange = asset["symbol"], chain_info["contracts"]["settlement_exchange"]
    # First sight of the wallet: the floor is read from the chain.
    seller.wallet.cancel_up_to(exchange, 1_000)
    stale = _signed_with_nonce(client, seller, symbol, 999)
    refused = client.post("/v1/orders", json=stale, headers=seller.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "order.nonce_cancelled"
    fresh = client.post("/v1/orders", json=_signed_with_nonce(client, seller, symbol, 1_000), headers=seller.headers)
    assert fresh.status_code == 201, fresh.text
    # A floor raised later is seen by the watcher, then enforced.
    seller.wallet.cancel_up_to(exchange, 2_000)
    deadline, nonce = time.monotonic() + OBEYED_WITHIN, 1_500
    while True:
        nonce += 1  # each try its own nonce: a reused one would be a duplicate
        answer = client.post(
            "/v1/orders", json=_signed_with_nonce(client, seller, symbol, nonce), headers=seller.headers
        )
        if answer.status_code == 409:
            assert answer.json()["error"]["code"] == "order.nonce_cancelled", answer.text
            break
        assert answer.status_code == 201, answer.text  # not seen yet: accepted, then cancelled on chain
        assert time.monotonic() < deadline, "the raised floor was not enforced within 10 s"
        time.sleep(0.2)
