"""The operator console (admin key) in headless chromium, against the real service and chain:
every action goes through a form that refuses to send without a reason, shows the API's
refusals, and lands in the public audit log."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
from eth_account import Account
from playwright.sync_api import Page, Request, expect

from tests.support.live_stack import ADMIN_KEY
from tests.support.trading import fund_and_approve

pytestmark = [pytest.mark.browser, pytest.mark.chain]

# RWA_CONSOLE_SCREENSHOT=docs/images/console.png refreshes the README's picture.
CONSOLE_PICTURE = os.environ.get("RWA_CONSOLE_SCREENSHOT")


@pytest.fixture
def held_asset(client, admin, chain_info, make_asset, make_investor):
    """A fresh asset and an investor holding 100 of it."""
    asset = make_asset()
    holder = make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller=holder)
    return asset, holder


def open_console(page: Page, key: str = ADMIN_KEY) -> None:
    page.goto("/")
    page.get_by_role("button", name="Operator console").click()
    console = page.get_by_role("region", name="Operator console")
    console.get_by_label("Admin API key").fill(key)
    console.get_by_role("button", name="Open console").click()


def admin_posts(page: Page) -> list[str]:
    """Every privileged request the page sends from now on."""
    sent: list[str] = []

    def on_request(request: Request) -> None:
        if request.method != "GET" and "/v1/admin/" in request.url:
            sent.append(f"{request.method} {request.url}")

    page.on("request", on_request)
    return sent


def audit_head(client) -> int:
    """The last seq of the log: a test reads only what it appended after this."""
    response = client.get("/v1/audit/head")
    assert response.status_code == 200, response.text
    return response.json()["seq"] or 0


def audit(client, after_seq: int, **query) -> list[dict]:
    response = client.get("/v1/audit", params={"limit": 1000, "after_seq": after_seq, **query})
    assert response.status_code == 200, response.text
    return response.json()["entries"]


def test_console_needs_an_admin_key_and_shows_investors_assets_and_holders(ui, held_asset):
    asset, holder = held_asset
    symbol = asset["symbol"]
    page = ui.page
    open_console(page, key=holder.api_key)  # an investor's key opens nothing
    console = page.get_by_role("region", name="Operator console")
    expect(console.get_by_role("alert")).to_contain_text("auth.forbidden")
    expect(console.get_by_role("region", name="Investors")).to_be_hidden()
    expect(page.get_by_role("region", name="Markets")).to_be_hidden()  # the trading screen makes way

    console.get_by_label("Admin API key").fill(ADMIN_KEY)
    console.get_by_role("button", name="Open console").click()
    investors = console.get_by_role("region", name="Investors")
    row = investors.get_by_role("row").filter(has_text=f"Investor {holder.wallet.address[:8]}")
    expect(row).to_contain_text("approved")
    expect(row.get_by_role("button", name="Revoke…")).to_be_visible()

    assets = console.get_by_role("region", name="Assets and markets")
    asset_row = assets.get_by_role("row").filter(has_text=symbol)
    expect(asset_row).to_contain_text("Open")
    expect(asset_row).to_contain_text("Active")  # the token is not paused
    asset_row.get_by_role("button", name=symbol, exact=True).click()
    holders = console.get_by_role("region", name="Holders and freezes")
    holder_row = holders.get_by_role("row").filter(has_text=holder.wallet.address[:8])
    expect(holder_row).to_contain_text("100")
    expect(holder_row).to_contain_text(f"Investor {holder.wallet.address[:8]}")

    # back to the markets, and the console again without asking for the key (this tab keeps it)
    page.get_by_role("button", name="Back to the markets").click()
    expect(page.get_by_role("region", name="Markets")).to_be_visible()
    page.get_by_role("button", name="Operator console").click()
    expect(investors).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: one column, tables scroll inside
    expect(holder_row).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    ui.assert_no_console_errors()


def test_halt_and_resume_a_market_with_reasons(ui, client, make_asset):
    symbol = make_asset()["symbol"]
    page = ui.page
    start = audit_head(client)
    open_console(page)
    row = page.get_by_role("region", name="Assets and markets").get_by_role("row").filter(has_text=symbol)
    expect(row).to_contain_text("Open")

    row.get_by_role("button", name="Halt…").click()
    form = page.get_by_role("dialog", name=re.compile("^Halt the market"))
    form.get_by_label("Reason code").select_option("market_integrity")
    form.get_by_label("Reason", exact=True).fill("Erroneous price feed from the issuer")
    form.get_by_role("button", name="Halt").click()
    expect(row).to_contain_text("Halted")
    assert client.get(f"/v1/assets/{symbol}").json()["market_status"] != "open"

    row.get_by_role("button", name="Resume…").click()
    form = page.get_by_role("dialog", name=re.compile("^Resume the market"))
    form.get_by_label("Reason code").select_option("market_integrity")
    form.get_by_label("Reason", exact=True).fill("Feed corrected")
    form.get_by_role("button", name="Resume").click()
    expect(row).to_contain_text("Open")
    assert client.get(f"/v1/assets/{symbol}").json()["market_status"] == "open"

    entries = audit(client, start, asset=symbol)
    assert [(e["action"], e["reason_code"], e["reason"]) for e in entries] == [
        ("market.halt", "market_integrity", "Erroneous price feed from the issuer"),
        ("market.resume", "market_integrity", "Feed corrected"),
    ]
    log = page.get_by_role("region", name="Audit log")
    expect(log.get_by_role("row").filter(has_text="Erroneous price feed")).to_contain_text("market.halt")
    ui.assert_no_console_errors()


def test_partial_freeze_asks_for_a_reason_and_lands_in_the_audit_log(ui, client, held_asset):
    asset, holder = held_asset
    symbol, wallet = asset["symbol"], holder.wallet.address
    page = ui.page
    sent = admin_posts(page)
    start = audit_head(client)
    open_console(page)
    console = page.get_by_role("region", name="Operator console")
    console.get_by_role("region", name="Assets and markets").get_by_role("button", name=symbol, exact=True).click()
    holders = console.get_by_role("region", name="Holders and freezes")
    holder_row = holders.get_by_role("row").filter(has_text=wallet[:8])
    holder_row.get_by_role("button", name="Freeze tokens…").click()

    form = page.get_by_role("dialog", name=re.compile("^Freeze part of a holding"))
    expect(form.get_by_label("Wallet")).to_have_value(wallet)
    form.get_by_label("Quantity").fill("25")
    form.get_by_role("button", name="Freeze tokens").click()
    expect(form.get_by_role("alert")).to_contain_text("Choose a reason code")
    form.get_by_label("Reason code").select_option("court_order")
    form.get_by_label("Reason", exact=True).fill("   ")
    form.get_by_role("button", name="Freeze tokens").click()
    expect(form.get_by_role("alert")).to_contain_text("Write the reason")
    assert sent == []  # the form refused: nothing reached the API
    assert audit(client, start, asset=symbol) == []

    form.get_by_label("Reason", exact=True).fill("Attachment order 2026-117, Amtsgericht München")
    form.get_by_role("button", name="Freeze tokens").click()
    expect(form).to_be_hidden()
    expect(console.get_by_role("status").filter(has_text="tokens.freeze")).to_contain_text("done")
    assert len(sent) == 1 and sent[0].endswith(f"/v1/admin/assets/{symbol}/freeze-partial"), sent

    [entry] = audit(client, start, asset=symbol)
    assert (entry["action"], entry["wallet"].lower(), entry["reason_code"]) == (
        "tokens.freeze",
        wallet.lower(),
        "court_order",
    )
    assert entry["reason"] == "Attachment order 2026-117, Amtsgericht München" and entry["tx_hash"]
    expect(holder_row.get_by_role("cell").nth(2)).to_have_text("25")  # frozen, read back from the token
    log = console.get_by_role("region", name="Audit log")
    audit_row = log.locator(f'tr[data-seq="{entry["seq"]}"]')  # this entry's row: the session's log has others
    expect(audit_row).to_contain_text("Attachment order 2026-117")
    expect(audit_row).to_contain_text("tokens.freeze")
    expect(audit_row).to_contain_text("court_order")
    expect(audit_row).to_contain_text(str(entry["seq"]))

    expect(log).to_contain_text("hashes recomputed in this browser: all match")  # the non-ASCII reason too

    # the log's filters: this wallet only
    log.get_by_label("Filter by wallet").fill(wallet)
    log.get_by_label("Filter by action").select_option("tokens.freeze")
    log.get_by_role("button", name="Filter").click()
    expect(log.get_by_role("row")).to_have_count(2)  # the header and the one entry
    ui.screenshot("console")
    ui.assert_no_console_errors()


def test_an_api_refusal_is_shown_in_the_form_and_logs_nothing(ui, client, held_asset):
    symbol = held_asset[0]["symbol"]
    stranger = Account.create().address  # no investor of the venue has this wallet
    page = ui.page
    start = audit_head(client)
    open_console(page)
    console = page.get_by_role("region", name="Operator console")
    console.get_by_role("region", name="Assets and markets").get_by_role("button", name=symbol, exact=True).click()
    console.get_by_role("region", name="Holders and freezes").get_by_role(
        "button", name="Freeze tokens by address…"
    ).click()

    form = page.get_by_role("dialog", name=re.compile("^Freeze part of a holding"))
    form.get_by_label("Wallet").fill(stranger)
    form.get_by_label("Quantity").fill("1")
    form.get_by_label("Reason code").select_option("sanctions")
    form.get_by_label("Reason", exact=True).fill("Screening hit")
    form.get_by_role("button", name="Freeze tokens").click()
    expect(form.get_by_role("alert")).to_contain_text("governance.wallet_not_found")
    expect(form).to_be_visible()  # still open, to correct and resend
    assert audit(client, start, asset=symbol) == []
    form.get_by_role("button", name="Cancel").click()
    expect(form).to_be_hidden()
    ui.assert_no_console_errors()


def test_revoke_reinstate_and_rotate_an_investors_key(ui, client, make_investor):
    investor = make_investor()
    wallet = investor.wallet.address
    page = ui.page
    start = audit_head(client)
    open_console(page)
    console = page.get_by_role("region", name="Operator console")
    row = console.get_by_role("region", name="Investors").get_by_role("row").filter(has_text=f"Investor {wallet[:8]}")

    def act(button: str, title: str, reason_code: str, reason: str, verb: str) -> None:
        row.get_by_role("button", name=button).click()
        form = page.get_by_role("dialog", name=re.compile(f"^{title}"))
        form.get_by_label("Reason code").select_option(reason_code)
        form.get_by_label("Reason", exact=True).fill(reason)
        form.get_by_role("button", name=verb, exact=True).click()
        expect(form).to_be_hidden()

    act("Revoke…", "Revoke an investor", "kyc_update", "Proof of address expired", "Revoke")
    expect(row.get_by_role("cell").nth(3)).to_contain_text("revoked")
    assert client.get("/v1/account", headers=investor.headers).status_code == 401
    act("Reinstate…", "Reinstate an investor", "kyc_update", "New proof of address received", "Reinstate")
    expect(row.get_by_role("cell").nth(3)).to_contain_text("approved")
    act("Rotate key…", "Rotate an investor's API key", "scheduled_rotation", "Quarterly rotation", "Rotate key")
    new_key = console.locator(".new-key")  # shown once, in the notice
    expect(new_key).to_have_text(re.compile(r"\S{20,}"))
    assert client.get("/v1/account", headers={"X-API-Key": new_key.inner_text()}).status_code == 200

    entries = [e for e in audit(client, start) if (e["wallet"] or "").lower() == wallet.lower()]
    assert [(e["action"], e["reason"]) for e in entries] == [
        ("investor.revoke", "Proof of address expired"),
        ("investor.reinstate", "New proof of address received"),
        ("api_key.rotate", "Quarterly rotation"),
    ]
    ui.assert_no_console_errors()


def test_forced_transfer_with_an_uploaded_supporting_document(ui, client, held_asset, make_investor):
    asset, holder = held_asset
    symbol, receiver = asset["symbol"], make_investor()
    court_order = b"%PDF-1.4\n% Judgment 2026-117: 10 units to the claimant\n"
    page = ui.page
    start = audit_head(client)
    open_console(page)
    row = page.get_by_role("region", name="Assets and markets").get_by_role("row").filter(has_text=symbol)
    row.get_by_role("button", name="Forced transfer…").click()
    form = page.get_by_role("dialog", name=re.compile("^Forced transfer"))
    form.get_by_label("From wallet").fill(holder.wallet.address)
    form.get_by_label("To wallet").fill(receiver.wallet.address)
    form.get_by_label("Quantity").fill("10")
    form.get_by_label("Reason code").select_option("court_order")
    form.get_by_label("Reason", exact=True).fill("Judgment 2026-117")
    form.get_by_role("button", name="Force transfer").click()
    expect(form.get_by_role("alert")).to_contain_text("Supporting document")  # no hash yet: refused here
    form.get_by_label("Upload the supporting document").set_input_files(
        {"name": "judgment.pdf", "mimeType": "application/pdf", "buffer": court_order}
    )
    expect(form.get_by_label("Supporting document (sha256)")).to_have_value(hashlib.sha256(court_order).hexdigest())
    form.get_by_role("button", name="Force transfer").click()
    expect(form).to_be_hidden()

    row.get_by_role("button", name=symbol, exact=True).click()
    holders = page.get_by_role("region", name="Holders and freezes")
    expect(holders.get_by_role("row").filter(has_text=receiver.wallet.address[:8])).to_contain_text("10")
    expect(holders.get_by_role("row").filter(has_text=holder.wallet.address[:8])).to_contain_text("90")
    [entry] = audit(client, start, asset=symbol)
    assert entry["action"] == "asset.forced_transfer" and entry["reason"] == "Judgment 2026-117"
    assert entry["document_hash"].removeprefix("0x") == hashlib.sha256(court_order).hexdigest()
    expect(page.get_by_role("region", name="Audit log").get_by_role("row").nth(1)).to_contain_text("Judgment 2026-117")
    if CONSOLE_PICTURE:  # the last test: the log holds every action of this file
        page.screenshot(path=str(Path(CONSOLE_PICTURE)), full_page=False)
    ui.assert_no_console_errors()


def test_the_browser_recomputes_the_log_and_shows_an_edited_or_deleted_entry(ui, client, admin, make_asset):
    symbol = make_asset()["symbol"]
    why = {"reason_code": "market_integrity", "reason": "Überprüfung der Kursdaten"}
    for step in ("halt", "resume", "halt", "resume"):
        response = client.post(f"/v1/admin/markets/{symbol}/{step}", headers=admin, json=why)
        assert response.status_code == 200, response.text
    seq = [e["seq"] for e in audit(client, 0, asset=symbol)][1]  # the first resume
    page = ui.page
    open_console(page)
    log = page.get_by_role("region", name="Audit log")
    expect(log).to_contain_text("hashes recomputed in this browser: all match")
    expect(log.get_by_role("alert")).to_have_count(0)

    tamper = {"mode": "edit"}

    def rewrite(route) -> None:  # what a dishonest operator's server would answer
        response = route.fetch()
        body = response.json()
        if tamper["mode"] == "edit":
            for entry in body["entries"]:
                if entry["seq"] == seq:
                    entry["reason"] = "Routine check"
        else:
            body["entries"] = [e for e in body["entries"] if e["seq"] != seq]
        route.fulfill(response=response, json=body)

    page.route(re.compile(r"/v1/audit\?"), rewrite)
    expect(log.get_by_role("alert")).to_contain_text(f"#{seq} does not match its hash", timeout=20_000)
    tamper["mode"] = "delete"
    expect(log.get_by_role("alert")).to_contain_text(
        f"#{seq + 1} entries missing before it (after #{seq - 1})", timeout=20_000
    )
    ui.assert_no_console_errors()
