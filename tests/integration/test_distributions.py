"""Revenue distributions on the real chain: deposits pro rata, across a settled trade, claims."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from backend.assets.service import get_asset
from backend.demo import issuer as issuer_wallet
from backend.demo.wallet import Wallet, token_balance
from backend.distributions.funding import simulate_deposit
from backend.errors import Conflict
from tests.support.live_stack import wait_for_settlement

CASH = 10**6
NODE_ISSUER = 7  # a node account the tests use as an issuer whose key the node holds (unlocked)


def _issue(client, admin, symbol: str, wallet: str, quantity: str) -> None:
    response = client.post(
        f"/v1/assets/{symbol}/issue", headers=admin, json={"to_wallet": wallet, "quantity": quantity}
    )
    assert response.status_code == 200, response.text


def _deposit(client, headers, symbol: str, amount: str, memo: str = "", *, issuer: Wallet | None = None):
    """POST a distribution; with `issuer`, its wallet signs what the API asks for (approve, deposit)."""
    body = {"amount": amount, "memo": memo}
    if issuer is None:
        return client.post(f"/v1/assets/{symbol}/distributions", headers=headers, json=body)
    return issuer_wallet.distribute(
        lambda method, path, **kw: client.request(method, path, headers=headers, **kw), issuer, symbol, body
    )


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
    client, admin, chain_info, node, make_asset, make_investor, new_wallet
):
    issuer = new_wallet()
    asset = make_asset(kind="oil_well", issuer_wallet=issuer.address)
    symbol, token = asset["symbol"], asset["token_address"]
    distributor, cash = chain_info["contracts"]["revenue_distributor"], chain_info["contracts"]["cash_token"]
    alice, bob = make_investor(country="US"), make_investor(country="GB")
    _issue(client, admin, symbol, alice.wallet.address, "300")
    _issue(client, admin, symbol, bob.wallet.address, "100")

    operator_cash = token_balance(node.rpc_url, cash, client.app.state.chain.operator.address)
    first = _deposit(client, admin, symbol, "1000", "Q1 2026 royalties", issuer=issuer)
    assert first.status_code == 201, first.text
    # Paid from the issuer's own wallet (the test-chain faucet minted it exactly the deposit first).
    assert token_balance(node.rpc_url, cash, issuer.address) == 0
    assert token_balance(node.rpc_url, cash, client.app.state.chain.operator.address) == operator_cash
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

    second = _deposit(client, admin, symbol, "1000", "Q2 2026 royalties", issuer=issuer)
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


def test_history_is_public_and_a_wallet_query_shows_any_holder(client, admin, make_asset, make_investor, new_wallet):
    issuer = new_wallet()
    asset = make_asset(kind="farm", documents=False, issuer_wallet=issuer.address)
    holder = make_investor()
    _issue(client, admin, asset["symbol"], holder.wallet.address, "10")
    assert _deposit(client, admin, asset["symbol"], "0.000003", issuer=issuer).status_code == 201
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


def test_the_contracts_reverts_are_decoded_before_anything_is_sent(client, admin, make_asset, make_investor):
    """Past the service's own checks: the distributor's own reverts (no supply, not the
    issuer, no allowance) are refused with their codes by a simulated call before broadcast."""
    asset = make_asset(documents=False)
    chain = client.app.state.chain
    with Session(client.app.state.db) as session:
        row = get_asset(session, asset["symbol"])
    fn = chain.core("revenue_distributor").functions.deposit(row.token_address, 1, "")
    with pytest.raises(Conflict) as raised:
        simulate_deposit(chain, fn, sender=row.issuer_wallet, symbol=row.symbol)
    assert raised.value.code == "distribution.no_holders"
    _issue(client, admin, asset["symbol"], make_investor().wallet.address, "1")
    with pytest.raises(Conflict) as raised:
        simulate_deposit(chain, fn, sender=chain.operator.address, symbol=row.symbol)  # the rich hot key
    assert raised.value.code == "distribution.not_issuer"
    with pytest.raises(Conflict) as raised:
        simulate_deposit(chain, fn, sender=row.issuer_wallet, symbol=row.symbol)
    assert raised.value.code == "distribution.approval_required"


def test_only_the_issuer_of_the_asset_or_an_admin_may_deposit(
    client, admin, make_asset, make_investor, new_wallet, issuer_key
):
    issuer = new_wallet()
    own, other = make_asset(documents=False, issuer_wallet=issuer.address), make_asset(documents=False)
    investor = make_investor()
    _issue(client, admin, own["symbol"], investor.wallet.address, "5")
    _issue(client, admin, other["symbol"], investor.wallet.address, "5")
    headers = issuer_key(issuer.address)

    assert _deposit(client, headers, own["symbol"], "10", "dividend", issuer=issuer).status_code == 201
    refused = _deposit(client, headers, other["symbol"], "10", issuer=issuer)
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


def test_the_relay_refuses_a_claim_that_is_not_the_callers_own(
    client, admin, chain_info, make_asset, make_investor, new_wallet
):
    issuer = new_wallet()
    asset = make_asset(documents=False, issuer_wallet=issuer.address)
    alice, bob = make_investor(), make_investor()
    _issue(client, admin, asset["symbol"], alice.wallet.address, "1")
    assert _deposit(client, admin, asset["symbol"], "3", issuer=issuer).status_code == 201
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


def test_without_the_issuers_signatures_the_api_lists_what_to_sign_and_sends_nothing(
    client, admin, chain_info, node, make_asset, make_investor, new_wallet
):
    issuer = new_wallet()
    asset = make_asset(documents=False, issuer_wallet=issuer.address)
    symbol, cash = asset["symbol"], chain_info["contracts"]["cash_token"]
    _issue(client, admin, symbol, make_investor().wallet.address, "4")
    block = node.w3.eth.block_number
    asked = _deposit(client, admin, symbol, "12.5", "Q3")
    assert asked.status_code == 409, asked.text
    error = asked.json()["error"]
    assert error["code"] == "distribution.deposit_from_wallet"
    assert error["details"]["issuer_wallet"] == issuer.address
    approve, deposit = error["details"]["transactions"]
    assert approve["to"] == cash and approve["function"] == "approve(address,uint256)"
    assert deposit["to"] == chain_info["contracts"]["revenue_distributor"]
    assert deposit["args"] == [asset["token_address"], "12500000", "Q3"]
    assert node.w3.eth.block_number == block  # nothing sent: no faucet, no approval, no deposit
    assert client.get(f"/v1/assets/{symbol}/distributions").json()["distributions"] == []
    # The deposit alone, while the allowance is short: the approval is asked for, still nothing sent.
    only_deposit = issuer_wallet.sign_requested(issuer, [deposit])
    unapproved = client.post(
        f"/v1/assets/{symbol}/distributions", headers=admin, json={"amount": "12.5", "memo": "Q3", **only_deposit}
    )
    assert unapproved.status_code == 409, unapproved.text
    assert unapproved.json()["error"]["code"] == "distribution.approval_required"
    assert unapproved.json()["error"]["details"]["transaction"] == approve
    assert node.w3.eth.block_number == block

    # The issuer approves by itself, straight from its wallet: then only the deposit is asked for.
    issuer.approve(cash, chain_info["contracts"]["revenue_distributor"])
    [only] = _deposit(client, admin, symbol, "12.5", "Q3").json()["error"]["details"]["transactions"]
    assert only["function"] == "deposit(address,uint256,string)"
    paid = _deposit(client, admin, symbol, "12.5", "Q3", issuer=issuer)
    assert paid.status_code == 201 and paid.json()["amount"] == "12.5", paid.text


def test_a_deposit_not_signed_exactly_by_the_assets_issuer_is_refused(
    client, admin, chain_info, node, make_asset, make_investor, new_wallet
):
    issuer, mallory = new_wallet(), new_wallet()
    asset = make_asset(documents=False, issuer_wallet=issuer.address)
    symbol = asset["symbol"]
    _issue(client, admin, symbol, make_investor().wallet.address, "4")
    transactions = _deposit(client, admin, symbol, "5").json()["error"]["details"]["transactions"]
    path = f"/v1/assets/{symbol}/distributions"
    by_mallory = issuer_wallet.sign_requested(mallory, transactions)
    by_issuer = issuer_wallet.sign_requested(issuer, transactions)
    for body, field in (
        ({"amount": "5", **by_mallory}, "signed_transaction"),  # another wallet signs for the issuer
        ({"amount": "5", **by_issuer, "signed_approval": by_mallory["signed_approval"]}, "signed_approval"),
        ({"amount": "6", **by_issuer}, "signed_transaction"),  # signed for another amount
        ({"amount": "5", "memo": "other", **by_issuer}, "signed_transaction"),  # another memo
        ({"amount": "5", "signed_transaction": by_issuer["signed_approval"]}, "signed_transaction"),
        ({"amount": "5", "signed_transaction": "0xdeadbeef"}, "signed_transaction"),
    ):
        block = node.w3.eth.block_number
        response = client.post(path, headers=admin, json=body)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "distribution.bad_deposit_transaction" and error["details"] == [{"field": field}]
        assert node.w3.eth.block_number == block
    assert client.get(path).json()["distributions"] == []
    assert client.post(path, headers=admin, json={"amount": "5", **by_issuer}).status_code == 201


def test_an_issuer_the_node_holds_has_the_node_sign_in_development(
    client, admin, chain_info, node, make_asset, make_investor
):
    """Development on a test chain: an issuer wallet that is one of the node's unlocked accounts
    needs no signatures; the cash still comes from the issuer's wallet, not the operator's."""
    issuer = node.w3.eth.accounts[NODE_ISSUER]
    asset = make_asset(documents=False, issuer_wallet=issuer)
    holder = make_investor()
    _issue(client, admin, asset["symbol"], holder.wallet.address, "2")
    cash = chain_info["contracts"]["cash_token"]
    issuer_cash, operator_cash = (
        token_balance(node.rpc_url, cash, w) for w in (issuer, client.app.state.chain.operator.address)
    )
    made = _deposit(client, admin, asset["symbol"], "7")
    assert made.status_code == 201 and made.json()["status"] == "confirmed", made.text
    assert token_balance(node.rpc_url, cash, client.app.state.chain.operator.address) == operator_cash
    assert token_balance(node.rpc_url, cash, issuer) == max(0, issuer_cash - 7 * CASH)
    assert _position(client, holder, asset["symbol"])["claimable"] == "7"
