"""The balance follower (backend/trading/balance_follower.py) on a real ganache: order entry's
funds check reads the wallets' positions from memory, kept current from the tokens' Transfer,
Approval and Frozen logs; what moves outside the venue is seen within funds_max_age_ms, and a
head that goes backwards (a restarted or reverted node) drops everything followed."""

from __future__ import annotations

import time
from typing import Any

from web3 import Web3

from backend.chain.artifacts import load_abi
from backend.config import ROOT
from backend.trading.balance_follower import BalanceFollower, Held

CASH = 10**6  # CashToken: 6 decimals
CASH_ABI = load_abi(ROOT / "build" / "contracts", "CashToken")  # transfer, approve: as every ERC-20


def _follower(client) -> BalanceFollower:
    follower = client.app.state.venue.balances.follower
    assert follower is not None, "the service follows balances by default"
    return follower


def _held(client, wallet: str, token: str) -> Held | None:
    return _follower(client).position(wallet, token)


def _wait_until(condition, timeout: float) -> float:
    """Seconds until `condition()` held; fails after `timeout`."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, "not within the time allowed"
        time.sleep(0.02)
    return time.monotonic() - start


def _wait_current(client) -> None:
    """Until the follower's last poll is recent (a loaded machine may have held it up)."""
    follower = _follower(client)
    _wait_until(lambda: (follower.age_ms() or 10**9) < 300, 10)


def _send(wallet, token: str, abi: list[dict[str, Any]], fn: str, *args: Any) -> None:
    contract = wallet.w3.eth.contract(address=Web3.to_checksum_address(token), abi=abi)
    wallet._send(wallet._sign(getattr(contract.functions, fn)(*args), gas=200_000), what=fn)


def _buy(investor, client, symbol: str, price: str) -> Any:
    order = {"symbol": symbol, "side": "buy", "type": "limit", "price": price, "quantity": "1"}
    return investor.wallet.place_order(client, investor.api_key, order)


def _funded_buyer(client, admin, chain_info, make_investor, cash: int):
    buyer = make_investor()
    response = client.post("/v1/cash/faucet", headers=admin, json={"wallet": buyer.wallet.address, "amount": str(cash)})
    assert response.status_code == 200, response.text
    buyer.wallet.approve(chain_info["contracts"]["cash_token"], chain_info["contracts"]["settlement_exchange"])
    return buyer


def _followed_buyer(client, admin, chain_info, make_asset, make_investor):
    """A buyer with 1,000 cash whose first buy (10) was read live and who is followed since."""
    symbol = make_asset()["symbol"]
    buyer = _funded_buyer(client, admin, chain_info, make_investor, 1000)
    cash = chain_info["contracts"]["cash_token"]
    assert _buy(buyer, client, symbol, "10").status_code == 201  # first sight: a live read
    _wait_until(lambda: _held(client, buyer.wallet.address, cash) is not None, 5)
    return symbol, buyer, cash


def test_a_followed_wallet_is_checked_from_memory_and_a_transfer_out_is_seen_within_the_bound(
    client, admin, chain_info, make_asset, make_investor, new_wallet
):
    symbol, buyer, cash = _followed_buyer(client, admin, chain_info, make_asset, make_investor)
    reader = client.app.state.venue.balances
    assert _held(client, buyer.wallet.address, cash) == Held(1000 * CASH, 0, 2**256 - 1)

    _wait_current(client)
    reads = reader.live_reads
    assert _buy(buyer, client, symbol, "10").status_code == 201
    assert reader.live_reads == reads, "a followed, current wallet costs order entry no node round trip"

    # 970 leave the wallet outside the venue: 30 stay, 20 of them reserved by the two resting buys.
    _send(buyer.wallet, cash, CASH_ABI, "transfer", new_wallet().address, 970 * CASH)
    mined = time.monotonic()
    bound = client.app.state.settings.funds_max_age_ms / 1000
    seen = _wait_until(lambda: _held(client, buyer.wallet.address, cash).balance == 30 * CASH, bound)
    print(f"\ntransfer out seen by the follower {seen * 1000:.0f} ms after its receipt (bound {bound * 1000:.0f} ms)")
    time.sleep(max(0.0, mined + bound - time.monotonic()))
    refused = _buy(buyer, client, symbol, "20")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "order.insufficient_cash", refused.text

    _wait_current(client)
    reads = reader.live_reads
    assert _buy(buyer, client, symbol, "10").status_code == 201  # exactly what is left, from memory
    assert reader.live_reads == reads
    assert _buy(buyer, client, symbol, "0.01").status_code == 422  # nothing left


def test_an_approval_change_is_seen_within_the_bound(client, admin, chain_info, make_asset, make_investor):
    symbol, buyer, cash = _followed_buyer(client, admin, chain_info, make_asset, make_investor)
    exchange = chain_info["contracts"]["settlement_exchange"]
    _send(buyer.wallet, cash, CASH_ABI, "approve", exchange, 25 * CASH)
    mined = time.monotonic()
    bound = client.app.state.settings.funds_max_age_ms / 1000
    _wait_until(lambda: _held(client, buyer.wallet.address, cash).allowance == 25 * CASH, bound)
    time.sleep(max(0.0, mined + bound - time.monotonic()))
    # 10 committed by the resting buy: 15 more may be spent, 20 may not.
    refused = _buy(buyer, client, symbol, "20")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "order.allowance_missing", refused.text
    _wait_current(client)
    reads = client.app.state.venue.balances.live_reads
    assert _buy(buyer, client, symbol, "15").status_code == 201
    assert client.app.state.venue.balances.live_reads == reads


def test_a_transfer_the_wallet_sends_itself_leaves_no_lasting_low_allowance(
    client, admin, chain_info, make_asset, make_investor, new_wallet
):
    """A Transfer log does not say who spent it: the follower lowers the allowance for every
    Transfer out (exact for the exchange's transferFrom), so a transfer the wallet sends itself
    leaves it low. That can only refuse; the live re-read accepts and has the pair read again."""
    symbol, buyer, cash = _followed_buyer(client, admin, chain_info, make_asset, make_investor)
    _send(buyer.wallet, cash, CASH_ABI, "approve", chain_info["contracts"]["settlement_exchange"], 100 * CASH)
    _wait_until(lambda: _held(client, buyer.wallet.address, cash).allowance == 100 * CASH, 5)
    _send(buyer.wallet, cash, CASH_ABI, "transfer", new_wallet().address, 50 * CASH)
    _wait_until(lambda: _held(client, buyer.wallet.address, cash).balance == 950 * CASH, 5)
    assert _held(client, buyer.wallet.address, cash).allowance == 50 * CASH  # low: truly still 100
    assert _buy(buyer, client, symbol, "80").status_code == 201  # 10 + 80 within the true 100
    _wait_until(lambda: _held(client, buyer.wallet.address, cash) == Held(950 * CASH, 0, 100 * CASH), 5)


def test_a_head_that_goes_backwards_drops_what_was_followed(
    client, admin, chain_info, make_asset, make_investor, new_wallet, node
):
    symbol, buyer, cash = _followed_buyer(client, admin, chain_info, make_asset, make_investor)
    follower = _follower(client)
    drops = follower.drops
    snapshot = node.w3.provider.make_request("evm_snapshot", [])["result"]
    _send(buyer.wallet, cash, CASH_ABI, "transfer", new_wallet().address, 990 * CASH)
    height = node.w3.eth.block_number
    _wait_until(lambda: _held(client, buyer.wallet.address, cash).balance == 10 * CASH, 5)
    # The node goes back to before the transfer (as a restarted node would lose blocks).
    assert node.w3.provider.make_request("evm_revert", [snapshot])["result"] is True
    try:
        _wait_until(lambda: follower.drops > drops, 5)
        assert _held(client, buyer.wallet.address, cash) is None
        # The wallet's 1,000 are back: the next order is checked without the follower (as the
        # first order of a wallet is) and has the wallet followed again, from the node as it is now.
        assert _buy(buyer, client, symbol, "500").status_code == 201
        _wait_until(lambda: _held(client, buyer.wallet.address, cash) == Held(1000 * CASH, 0, 2**256 - 1), 5)
    finally:  # back to the height the session's other watchers have seen
        while node.w3.eth.block_number < height:
            node.w3.provider.make_request("evm_mine", [])


def test_a_partial_freeze_is_seen_within_the_bound(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    symbol, token = asset["symbol"], asset["token_address"]
    seller = make_investor()
    issued = client.post(
        f"/v1/assets/{symbol}/issue", headers=admin, json={"to_wallet": seller.wallet.address, "quantity": "100"}
    )
    assert issued.status_code == 200, issued.text
    seller.wallet.approve(token, chain_info["contracts"]["settlement_exchange"])
    assert _sell(seller, client, symbol, "10").status_code == 201  # first sight: a live read
    _wait_until(lambda: _held(client, seller.wallet.address, token) is not None, 5)

    why = {"reason_code": "court_order", "reason": "Order 2026-17 of the district court"}
    frozen = client.post(
        f"/v1/admin/assets/{symbol}/freeze-partial",
        headers=admin,
        json={"wallet": seller.wallet.address, "quantity": "80", **why},
    )
    assert frozen.status_code == 200, frozen.text
    bound = client.app.state.settings.funds_max_age_ms / 1000
    _wait_until(lambda: _held(client, seller.wallet.address, token).frozen == 80 * 10**18, bound)
    # 20 free, 10 of them in the resting sell
    refused = _sell(seller, client, symbol, "11")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "order.insufficient_balance", refused.text
    _wait_current(client)
    reads = client.app.state.venue.balances.live_reads
    assert _sell(seller, client, symbol, "10").status_code == 201
    assert client.app.state.venue.balances.live_reads == reads


def _sell(seller, client, symbol: str, quantity: str) -> Any:
    order = {"symbol": symbol, "side": "sell", "type": "limit", "price": "100", "quantity": quantity}
    return seller.wallet.place_order(client, seller.api_key, order)
