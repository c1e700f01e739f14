"""Relaying a transaction a wallet signed itself: decode it, then broadcast it.

The service holds no investor or issuer key. Claims (claims.py) and issuer deposits
(funding.py) check what a decoded transaction calls before broadcasting it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rlp
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import Web3RPCError

from backend.chain.client import TRANSIENT
from backend.errors import ChainRejected, InvalidInput, Unavailable

MAX_RAW_BYTES = 4096


@dataclass(frozen=True)
class SignedTx:
    sender: str
    to: str | None
    data: bytes
    value: int
    chain_id: int | None  # None: a pre-EIP-155 transaction, replayable on any chain


def bad_transaction(
    message: str, *, code: str = "distribution.bad_claim_transaction", field: str = "signed_transaction"
) -> InvalidInput:
    return InvalidInput(code, message, details=[{"field": field}])


def decode_signed(
    raw_hex: str, *, code: str = "distribution.bad_claim_transaction", field: str = "signed_transaction"
) -> SignedTx:
    """Sender (recovered from the signature), recipient, data, value and chain id of a raw tx
    (a malformed one is 422 `code` on `field`)."""
    try:
        raw = bytes(HexBytes(raw_hex))
    except (ValueError, TypeError):
        raise bad_transaction(f"{field} must be 0x-hex bytes", code=code, field=field) from None
    if not raw or len(raw) > MAX_RAW_BYTES:
        raise bad_transaction(f"{field} is empty or too long", code=code, field=field)
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
        raise bad_transaction(f"{field} is not a signed Ethereum transaction", code=code, field=field) from None
    to = typed.get("to")
    return SignedTx(
        sender=sender,
        to=Web3.to_checksum_address(to) if to else None,
        data=bytes(typed.get("data") or b""),
        value=int(typed.get("value") or 0),
        chain_id=int(typed["chainId"]),
    )


def broadcast(w3: Any, raw_hex: str, *, what: str = "claim") -> HexBytes:
    """Send an already-signed transaction; the node's refusal becomes a domain error."""
    try:
        return w3.eth.send_raw_transaction(HexBytes(raw_hex))
    except TRANSIENT as exc:
        raise Unavailable("chain.unavailable", f"chain node unreachable: {exc}") from None
    except (Web3RPCError, ValueError) as exc:  # nonce too low, insufficient funds for gas, ...
        raise ChainRejected(f"distribution.{what}_refused", f"the node refused the {what} transaction: {exc}") from None
