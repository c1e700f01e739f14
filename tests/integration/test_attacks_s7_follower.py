"""Attack review s7 (issue 16): the balance follower (backend/trading/balance_follower.py) that
order entry's funds check now reads instead of the node, on a real ganache.

The follower detects that the chain it follows changed under it only by a head LOWER than the
last one it saw. A chain that loses blocks and is back at (or past) that height by the next poll
- a reorg on a real chain (RPC_URL may name one), a node reverted or restarted and mined on - is
taken for the same chain: what the lost blocks moved stays in memory, with no age bound (a
followed pair is read again only after a live read disagrees, and a live read happens only on a
refusal). Order entry then accepts orders the wallet cannot pay for at settlement.
Fixed (6327c6b): the follower now checks the hash of the block its readings are as of on every poll.

Also here: the follower's exactness through agent actions, self- and zero-value transfers and a
recovery (passes); and the node going down after the follower saw a transfer out, when the funds
check falls back to the wallet's first snapshot row instead (strict xfail).

The follower here is the service's own class, installed in the service's BalanceReader in place
of its polling thread and polled by the test, so that each poll falls exactly where the attack
needs it (the service's thread polls every 100 ms: a revert and a mine in one JSON-RPC batch
would land between two of its polls just as well, only not every time).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from web3 import Web3

from backend.chain.artifacts import load_abi
from backend.config import ROOT
from backend.trading.balance_follower import BalanceFollower, Held
from tests.integration.test_balance_follower import CASH, CASH_ABI, _buy, _funded_buyer, _send

UNLIMITED = 2**256 - 1


@pytest.fixture
def follower(client) -> Iterator[BalanceFollower]:
    """A BalanceFollower in the service's reader, polled by the test; the service's own
    polling follower is put back afterwards."""
    reader = client.app.state.venue.balances
    reader.unfollow()
    mine = BalanceFollower(client.app.state.chain, interval_ms=100)
    reader.follower = mine
    try:
        yield mine
    finally:
        reader.follower = None
        reader.follow(client.app.state.chain, interval_ms=client.app.state.settings.funds_follow_interval_ms)


def _cash_of(node, cash: str, wallet: str) -> int:
    token = node.w3.eth.contract(address=Web3.to_checksum_address(cash), abi=CASH_ABI)
    return int(token.functions.balanceOf(Web3.to_checksum_address(wallet)).call())


@pytest.mark.parametrize("extra_blocks", [0, 3], ids=["same-height", "past-the-old-head"])
def test_a_deposit_lost_with_its_block_is_not_spent_from_memory(
    client, admin, chain_info, make_asset, make_investor, node, follower, extra_blocks
):
    symbol = make_asset()["symbol"]
    cash = chain_info["contracts"]["cash_token"]
    victim = _funded_buyer(client, admin, chain_info, make_investor, 100)
    donor = _funded_buyer(client, admin, chain_info, make_investor, 1000)

    assert _buy(victim, client, symbol, "10").status_code == 201  # first sight: a live read, then followed
    follower.run_once()
    assert follower.position(victim.wallet.address, cash) == Held(100 * CASH, 0, UNLIMITED)

    snapshot = node.w3.provider.make_request("evm_snapshot", [])["result"]
    height = node.w3.eth.block_number
    _send(donor.wallet, cash, CASH_ABI, "transfer", victim.wallet.address, 900 * CASH)  # the deposit
    follower.run_once()
    assert follower.position(victim.wallet.address, cash).balance == 1000 * CASH
    mined = node.w3.eth.block_number

    # The deposit's block is lost (a reorg; a node reverted or restarted): the chain is back at
    # the follower's head with other blocks (or past it) before the next poll.
    assert node.w3.provider.make_request("evm_revert", [snapshot])["result"] is True
    assert node.w3.eth.block_number == height
    for _ in range(mined - height + extra_blocks):
        node.w3.provider.make_request("evm_mine", [])
    assert _cash_of(node, cash, victim.wallet.address) == 100 * CASH  # the chain's truth
    follower.run_once()

    # 100 in the wallet, 10 reserved by the resting buy: a buy of 500 cannot be paid at settlement.
    placed = _buy(victim, client, symbol, "500")
    assert placed.status_code == 422, f"accepted on the lost deposit: {placed.text}"
    assert placed.json()["error"]["code"] == "order.insufficient_cash"


ASSET_ABI = load_abi(ROOT / "build" / "contracts", "AssetToken")
WHY = {"reason_code": "court_order", "reason": "Order 2026-17 of the district court"}


def _truth(node, token: str, wallet: str, exchange: str) -> Held:
    contract = node.w3.eth.contract(address=Web3.to_checksum_address(token), abi=ASSET_ABI)
    who = Web3.to_checksum_address(wallet)
    return Held(
        int(contract.functions.balanceOf(who).call()),
        int(contract.functions.frozenTokens(who).call()),
        int(contract.functions.allowance(who, Web3.to_checksum_address(exchange)).call()),
    )


def test_agent_actions_self_and_zero_transfers_are_followed_exactly(
    client, admin, chain_info, make_asset, make_investor, new_wallet, node, follower
):
    """What the follower holds is what the chain holds after each awkward event: a partial
    freeze, a burn that cuts the frozen amount (Frozen before Transfer), a forced transfer that
    releases frozen tokens, a transfer to oneself, a transfer of 0, and a recovery that moves the
    frozen amount to the new wallet. Balance and frozen exactly; the allowance never above."""
    asset = make_asset()
    symbol, token = asset["symbol"], asset["token_address"]
    exchange = chain_info["contracts"]["settlement_exchange"]
    a, b = make_investor(), make_investor()
    for who, units in ((a, "100"), (b, "10")):
        issued = client.post(
            f"/v1/assets/{symbol}/issue", headers=admin, json={"to_wallet": who.wallet.address, "quantity": units}
        )
        assert issued.status_code == 200, issued.text
        who.wallet.approve(token, exchange, 500 * 10**18)  # a finite allowance: transfers out lower it
    for who in (a, b):
        assert follower.held(who.wallet.address, token, max_age_ms=1000, frozen=True) is None  # now wanted
    follower.run_once()

    def agent(path: str, body: dict) -> None:
        answer = client.post(f"/v1/admin/{path}", headers=admin, json={**body, **WHY})
        assert answer.status_code == 200, answer.text

    def check(what: str, *wallets: str) -> None:
        follower.run_once()
        for wallet in wallets:
            held, true = follower.position(wallet, token), _truth(node, token, wallet, exchange)
            assert held is not None, f"{what}: {wallet} not followed"
            assert (held.balance, held.frozen) == (true.balance, true.frozen), f"{what}: {held} != {true}"
            assert held.allowance <= true.allowance, f"{what}: allowance {held.allowance} > {true.allowance}"

    units = 10**18
    evidence = client.post("/v1/admin/evidence", headers=admin, files={"file": ("o.pdf", b"%PDF court order", "x")})
    assert evidence.status_code == 201, evidence.text
    document = evidence.json()["sha256"]
    _send(a.wallet, token, ASSET_ABI, "transfer", a.wallet.address, 5 * units)
    check("transfer to oneself", a.wallet.address)
    _send(a.wallet, token, ASSET_ABI, "transfer", b.wallet.address, 0)
    check("transfer of 0", a.wallet.address, b.wallet.address)
    _send(b.wallet, token, ASSET_ABI, "transferFrom", b.wallet.address, a.wallet.address, 0)
    check("transferFrom of 0", a.wallet.address, b.wallet.address)
    agent(f"assets/{symbol}/freeze-partial", {"wallet": a.wallet.address, "quantity": "30"})
    check("partial freeze", a.wallet.address)
    agent(f"assets/{symbol}/burn", {"wallet": a.wallet.address, "quantity": "80"})  # frozen cut to 20
    check("burn", a.wallet.address)
    agent(
        f"assets/{symbol}/forced-transfer",
        {"from_wallet": a.wallet.address, "to_wallet": b.wallet.address, "quantity": "10", "document_hash": document},
    )  # frozen cut to 10
    check("forced transfer", a.wallet.address, b.wallet.address)
    assert follower.position(a.wallet.address, token).frozen == 10 * units
    new = new_wallet().address
    assert follower.held(new, token, max_age_ms=1000, frozen=True) is None  # followed before it holds anything
    check("a new wallet", a.wallet.address)
    agent("recoveries", {"lost_wallet": a.wallet.address, "new_wallet": new, "document_hash": document})
    check("recovery", a.wallet.address, new)
    assert (
        follower.position(new, token).frozen == 10 * units and follower.position(a.wallet.address, token).balance == 0
    )


def test_a_transfer_out_the_follower_saw_is_not_forgotten_when_the_node_goes_down(
    client, admin, chain_info, make_asset, make_investor, new_wallet, follower
):
    """Only live reads write a wallet's FundsSnapshot row, and a followed wallet is not read live
    again: when the node becomes unreachable, the funds check falls back to the row of the
    wallet's first order (`fallback`: it may accept), however old, although the follower saw the
    wallet's later transfers out while the node answered. Fixed: the fallback (and a busy node's
    stand-in) is the newest of the snapshot row and the follower's position."""
    symbol = make_asset()["symbol"]
    cash = chain_info["contracts"]["cash_token"]
    buyer = _funded_buyer(client, admin, chain_info, make_investor, 1000)
    assert _buy(buyer, client, symbol, "10").status_code == 201  # first sight: read live, its snapshot row written
    follower.run_once()
    _send(buyer.wallet, cash, CASH_ABI, "transfer", new_wallet().address, 900 * CASH)  # 100 left
    follower.run_once()
    assert follower.position(buyer.wallet.address, cash).balance == 100 * CASH
    assert _buy(buyer, client, symbol, "50").status_code == 201  # from memory: 90 free, 40 left after it

    provider = client.app.state.chain.w3.provider
    url = provider.endpoint_uri
    provider.endpoint_uri = "http://127.0.0.1:9"  # the node is unreachable (the follower's polls fail too)
    try:
        time.sleep(client.app.state.settings.funds_max_age_ms / 1000 + 0.1)  # the follower's reading is old now
        placed = _buy(buyer, client, symbol, "500")
    finally:
        provider.endpoint_uri = url
        client.app.state.venue.balances.down_until = 0.0
    assert placed.status_code != 201, f"500 accepted against 40 free: {placed.text}"
