"""The browser UI at `/`, in headless chromium, against the real service and chain."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import inject_wallet
from tests.support.live_stack import wait_for_settlement
from tests.support.trading import fund_and_approve

pytestmark = [pytest.mark.browser, pytest.mark.chain]


@pytest.fixture
def traded_market(client, admin, chain_info, make_asset, make_investor):
    """A market with a settled trade (4 @ 12.50), a resting ask (6 @ 12.50) and bid (3 @ 12.00)."""
    asset = make_asset()
    seller, buyer = make_investor(country="US"), make_investor(country="GB")
    fund_and_approve(client, admin, chain_info, asset, seller=seller, buyer=buyer)
    symbol = asset["symbol"]
    orders = [(seller, "sell", "12.50", "10"), (buyer, "buy", "13", "4"), (buyer, "buy", "12", "3")]
    for investor, side, price, quantity in orders:
        placed = investor.wallet.place_order(
            client,
            investor.api_key,
            {"symbol": symbol, "side": side, "type": "limit", "price": price, "quantity": quantity},
        )
        assert placed.status_code == 201, placed.text
    [trade] = wait_for_settlement(client, admin, symbol, 1)
    assert trade["settlement_status"] == "settled", trade
    return {"asset": asset, "symbol": symbol, "seller": seller, "buyer": buyer, "trade": trade}


def open_market(ui, symbol):
    page = ui.page
    page.goto("/")
    markets = page.get_by_role("region", name="Markets")
    markets.get_by_role("button", name=symbol, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(symbol)
    return page


def test_market_view_shows_list_book_trades_chart_and_verified_disclosures(ui, traded_market):
    symbol = traded_market["symbol"]
    page = ui.page
    page.goto("/")
    row = page.get_by_role("region", name="Markets").get_by_role("row").filter(has_text=symbol)
    expect(row).to_contain_text(traded_market["asset"]["name"])
    expect(row).to_contain_text("Equity")
    expect(row).to_contain_text("12.50")  # last price
    expect(row).to_contain_text("Open")

    open_market(ui, symbol)
    asks = page.get_by_role("table", name="Asks (sell orders)")
    bids = page.get_by_role("table", name="Bids (buy orders)")
    expect(asks.get_by_role("row").filter(has_text="12.50")).to_contain_text("6")
    expect(bids.get_by_role("row").filter(has_text="12.00")).to_contain_text("3")
    expect(page.locator(".spread")).to_contain_text("0.50")

    trades = page.get_by_role("region", name="Recent trades")
    expect(trades.get_by_role("row").nth(1)).to_contain_text("12.50")
    expect(trades.get_by_role("row").nth(1)).to_contain_text("4")
    expect(page.get_by_role("img", name=re.compile(r"Price chart .* last 12\.50"))).to_be_visible()

    disclosures = page.get_by_role("region", name="Disclosures")
    for title_part in ("Offering memorandum", "Financial statements"):
        doc = disclosures.get_by_role("listitem").filter(has_text=title_part)
        expect(doc).to_contain_text("v1")
        expect(doc.get_by_text("Verified on chain")).to_be_visible()
        href = doc.get_by_role("link", name=re.compile("^Download")).get_attribute("href")
        assert re.fullmatch(r"/v1/documents/\d+/content", href or ""), href
    # the link serves the exact bytes the chain anchors
    doc_id = href.split("/")[3]
    verify = page.request.get(f"/v1/documents/{doc_id}/verify").json()
    assert verify["matches"] is True

    expect(page.locator("#connection")).to_contain_text(re.compile("Live feed|Polling"))
    ui.screenshot("market")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: one column, nothing cut off
    expect(page.get_by_role("table", name="Asks (sell orders)")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.wait_for_timeout(400)  # the chart redraws for the new width
    ui.screenshot("phone")
    ui.assert_no_console_errors()


def test_account_panel_shows_balances_own_orders_and_settled_trades(ui, traded_market):
    symbol, seller = traded_market["symbol"], traded_market["seller"]
    page = open_market(ui, symbol)
    account = page.get_by_role("region", name="Account")
    expect(account).to_contain_text("Paste an investor API key")
    account.get_by_label("Investor API key").fill("not-a-key")
    account.get_by_role("button", name="Use key").click()
    expect(account.get_by_role("alert")).to_have_text("auth.invalid_key: unknown or revoked API key")
    account.get_by_label("Investor API key").fill(seller.api_key)
    account.get_by_role("button", name="Use key").click()

    balances = account.get_by_role("table", name="Balances")
    position = balances.get_by_role("row").filter(has=page.get_by_role("rowheader", name=symbol, exact=True))
    expect(position).to_contain_text("96")  # on chain, after delivering 4
    expect(position).to_contain_text("6")  # reserved by the resting ask
    expect(position).to_contain_text("90")  # available
    expect(balances.get_by_role("row").filter(has_text="Cash")).to_contain_text("50.00")
    expect(account).to_contain_text(seller.wallet.address[:8])

    orders = page.get_by_role("region", name="My orders")
    expect(orders.get_by_role("row").filter(has_text=symbol)).to_contain_text("partially filled")
    my_trades = page.get_by_role("region", name="My trades")
    trade_row = my_trades.get_by_role("row").filter(has_text=symbol)
    expect(trade_row).to_contain_text("settled")
    expect(trade_row).to_contain_text(traded_market["trade"]["tx_hash"][:10])
    # the key survives a reload (localStorage)
    page.reload()
    expect(page.get_by_role("table", name="Balances")).to_be_visible()
    ui.screenshot("account")
    ui.assert_no_console_errors()


def test_ticket_places_and_cancels_a_limit_order_and_shows_refusals(
    ui, client, admin, chain_info, make_asset, make_investor
):
    asset = make_asset()
    symbol = asset["symbol"]
    investor = make_investor()  # a fresh key pair: its browser wallet signs, as MetaMask would
    fund_and_approve(client, admin, chain_info, asset, buyer=investor, cash="1000")
    signed = inject_wallet(ui.page, investor.wallet)
    page = open_market(ui, symbol)
    page.get_by_label("Investor API key").fill(investor.api_key)
    page.get_by_role("button", name="Use key").click()
    expect(page.get_by_role("table", name="Balances")).to_contain_text("1,000.00")

    ticket = page.get_by_role("region", name=re.compile("^Trade"))
    expect(ticket.get_by_label("Sign with browser wallet")).to_be_checked()
    ticket.get_by_label("Buy").check()
    ticket.get_by_label("Order type").select_option("limit")
    ticket.get_by_label("Price").fill("12.40")
    ticket.get_by_label("Quantity").fill("5")
    ticket.get_by_label("Time in force").select_option("GTC")
    expect(ticket.get_by_text("62.00 cash")).to_be_visible()
    ticket.get_by_role("button", name=f"Buy {symbol}").click()
    expect(ticket.get_by_role("status")).to_contain_text(f"open: buy 5 {symbol} @ 12.4")
    # the wallet signed the API's typed data with exact uint256 values (no float rounding)
    assert len(signed) == 1 and signed[0]["quantity"] == 5 * 10**18 and signed[0]["price"] == 12_400_000

    orders = page.get_by_role("region", name="My orders")
    row = orders.get_by_role("row").filter(has_text=symbol)
    expect(row).to_contain_text("12.40")
    expect(row).to_contain_text("open")
    bids = page.get_by_role("table", name="Bids (buy orders)")
    expect(bids.get_by_role("row").filter(has_text="12.40")).to_contain_text("5")
    cash = page.get_by_role("table", name="Balances").get_by_role("row").filter(has_text="Cash")
    expect(cash).to_contain_text("62.00")  # reserved

    # refused by the API: the envelope's code and message, verbatim
    ticket.get_by_label("Price").fill("12.345")
    ticket.get_by_role("button", name=f"Buy {symbol}").click()
    expect(ticket.get_by_role("alert")).to_contain_text(
        "order.invalid_tick: price must be a multiple of the tick size 0.01"
    )
    ticket.get_by_label("Price").fill("12.50")
    ticket.get_by_label("Post-only").check()
    ticket.get_by_label("Quantity").fill("100000")
    ticket.get_by_role("button", name=f"Buy {symbol}").click()
    expect(ticket.get_by_role("alert")).to_contain_text("order.insufficient_cash")
    ui.screenshot("ticket")

    row.get_by_role("button", name=re.compile("^Cancel buy 5")).click()
    expect(row).to_contain_text("cancelled")
    expect(bids).to_contain_text("No bids")
    expect(cash).not_to_contain_text("62.00")
    ui.assert_no_console_errors()


def test_ticket_sends_unsigned_orders_that_the_node_signs_for_its_unlocked_accounts(
    ui, client, admin, chain_info, make_asset, node_signed_investor
):
    asset = make_asset()
    symbol = asset["symbol"]
    investor = node_signed_investor()  # a ganache account: the node holds its key
    fund_and_approve(client, admin, chain_info, asset, buyer=investor, cash="100")
    page = open_market(ui, symbol)
    page.get_by_label("Investor API key").fill(investor.api_key)
    page.get_by_role("button", name="Use key").click()
    ticket = page.get_by_role("region", name=re.compile("^Trade"))
    expect(ticket.get_by_label("Sign with browser wallet")).to_be_hidden()  # no wallet in this page
    ticket.get_by_label("Price").fill("3.00")
    ticket.get_by_label("Quantity").fill("2")
    ticket.get_by_role("button", name=f"Buy {symbol}").click()
    expect(ticket.get_by_role("status").or_(ticket.get_by_role("alert"))).to_contain_text(
        f"open: buy 2 {symbol} @ 3", timeout=5_000
    )
    expect(
        page.get_by_role("table", name="Bids (buy orders)").get_by_role("row").filter(has_text="3.00")
    ).to_contain_text("2")
    ui.assert_no_console_errors()


def test_halted_market_is_highlighted_with_its_reason(ui, client, admin, make_asset):
    asset = make_asset()
    symbol = asset["symbol"]
    assert client.post(f"/v1/markets/{symbol}/halt", headers=admin).status_code == 200
    try:
        page = open_market(ui, symbol)
        row = page.get_by_role("region", name="Markets").get_by_role("row").filter(has_text=symbol)
        expect(row).to_contain_text("Halted: stopped by the operator")
        expect(row).to_have_class(re.compile("halted"))
        expect(page.locator("#halt-banner")).to_contain_text("Trading halted: stopped by the operator")
        ui.screenshot("halted")
    finally:
        client.post(f"/v1/markets/{symbol}/resume", headers=admin)
    expect(row).to_contain_text("Open", timeout=15_000)
    ui.assert_no_console_errors()


def test_disclosures_degrade_gracefully(ui, make_asset):
    """No documents endpoint (404) shows "no documents"; a hash mismatch shows a red cross."""
    symbol = make_asset()["symbol"]
    page = ui.page
    page.route(
        f"**/v1/assets/{symbol}/documents",
        lambda route: route.fulfill(
            status=404,
            content_type="application/json",
            body=json.dumps({"error": {"code": "request.not_found", "message": "Not Found"}}),
        ),
    )
    open_market(ui, symbol)
    expect(page.get_by_role("region", name="Disclosures")).to_contain_text("No documents")

    page.unroute(f"**/v1/assets/{symbol}/documents")
    page.route(
        "**/v1/documents/*/verify",
        lambda route: route.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps({"matches": False, "reason": "the stored bytes do not hash to the on-chain hash"}),
        ),
    )
    page.reload()
    disclosures = page.get_by_role("region", name="Disclosures")
    expect(disclosures.get_by_text("Not verified").first).to_be_visible()
    expect(disclosures.get_by_text("Verified on chain")).to_have_count(0)
    expect(disclosures).to_contain_text("the stored bytes do not hash to the on-chain hash")
    ui.assert_no_console_errors()
