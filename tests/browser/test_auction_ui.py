"""The call auction in the browser (issue 14): a market halted by the operator resumes
through a reopening call; the page shows the call's phase, a countdown, the indicative
price, the matched quantity and the imbalance as orders arrive, then the market reopens.

The shared stack runs with the phases off, so this module serves its own app (2-s limit
state, 8-s calls) over HTTP for the `ui` fixture."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from backend.api.app import create_app
from backend.demo.wallet import Wallet
from tests.support.live_stack import ADMIN_KEY
from tests.support.trading import Who, fund_and_approve

ADMIN = {"X-API-Key": ADMIN_KEY}
CALL_SECONDS = 8


@pytest.fixture(scope="module")
def calls_client(settings, tmp_path_factory) -> Iterator[TestClient]:
    own = settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path_factory.mktemp('auction-ui') / 'rwa.db'}",
            "disclosure_policy_enforced": False,
            "market_auction_seconds": CALL_SECONDS,
            "market_limit_state_seconds": 2,
        }
    )
    with TestClient(create_app(own), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def base_url(calls_client) -> Iterator[str]:
    """This module's app (phases on) over HTTP: the `ui` fixture opens pages on it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(calls_client.app, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="uvicorn-calls")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _investor(client: TestClient, wallet: Wallet) -> Who:
    body = {"wallet": wallet.address, "name": "U", "country": "US", "accredited": True, "kyc_expires": "2099-01-01"}
    return Who(wallet=wallet, api_key=client.post("/v1/investors", headers=ADMIN, json=body).json()["api_key"])


def _place(client: TestClient, who: Who, symbol: str, side: str, price: str, quantity: str) -> dict:
    order = {"symbol": symbol, "side": side, "price": price, "quantity": quantity}
    response = who.wallet.place_order(client, who.api_key, order)
    assert response.status_code == 201, response.text
    return response.json()


def _wait_open(client: TestClient, symbol: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while client.get(f"/v1/assets/{symbol}").json()["market_status"] != "open":
        assert time.monotonic() < deadline, client.get(f"/v1/assets/{symbol}").json()["market_status"]
        time.sleep(0.1)


def test_a_resumed_market_shows_its_reopening_call_then_reopens(ui, calls_client, new_wallet: Callable[[], Wallet]):
    client = calls_client
    symbol = "U" + new_wallet().address[2:7].upper()
    body = {"symbol": symbol, "name": "Call in the browser", "kind": "equity", "total_supply": "1000"}
    body |= {"tick_size": "0.01", "lot_size": "1", "issuer_wallet": new_wallet().address}
    asset = client.post("/v1/assets", headers=ADMIN, json=body).json()
    seller, buyer = _investor(client, new_wallet()), _investor(client, new_wallet())
    fund_and_approve(
        client,
        admin=ADMIN,
        chain_info=client.get("/v1/chain").json(),
        asset=asset,
        seller=seller,
        buyer=buyer,
        cash="100",
    )
    _place(client, seller, symbol, "sell", "1.00", "1")
    _place(client, buyer, symbol, "buy", "1.00", "1")
    _wait_open(client, symbol)  # the new listing's opening call uncrossed at 1.00: the reference

    page = ui.page
    page.goto("/")
    page.get_by_role("region", name="Markets").get_by_role("button", name=symbol, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(symbol)
    panel = page.locator("#auction-panel")
    expect(panel).to_be_hidden()

    assert client.post(f"/v1/markets/{symbol}/halt", headers=ADMIN).status_code == 200
    expect(page.locator("#halt-banner")).to_contain_text("Trading halted: stopped by the operator")
    resumed = client.post(f"/v1/markets/{symbol}/resume", headers=ADMIN).json()["market_status"]
    assert resumed.startswith("auction: reopening"), resumed

    expect(panel).to_be_visible()
    expect(page.get_by_role("heading", name="Reopening call auction")).to_be_visible()
    expect(page.locator("#halt-banner")).to_be_hidden()  # a call accepts orders: not a halt
    expect(page.locator("#market-status")).to_contain_text("Call auction")
    row = page.get_by_role("region", name="Markets").get_by_role("row").filter(has_text=symbol)
    expect(row).to_contain_text("Call auction: reopening call until")
    countdown = page.locator("#auction-countdown")
    expect(countdown).to_have_text(re.compile(r"^0:0\d$"))
    first = countdown.inner_text()
    expect(countdown).not_to_have_text(first, timeout=3_000)  # it counts down by itself
    expect(page.locator("#auction-price")).to_have_text("—")  # nothing crosses yet

    _place(client, seller, symbol, "sell", "1.00", "2")
    _place(client, buyer, symbol, "buy", "1.05", "1")
    # 1 lot matches anywhere from 1.00 to 1.05, a sell imbalance of 1; nearest the reference: 1.00.
    expect(page.locator("#auction-price")).to_have_text("1.00")
    expect(page.locator("#auction-matched")).to_have_text("1")
    expect(page.locator("#auction-imbalance")).to_have_text("1 to sell")
    ui.screenshot("auction-call")

    expect(panel).to_be_hidden(timeout=CALL_SECONDS * 1000 + 10_000)  # the call uncrossed
    expect(page.locator("#market-status")).to_contain_text("Open")
    expect(row).not_to_contain_text("Call auction")
    trades = client.get(f"/v1/markets/{symbol}/trades").json()
    assert (trades[0]["price"], trades[0]["quantity"]) == ("1", "1"), trades
    assert client.get(f"/v1/markets/{symbol}/book").json()["asks"] == [["1", "1"]]
    ui.assert_no_console_errors()
