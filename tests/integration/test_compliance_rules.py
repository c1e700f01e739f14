"""Rule sets on chain, the compliance check endpoint and pre-trade compliance of orders."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import delete, event
from sqlmodel import select

from backend.auth.service import issue_key
from backend.compliance.registry_sync import resync_investors
from backend.compliance.sync import resync, rules_contract, token_contract
from backend.models.compliance import ComplianceState, HolderState
from tests.support.compliance import (
    UNIT,
    ZERO,
    agent,
    asset_row,
    check,
    db_session,
    issue,
    onchain_code,
    put_rules,
    service_chain,
)


def _issuer_headers(client, wallet: str) -> dict:
    with db_session(client) as session:
        key = issue_key(session, role="issuer", issuer_wallet=wallet, label="issuer")
        session.commit()
    return {"X-API-Key": key}


def test_rules_round_trip_through_the_chain(client, admin, make_asset):
    asset = make_asset()
    symbol = asset["symbol"]
    put = put_rules(
        client,
        admin,
        symbol,
        allowed_countries=["US", "gb", "US"],
        accredited_only=True,
        max_holders=50,
        max_balance="1500.5",
        lockup_seconds=3600,
    )
    assert put.status_code == 200, put.text
    assert put.json()["tx_hash"].startswith("0x")
    expected = {
        "allowed_countries": ["US", "GB"],
        "accredited_only": True,
        "max_holders": 50,
        "max_balance": "1500.5",
        "lockup_seconds": 3600,
    }
    got = client.get(f"/v1/assets/{symbol}/rules").json()
    assert {k: got[k] for k in expected} == expected
    assert client.get(f"/v1/assets/{symbol}").json()["rules"] == expected
    chain = service_chain(client)
    onchain = chain.call(rules_contract(chain, asset_row(client, symbol)).functions.getRules())
    assert list(onchain) == [[840, 826], True, 50, 1500 * UNIT + UNIT // 2, 3600]


def test_only_the_assets_issuer_or_an_admin_may_change_its_rules(client, admin, make_asset, make_investor, new_wallet):
    issuer_wallet = new_wallet().address
    asset = make_asset(issuer_wallet=issuer_wallet)
    own = put_rules(client, _issuer_headers(client, issuer_wallet), asset["symbol"], max_holders=7)
    assert own.status_code == 200, own.text
    other = put_rules(client, _issuer_headers(client, new_wallet().address), asset["symbol"], max_holders=8)
    assert other.status_code == 403
    investor = put_rules(client, make_investor().headers, asset["symbol"], max_holders=9)
    assert investor.status_code == 403
    bad = put_rules(client, admin, asset["symbol"], allowed_countries=["XX"])
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation.invalid"
    assert client.get(f"/v1/assets/{asset['symbol']}/rules").json()["max_holders"] == 7


def test_check_gives_the_chains_verdict_for_every_reason(client, admin, make_asset, make_investor, new_wallet):
    asset = make_asset()
    symbol = asset["symbol"]
    us, gb = make_investor(country="US"), make_investor(country="GB")
    retail = make_investor(country="US", accredited=False)
    stranger = new_wallet().address
    issue(client, admin, symbol, us.wallet.address, "100")
    key = retail.headers  # any valid key may ask
    a, b, r = us.wallet.address, gb.wallet.address, retail.wallet.address
    seen = {}

    def expect(reason: str, sender: str, receiver: str, quantity: str) -> None:
        verdict = check(client, key, symbol, sender, receiver, quantity)
        units = int(Decimal(quantity) * UNIT)
        assert verdict["reason"] == reason, (reason, verdict)
        assert verdict["code"] == onchain_code(client, symbol, sender, receiver, units), verdict
        assert verdict["allowed"] is (reason == "ok")
        seen[reason] = verdict["code"]

    expect("ok", a, b, "10")
    expect("ok", ZERO, b, "10")  # issuance
    expect("sender_not_whitelisted", stranger, b, "1")
    expect("receiver_not_whitelisted", a, stranger, "1")
    expect("insufficient_balance", a, b, "101")
    assert put_rules(client, admin, symbol, allowed_countries=["US"]).status_code == 200
    expect("country_not_allowed", a, b, "1")
    assert put_rules(client, admin, symbol, accredited_only=True).status_code == 200
    expect("not_accredited", a, r, "1")
    assert put_rules(client, admin, symbol, max_balance="50").status_code == 200
    expect("max_balance", a, b, "51")
    expect("ok", a, b, "50")
    assert put_rules(client, admin, symbol, max_holders=1).status_code == 200
    expect("max_holders", a, b, "1")
    expect("ok", a, b, "100")  # selling out does not add a holder
    assert put_rules(client, admin, symbol, lockup_seconds=3600).status_code == 200
    issue(client, admin, symbol, a, "1")  # newly issued tokens are locked, not the 100 held before
    expect("lockup", a, b, "101")
    expect("ok", a, b, "100")
    assert put_rules(client, admin, symbol).status_code == 200
    patched = client.patch(
        f"/v1/investors/{gb.id}", headers=admin, json={"kyc_expires": (date.today() - timedelta(days=1)).isoformat()}
    )
    assert patched.status_code == 200, patched.text
    expect("kyc_expired", r, b, "0")
    frozen = client.patch(f"/v1/investors/{retail.id}", headers=admin, json={"frozen": True})
    assert frozen.status_code == 200 and frozen.json()["frozen"] is True
    expect("frozen", a, r, "1")
    agent(client, symbol, "pause")
    expect("paused", a, r, "1")
    agent(client, symbol, "unpause")
    assert seen == {
        "ok": 0,
        "sender_not_whitelisted": 1,
        "receiver_not_whitelisted": 2,
        "kyc_expired": 3,
        "country_not_allowed": 4,
        "not_accredited": 5,
        "max_holders": 6,
        "max_balance": 7,
        "lockup": 8,
        "frozen": 9,
        "paused": 10,
        "insufficient_balance": 11,
    }


def _buy(investor, client, symbol: str, quantity: str = "1"):
    return investor.wallet.place_order(
        client, investor.api_key, {"symbol": symbol, "side": "buy", "type": "limit", "price": "1", "quantity": quantity}
    )


def _sell(investor, client, symbol: str, quantity: str = "1"):
    return investor.wallet.place_order(
        client,
        investor.api_key,
        {"symbol": symbol, "side": "sell", "type": "limit", "price": "1", "quantity": quantity},
    )


def test_orders_from_a_disallowed_country_or_unaccredited_buyer_are_refused(client, admin, make_asset, make_investor):
    asset = make_asset()
    symbol = asset["symbol"]
    response = put_rules(client, admin, symbol, allowed_countries=["US", "DE"], accredited_only=True)
    assert response.status_code == 200
    british, retail = make_investor(country="GB"), make_investor(country="US", accredited=False)
    expected = ((british, "compliance.country_not_allowed"), (retail, "compliance.not_accredited"))
    for investor, code in expected:
        response = _buy(investor, client, symbol)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == code


def test_buy_orders_count_open_buys_against_the_balance_cap(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    symbol = asset["symbol"]
    assert put_rules(client, admin, symbol, max_balance="10").status_code == 200
    buyer = make_investor()
    assert (
        client.post(
            "/v1/cash/faucet", headers=admin, json={"wallet": buyer.wallet.address, "amount": "100"}
        ).status_code
        == 200
    )
    contracts = chain_info["contracts"]
    buyer.wallet.approve(contracts["cash_token"], contracts["settlement_exchange"])
    assert _buy(buyer, client, symbol, "6").status_code == 201
    second = _buy(buyer, client, symbol, "6")
    assert second.status_code == 422 and second.json()["error"]["code"] == "compliance.max_balance"
    assert _buy(buyer, client, symbol, "4").status_code == 201


def test_frozen_investor_cannot_place_orders(client, admin, make_asset, make_investor):
    asset = make_asset()
    symbol = asset["symbol"]
    investor = make_investor()
    issue(client, admin, symbol, investor.wallet.address, "5")
    response = client.patch(f"/v1/investors/{investor.id}", headers=admin, json={"frozen": True})
    assert response.status_code == 200 and response.json()["frozen"] is True
    chain = service_chain(client)
    token = token_contract(chain, asset_row(client, symbol))
    assert chain.call(token.functions.isFrozen(investor.wallet.address))
    for order in (_buy, _sell):
        refused = order(investor, client, symbol)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "compliance.frozen"
    thawed = client.patch(f"/v1/investors/{investor.id}", headers=admin, json={"frozen": False})
    assert thawed.status_code == 200
    assert check(client, admin, symbol, investor.wallet.address, investor.wallet.address, "1")["allowed"]


def test_a_seller_in_lockup_is_refused(client, admin, make_asset, make_investor):
    asset = make_asset()
    symbol = asset["symbol"]
    assert put_rules(client, admin, symbol, lockup_seconds=86_400).status_code == 200
    seller = make_investor()
    issue(client, admin, symbol, seller.wallet.address, "5")
    refused = _sell(seller, client, symbol)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "compliance.lockup"


def test_resync_rebuilds_the_same_mirror_and_investors_follow_the_registry(client, admin, make_asset, make_investor):
    asset = make_asset()
    symbol = asset["symbol"]
    holder, other = make_investor(country="US"), make_investor(country="FR")
    issue(client, admin, symbol, holder.wallet.address, "20")
    agent(client, symbol, "freezePartialTokens", holder.wallet.address, 3 * UNIT)
    agent(client, symbol, "forcedTransfer", holder.wallet.address, other.wallet.address, 5 * UNIT)
    h, o = holder.wallet.address, other.wallet.address
    cases = [(h, o, "12"), (h, o, "13"), (o, ZERO, "1")]
    before = [check(client, admin, symbol, *case) for case in cases]
    chain = service_chain(client)
    with db_session(client) as session:
        resync(session, chain, asset_row(client, symbol))
    assert [check(client, admin, symbol, *case)["code"] for case in cases] == [v["code"] for v in before]
    assert [v["code"] for v in before] == [0, 11, 2]

    registry = chain.core("identity_registry")
    expiry = 4_102_444_800  # 2100-01-01T00:00:00Z: the end of 2099-12-31
    chain.transact(registry.functions.updateInvestor(other.wallet.address, 276, False, expiry))
    chain.transact(registry.functions.removeInvestor(holder.wallet.address))
    with db_session(client) as session:
        result = resync_investors(session, chain)
    assert {holder.wallet.address, other.wallet.address} <= set(result.changed)
    moved = client.get(f"/v1/investors/{other.id}", headers=admin).json()
    assert (moved["country"], moved["accredited"], moved["kyc_expires"]) == ("DE", False, "2099-12-31")
    assert client.get(f"/v1/investors/{holder.id}", headers=admin).json()["status"] == "revoked"
    assert (
        check(client, admin, symbol, other.wallet.address, holder.wallet.address, "1")["reason"]
        == "receiver_not_whitelisted"
    )


def test_two_first_syncs_of_an_asset_at_once_both_succeed(client, admin, make_asset, make_investor):
    """The mirror worker and a request can both be first to sync a new asset: the second
    must wait for the first, not fail on the holder rows' unique key (seen on PostgreSQL)."""
    symbol = make_asset()["symbol"]
    holder = make_investor()
    issue(client, admin, symbol, holder.wallet.address, "4")
    asset, chain = asset_row(client, symbol), service_chain(client)
    with db_session(client) as session:  # back to a never-synced asset
        session.exec(delete(HolderState).where(HolderState.asset_id == asset.id))  # type: ignore[call-overload, arg-type]
        session.exec(delete(ComplianceState).where(ComplianceState.asset_id == asset.id))  # type: ignore[call-overload, arg-type]
        session.commit()
    # The first sync pauses inside its write transaction, once its holder rows are flushed,
    # so the second runs into it there: the window in which the two raced on PostgreSQL.
    inside, errors = threading.Event(), []

    def hold(session, _context) -> None:
        if not inside.is_set() and any(isinstance(row, HolderState) for row in session.new):
            inside.set()
            time.sleep(1.0)

    def first_sync(pause: bool) -> None:
        try:
            with db_session(client) as session:
                if pause:
                    event.listen(session, "after_flush", hold)
                resync(session, chain, asset)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            inside.set()

    first = threading.Thread(target=first_sync, args=(True,))
    first.start()
    inside.wait(60)
    first_sync(False)
    first.join()
    assert errors == []
    with db_session(client) as session:
        rows = session.exec(
            select(HolderState).where(HolderState.asset_id == asset.id, HolderState.wallet == holder.wallet.address)
        ).all()
    assert [row.balance for row in rows] == [str(4 * UNIT)]
