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

from dataclasses import dataclass
from typing import Any

import rlp
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from eth_utils import function_signature_to_4byte_selector
from hexbytes import HexBytes
from web3 import Web3
from web3.logs import DISCARD

from backend.assets.models import Asset
from backend.chain.client import TRANSIENT, Chain
from backend.distributions.service import claimable_units
from backend.errors import ChainRejected, Conflict, InvalidInput, Unavailable
from backend.money import CASH_DECIMALS, fmt_units

CLAIM_SELECTOR = function_signature_to_4byte_selector("claim(address)")
MAX_RAW_BYTES = 4096


@dataclass(frozen=True)
class SignedTx:
    sender: str
    to: str | None
    data: bytes
    value: int
    chain_id: int | None  # None: a pre-EIP-155 transaction, replayable on any chain


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


def _bad(message: str) -> InvalidInput:
    return InvalidInput("distribution.bad_claim_transaction", message, details=[{"field": "signed_transaction"}])


def decode_signed(raw_hex: str) -> SignedTx:
    """Sender (recovered from the signature), recipient, data, value and chain id of a raw tx."""
    try:
        raw = bytes(HexBytes(raw_hex))
    except (ValueError, TypeError):
        raise _bad("signed_transaction must be 0x-hex bytes") from None
    if not raw or len(raw) > MAX_RAW_BYTES:
        raise _bad("signed_transaction is empty or too long")
    try:
        sender = Account.recover_transaction(raw)
        if raw[0] >= 0xC0:  # legacy: rlp([nonce, gasPrice, gas, to, value, data, v, r, s])
            fields = rlp.decode(raw)
            to, value, data, v = fields[3], fields[4], fields[5], int.from_bytes(fields[6], "big")
            chain_id = (v - 35) // 2 if v >= 35 else None
            return SignedTx(
                sender=sender,
                to=Web3.to_checksum_address(to) if to else None,
                data=bytes(data),
                value=int.from_bytes(value, "big"),
                chain_id=chain_id,
            )
        typed = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
    except Exception:  # noqa: BLE001 - any decoding failure means "not a signed transaction"
        raise _bad("signed_transaction is not a signed Ethereum transaction") from None
    to = typed.get("to")
    return SignedTx(
        sender=sender,
        to=Web3.to_checksum_address(to) if to else None,
        data=bytes(typed.get("data") or b""),
        value=int(typed.get("value") or 0),
        chain_id=int(typed["chainId"]),
    )


def check_claim(tx: SignedTx, *, wallet: str, distributor: str, token_address: str, chain_id: int) -> None:
    """Refuse anything but claim(token_address), from `wallet`, to the distributor, on this chain."""
    if tx.sender.lower() != wallet.lower():
        raise _bad(f"the transaction is signed by {tx.sender}, not by this investor's wallet {wallet}")
    if tx.to is None or tx.to.lower() != distributor.lower():
        raise _bad(f"the transaction must be sent to the RevenueDistributor at {distributor}")
    if tx.chain_id != chain_id:
        raise _bad(f"the transaction must be signed for chain {chain_id} (EIP-155), not {tx.chain_id}")
    if tx.value != 0:
        raise _bad("a claim transaction carries no ether")
    if tx.data != claim_calldata(token_address):
        raise _bad(f"the transaction must call claim({token_address}) and nothing else")


def broadcast(w3: Any, raw_hex: str) -> HexBytes:
    """Send an already-signed transaction; the node's refusal becomes a domain error."""
    try:
        return w3.eth.send_raw_transaction(HexBytes(raw_hex))
    except TRANSIENT as exc:
        raise Unavailable("chain.unavailable", f"chain node unreachable: {exc}") from None
    except ValueError as exc:  # nonce too low, insufficient funds for gas, ...
        raise ChainRejected("distribution.claim_refused", f"the node refused the claim transaction: {exc}") from None


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
