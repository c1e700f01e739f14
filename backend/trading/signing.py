"""EIP-712 orders for SettlementExchange: the typed data to sign and its verification.

The venue accepts exactly the signatures the contract's `verifyOrder` accepts (the same
check `settle()` makes): 65 bytes r || s || v with v 27 or 28, 0 < r < N, 0 < s <= N/2
(EIP-2 low s) and the signer the order's trader. Nothing is normalised: a signature the API
stores is one the chain will take (tests/integration/test_signature_differential.py checks
the two verdicts agree on thousands of mutated signatures).

Verification is on the path of every order, so the one fixed `Order` type is hashed by hand
(a few keccaks, the domain separator cached per deployment) and the signer recovered with
coincurve (libsecp256k1): about 0.1 ms against eth-account's ~2 ms for walking the
typed-data structure in Python. Typed data not built by `typed_data` below takes
eth-account's encoder (tests/backend/test_signing.py checks both digests agree).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from coincurve import PublicKey
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import to_canonical_address, to_checksum_address

try:  # pysha3's keccak (C, ~1 us) where installed: eth-utils' goes through eth-hash to pycryptodome (~15 us)
    from sha3 import keccak_256

    def keccak(primitive: bytes) -> bytes:
        return bytes(keccak_256(primitive).digest())
except ImportError:  # pragma: no cover - eth-utils' is the same function
    from eth_utils import keccak

ORDER_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Order": [
        {"name": "trader", "type": "address"},
        {"name": "asset", "type": "address"},
        {"name": "isBuy", "type": "bool"},
        {"name": "price", "type": "uint256"},
        {"name": "quantity", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "expiry", "type": "uint256"},
    ],
}
DOMAIN_NAME = "RWA Settlement"
DOMAIN_VERSION = "1"


def typed_data(
    *,
    chain_id: int,
    exchange: str,
    trader: str,
    asset: str,
    is_buy: bool,
    price: int,
    quantity: int,
    nonce: int,
    expiry: int,
) -> dict[str, Any]:
    return {
        "types": ORDER_TYPES,
        "primaryType": "Order",
        "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id, "verifyingContract": exchange},
        "message": {
            "trader": trader,
            "asset": asset,
            "isBuy": is_buy,
            "price": price,
            "quantity": quantity,
            "nonce": nonce,
            "expiry": expiry,
        },
    }


DOMAIN_TYPEHASH = keccak(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
ORDER_TYPEHASH = keccak(
    b"Order(address trader,address asset,bool isBuy,uint256 price,uint256 quantity,uint256 nonce,uint256 expiry)"
)
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HALF_N = SECP256K1_N // 2  # ECDSA.tryRecover's bound in the contract: a larger s is the malleable twin


_HEX = re.compile(r"(0x)?([0-9a-fA-F]{2})*")


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


@lru_cache(maxsize=64)
def _address_word(value: str) -> bytes:
    return to_canonical_address(value).rjust(32, b"\0")


@lru_cache(maxsize=16)
def _domain_prefix(name: str, version: str, chain_id: int, exchange: str) -> bytes:
    return b"\x19\x01" + keccak(
        DOMAIN_TYPEHASH + keccak(name.encode()) + keccak(version.encode()) + _word(chain_id) + _address_word(exchange)
    )


def _order_struct(trader: str, asset: str, is_buy: bool, price: int, quantity: int, nonce: int, expiry: int) -> bytes:
    return keccak(
        ORDER_TYPEHASH
        + _address_word(trader)
        + _address_word(asset)
        + _word(int(is_buy))
        + _word(price)
        + _word(quantity)
        + _word(nonce)
        + _word(expiry)
    )


def order_fields_digest(
    *,
    chain_id: int,
    exchange: str,
    trader: str,
    asset: str,
    is_buy: bool,
    price: int,
    quantity: int,
    nonce: int,
    expiry: int,
) -> bytes:
    """The digest of `typed_data(...)` with these fields, without building the typed data
    (bench/signer.py signs with it; the same hashing as `order_digest`'s fast path)."""
    struct = _order_struct(trader, asset, is_buy, price, quantity, nonce, expiry)
    return keccak(_domain_prefix(DOMAIN_NAME, DOMAIN_VERSION, chain_id, exchange) + struct)


def order_digest(data: dict[str, Any]) -> bytes:
    """The EIP-712 digest an order's wallet signs. By hand for typed data made by `typed_data`
    (same types object), else eth-account's general encoder."""
    if data.get("types") is ORDER_TYPES and data.get("primaryType") == "Order":
        d, m = data["domain"], data["message"]
        if (
            all(type(m[k]) is int for k in ("price", "quantity", "nonce", "expiry"))
            and type(m["isBuy"]) is bool
            and 0 <= min(m["price"], m["quantity"], m["nonce"], m["expiry"])
            and max(m["price"], m["quantity"], m["nonce"], m["expiry"]) < 2**256
        ):
            struct = _order_struct(
                m["trader"], m["asset"], m["isBuy"], m["price"], m["quantity"], m["nonce"], m["expiry"]
            )
            return keccak(_domain_prefix(d["name"], d["version"], d["chainId"], d["verifyingContract"]) + struct)
    signable = encode_typed_data(full_message=data)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def signature_bytes(signature: str) -> bytes | None:
    """The bytes of a 0x-prefixed (or bare) hex signature; None when it is not plain hex."""
    if not isinstance(signature, str) or not _HEX.fullmatch(signature):
        return None
    return bytes.fromhex(signature.removeprefix("0x"))


def canonical_problem(raw: bytes) -> str | None:
    """Why the contract would refuse these signature bytes whoever signed, or None."""
    if len(raw) != 65:
        return f"a signature is 65 bytes (r, s, v), not {len(raw)}"
    if raw[64] not in (27, 28):
        return f"v must be 27 or 28, not {raw[64]}"
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big")
    if not 0 < r < SECP256K1_N:
        return "r is out of range"
    if not 0 < s <= HALF_N:
        return "s must be in the lower half of the curve order (EIP-2): sign again"
    return None


def _recover(digest: bytes, raw: bytes) -> str | None:
    """The signer of a canonical signature (see `canonical_problem`), or None."""
    signer = _recover_bytes(digest, raw)
    return None if signer is None else to_checksum_address(signer)


def _recover_bytes(digest: bytes, raw: bytes) -> bytes | None:
    try:
        public = PublicKey.from_signature_and_message(raw[:64] + bytes([raw[64] - 27]), digest, hasher=None)
    except Exception:  # noqa: BLE001 - r is no point's x: ecrecover answers address(0)
        return None
    return keccak(public.format(compressed=False)[1:])[-20:]


def verify_order(data: dict[str, Any], signature: str) -> tuple[bool, bytes | None]:
    """The contract's `verifyOrder(order, signature)`: (valid, the order's EIP-712 digest).
    Valid means canonical (65 bytes, v 27/28, r and low s in range) and signed by the
    order's trader. The digest is None for typed data that does not encode."""
    try:
        digest = order_digest(data)
    except Exception:  # noqa: BLE001 - typed data that does not encode has no signer
        return False, None
    raw = signature_bytes(signature)
    if raw is None or canonical_problem(raw) is not None:
        return False, digest
    signer = _recover_bytes(digest, raw)  # compared as bytes: checksumming costs more than recovering
    try:
        trader = _address_word(data["message"]["trader"])[12:]
    except Exception:  # noqa: BLE001 - no trader, no valid signature
        return False, digest
    return signer is not None and signer == trader, digest


def recover_signer(data: dict[str, Any], signature: str) -> str | None:
    """The wallet that signed `data`, for a signature the contract accepts; else None."""
    try:
        digest = order_digest(data)
    except Exception:  # noqa: BLE001 - typed data that does not encode has no signer
        return None
    raw = signature_bytes(signature)
    if raw is None or canonical_problem(raw) is not None:
        return None
    return _recover(digest, raw)


def sign(data: dict[str, Any], private_key: str) -> str:
    return Account.sign_message(encode_typed_data(full_message=data), private_key).signature.to_0x_hex()
