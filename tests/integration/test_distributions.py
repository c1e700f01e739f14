"""Revenue distributions on the real chain: deposits pro rata, across a settled trade, claims."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from backend.assets.service import get_asset
from backend.demo.wallet import token_balance
from backend.distributions.service import send_deposit
from backend.errors import Conflict
from tests.support.live_stack import wait_for_settlement

CASH = 10**6


def _issue(client, admin, symbol: str, wallet: str, quantity: str) -> None:
    response = client.post(
        f"/v1/assets/{symbol}/issue", headers=admin, json={"to_wallet": wallet, "quantity": quantity}
    )
    assert response.status_code == 200, response.text


def _deposit(client, headers, symbol: str, amount: str, memo: str = ""):
    return client.post(f"/v1/assets/{symbol}/distributions", headers=headers, json={"amount": amount, "memo": memo})


def _position(client, investor, symbol: str) -> dict:
    response = client.get(f"/v1/assets/{symbol}/distributions", headers=investor.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _sell_to(client, admin, chain_info, asset, seller, buyer, quantity: str) -> None:
    """A limit sell meets a limit buy on the venue; wait until the trade settles on chain."""
    exchange = chain_info["contracts"]["settlement_exchange"]
    assert (
        client.post(
            "/v1/cash/faucet", headers=admin, json={"wallet": buyer.wallet.address, "amount": "10000"}
        ).status_code
        == 200
    )
    seller.wallet.approve(asset["token_address"], exchange)
    buyer.wallet.approve(chain_info["contracts"]["cash_token"], exchange)
    order = {"symbol": asset["symbol"], "type": "limit", "price": "10", "quantity": quantity}
    sell = seller.wallet.place_order(client, seller.api_key, {**order, "side": "sell"})
    assert sell.status_code == 201, sell.text
    buy = buyer.wallet.place_order(client, buyer.api_key, {**order, "side": "buy"})
    assert buy.status_code == 201 and buy.json()["status"] == "filled", buy.text
    [trade] = wait_for_settlement(client, admin, asset["symbol"], 1)
    assert trade["settlement_status"] == "settled", trade


def test_deposits_pay_pro_rata_across_a_trade_and_claims_pay_exactly(
    client, admin, chain_info, node, make_asset, make_investor
):
    asset = make_asset(kind="oil_well")
    symbol, token = asset["symbol"], asset["token_address"]
    distributor, cash = chain_info["contracts"]["revenue_distributor"], chain_info["contracts"]["cash_token"]
    alice, bob = make_investor(country="US"), make_investor(country="GB")
    _issue(client, admin, symbol, alice.wallet.address, "300")
    _issue(client, admin, symbol, bob.wallet.address, "100")

    first = _deposit(client, admin, symbol, "1000", "Q1 2026 royalties")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["amount"] == "1000" and body["memo"] == "Q1 2026 royalties" and body["kind"] == "royalty"
    assert body["status"] == "confirmed" and body["holder_count"] == 2
    assert body["tx_hash"].startswith("0x") and isinstance(body["distribution_id"], int)
    assert _position(client, alice, symbol)["claimable"] == "750"
    assert _position(client, bob, symbol)["claimable"] == "250"

    _sell_to(client, admin, chain_info, asset, alice, bob, "100")  # 300:100 -> 200:200
    assert token_balance(node.rpc_url, token, alice.wallet.address) == 200 * 10**18
    # Revenue already accrued stays with who held the asset when it was deposited.
    assert _position(client, alice, symbol)["claimable"] == "750"
    assert _position(client, bob, symbol)["claimable"] == "250"

    second = _deposit(client, admin, symbol, "1000", "Q2 2026 royalties")
    assert second.status_code == 201, second.text
    assert second.json()["distribution_id"] == body["distribution_id"] + 1
    alice_view = _position(client, alice, symbol)
    assert alice_view["claimable"] == "1250" and alice_view["claimed"] == "0"
    assert _position(client, bob, symbol)["claimable"] == "750"
    assert alice_view["total_distributed"] == "2000" and alice_view["kind"] == "royalty"
    assert [d["memo"] for d in alice_view["distributions"]] == ["Q2 2026 royalties", "Q1 2026 royalties"]

    # Alice's wallet claims straight from the contract.
    before = token_balance(node.rpc_url, cash, alice.wallet.address)
    alice.wallet.claim(distributor, token)
    assert token_balance(node.rpc_url, cash, alice.wallet.address) - before == 1250 * CASH

    # Bob asks the API: told what to sign, then the service relays his signed claim.
    asked = client.post(f"/v1/assets/{symbol}/distributions/claim", headers=bob.headers)
    assert asked.status_code == 409, asked.text
    error = asked.json()["error"]
    assert error["code"] == "distribution.claim_from_wallet"
    assert error["details"]["claimable"] == "750"
    assert error["details"]["transaction"]["to"].lower() == distributor.lower()
    before = token_balance(node.rpc_url, cash, bob.wallet.address)
    relayed = client.post(
        f"/v1/assets/{symbol}/distributions/claim",
        headers=bob.headers,
        json={"signed_transaction": bob.wallet.sign_claim(distributor, token)},
    )
    assert relayed.status_code == 200, relayed.text
    assert relayed.json()["amount"] == "750" and relayed.json()["tx_hash"].startswith("0x")
    assert token_balance(node.rpc_url, cash, bob.wallet.address) - before == 750 * CASH

    alice_view, bob_view = _position(client, alice, symbol), _position(client, bob, symbol)
    assert (alice_view["claimable"], alice_view["claimed"]) == ("0", "1250")
    assert (bob_view["claimable"], bob_view["claimed"]) == ("0", "750")
    assert bob_view["total_claimed"] == "2000"
    again = client.post(
        f"/v1/assets/{symbol}/distributions/claim",
        headers=bob.headers,
        json={"signed_transaction": bob.wallet.sign_claim(distributor, token)},
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "distribution.nothing_to_claim"


def test_history_is_public_and_a_wallet_query_shows_any_holder(client, admin, make_asset, make_investor):
    asset = make_asset(kind="farm", documents=False)
    holder = make_investor()
    _issue(client, admin, asset["symbol"], holder.wallet.address, "10")
    assert _deposit(client, admin, asset["symbol"], "0.000003").status_code == 201
    public = client.get(f"/v1/assets/{asset['symbol']}/distributions").json()
    assert public["kind"] == "harvest_revenue" and "claimable" not in public
    assert public["distributions"][0]["amount"] == "0.000003"
    queried = client.get(
        f"/v1/assets/{asset['symbol']}/distributions", params={"wallet": holder.wallet.address.lower()}
    ).json()
    assert queried["claimable"] == "0.000003"
    bad_key = client.get(f"/v1/assets/{asset['symbol']}/distributions", headers={"X-API-Key": "nope"})
    assert bad_key.status_code == 401 and bad_key.json()["error"]["code"] == "auth.invalid_key"


def test_deposit_on_an_asset_with_no_supply_is_no_holders(client, admin, make_asset):
    asset = make_asset(documents=False)
    response = _deposit(client, admin, asset["symbol"], "1000")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "distribution.no_holders"
    assert client.get(f"/v1/assets/{asset['symbol']}/distributions").json()["distributions"] == []


def test_the_contracts_no_supply_revert_is_decoded_into_no_holders(client, make_asset):
    """Past the service's own supply check: the RevenueDistributorNoSupply revert itself."""
    asset = make_asset(documents=False)
    with Session(client.app.state.db) as session:
        row = get_asset(session, asset["symbol"])
    with pytest.raises(Conflict) as raised:
        send_deposit(client.app.state.chain, asset=row, units=1, memo="")
    assert raised.value.code == "distribution.no_holders"


def test_only_the_issuer_of_the_asset_or_an_admin_may_deposit(
    client, admin, make_asset, make_investor, new_wallet, issuer_key
):
    issuer = new_wallet()
    own, other = make_asset(documents=False, issuer_wallet=issuer.address), make_asset(documents=False)
    investor = make_investor()
    _issue(client, admin, own["symbol"], investor.wallet.address, "5")
    _issue(client, admin, other["symbol"], investor.wallet.address, "5")
    headers = issuer_key(issuer.address)

    assert _deposit(client, headers, own["symbol"], "10", "dividend").status_code == 201
    refused = _deposit(client, headers, other["symbol"], "10")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.forbidden"
    as_investor = _deposit(client, investor.headers, own["symbol"], "10")
    assert as_investor.status_code == 403 and as_investor.json()["error"]["code"] == "auth.forbidden"
    assert _deposit(client, {}, own["symbol"], "10").status_code == 401
    assert _position(client, investor, own["symbol"])["claimable"] == "10"


def test_bad_deposits_are_refused(client, admin, make_asset):
    asset = make_asset(documents=False)
    for amount in ("0", "-5", "0.0000001", 1.5, "lots"):
        response = _deposit(client, admin, asset["symbol"], amount)
        assert response.status_code == 422, (amount, response.text)
        assert response.json()["error"]["code"] == "validation.invalid"
    long_memo = _deposit(client, admin, asset["symbol"], "1", "x" * 201)
    assert long_memo.status_code == 422
    missing = _deposit(client, admin, "NOPE", "1")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "asset.not_found"


def test_the_relay_refuses_a_claim_that_is_not_the_callers_own(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset(documents=False)
    alice, bob = make_investor(), make_investor()
    _issue(client, admin, asset["symbol"], alice.wallet.address, "1")
    assert _deposit(client, admin, asset["symbol"], "3").status_code == 201
    distributor = chain_info["contracts"]["revenue_distributor"]
    path = f"/v1/assets/{asset['symbol']}/distributions/claim"
    for signed in (
        bob.wallet.sign_claim(distributor, asset["token_address"]),  # another wallet
        alice.wallet.sign_claim(chain_info["contracts"]["cash_token"], asset["token_address"]),
        "0xdeadbeef",
    ):
        response = client.post(path, headers=alice.headers, json={"signed_transaction": signed})
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "distribution.bad_claim_transaction"
    assert client.post(path, headers=admin).status_code == 403
    assert _position(client, alice, asset["symbol"])["claimable"] == "3"
