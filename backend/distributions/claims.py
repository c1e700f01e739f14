"""Claiming revenue is non-custodial: the holder's wallet signs RevenueDistributor.claim(asset).

The service never holds an investor key, so it cannot claim for a wallet. It offers two
honest paths instead:

- `claim_request` tells the client exactly which transaction to sign (to, data, chain id);
  a wallet that has its own node connection just sends it (backend.demo.wallet.Wallet.claim).
- `relay_claim` accepts that transaction signed by the wallet and broadcasts it after
  checking it is nothing but claim(asset) from the caller's own wallet to the distributor
  on this chain, so the API is never an open relay. The wallet pays the gas.

The decoding and the checks are pure functions (unit-tested without a node).
"""

from __future__ import annotations

from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector
from web3 import Web3
from web3.logs import DISCARD

from backend.chain.client import Chain
from backend.distributions.relay import SignedTx, bad_transaction, broadcast, decode_signed
from backend.distributions.service import claimable_units
from backend.errors import Conflict
from backend.models.assets import Asset
from backend.money import CASH_DECIMALS, fmt_units

CLAIM_SELECTOR = function_signature_to_4byte_selector("claim(address)")


def claim_calldata(token_address: str) -> bytes:
    """ABI-encoded RevenueDistributor.claim(token_address)."""
    return CLAIM_SELECTOR + abi_encode(["address"], [Web3.to_checksum_address(token_address)])


def claim_request(*, distributor: str, token_address: str, wallet: str, chain_id: int) -> dict[str, Any]:
    """The unsigned transaction `wallet` must sign to claim its revenue of one asset."""
    return {
        "from": wallet,
        "to": distributor,
        "data": "0x" + claim_calldata(token_address).hex(),
        "value": "0",
        "chain_id": chain_id,
        "function": "claim(address)",
        "args": [token_address],
    }


def check_claim(tx: SignedTx, *, wallet: str, distributor: str, token_address: str, chain_id: int) -> None:
    """Refuse anything but claim(token_address), from `wallet`, to the distributor, on this chain."""
    if tx.sender.lower() != wallet.lower():
        raise bad_transaction(f"the transaction is signed by {tx.sender}, not by this investor's wallet {wallet}")
    if tx.to is None or tx.to.lower() != distributor.lower():
        raise bad_transaction(f"the transaction must be sent to the RevenueDistributor at {distributor}")
    if tx.chain_id != chain_id:
        raise bad_transaction(f"the transaction must be signed for chain {chain_id} (EIP-155), not {tx.chain_id}")
    if tx.value != 0:
        raise bad_transaction("a claim transaction carries no ether")
    if tx.data != claim_calldata(token_address):
        raise bad_transaction(f"the transaction must call claim({token_address}) and nothing else")


def claim(chain: Chain, *, asset: Asset, wallet: str, signed_transaction: str | None) -> dict[str, Any]:
    """Relay the wallet's own signed claim; without one, say exactly what to sign (409)."""
    distributor = chain.core("revenue_distributor")
    request = claim_request(
        distributor=distributor.address, token_address=asset.token_address, wallet=wallet, chain_id=chain.chain_id
    )
    claimable = claimable_units(chain, asset=asset, wallet=wallet)
    if signed_transaction is None:
        raise Conflict(
            "distribution.claim_from_wallet",
            "the service holds no investor keys, so it cannot claim for you: your wallet must call "
            f"RevenueDistributor.claim({asset.token_address}) at {distributor.address} (GET /v1/chain) itself, "
            "or sign details.transaction and POST it back here as signed_transaction",
            details={"claimable": fmt_units(claimable, CASH_DECIMALS), "transaction": request},
        )
    tx = decode_signed(signed_transaction)
    check_claim(
        tx, wallet=wallet, distributor=distributor.address, token_address=asset.token_address, chain_id=chain.chain_id
    )
    if claimable == 0:
        raise Conflict("distribution.nothing_to_claim", f"{wallet} has nothing to claim for {asset.symbol}")
    receipt = chain.wait(broadcast(chain.w3, signed_transaction))
    paid = [
        e["args"]
        for e in distributor.events.RevenueClaimed().process_receipt(receipt, errors=DISCARD)
        if e["address"].lower() == distributor.address.lower()
    ]
    amount = int(paid[0]["amount"]) if paid else 0
    return {
        "symbol": asset.symbol,
        "wallet": wallet,
        "amount": fmt_units(amount, CASH_DECIMALS),
        "tx_hash": receipt["transactionHash"].to_0x_hex(),
    }
