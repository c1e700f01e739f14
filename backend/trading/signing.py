"""EIP-712 orders for SettlementExchange: the typed data to sign and its verification.

Verification is on the path of every order, so the one fixed `Order` type is hashed by hand
(a few keccaks, the domain separator cached per deployment) and the signer recovered with
coincurve (libsecp256k1): about 0.1 ms against eth-account's ~2 ms for walking the
typed-data structure in Python. Anything but typed data built by `typed_data` below, or a
signature that is not 65 plain bytes with v in {0, 1, 27, 28}, takes eth-account's path, so
the answers are the same; tests/backend/test_signing.py checks both against eth-account.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from coincurve import PublicKey
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_canonical_address, to_checksum_address
from hexbytes import HexBytes

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
# A market buy signs "any price": the venue's collar is what bounds it.
MARKET_BUY_PRICE = 2**256 - 1


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
            struct = keccak(
                ORDER_TYPEHASH
                + _address_word(m["trader"])
                + _address_word(m["asset"])
                + _word(int(m["isBuy"]))
                + _word(m["price"])
                + _word(m["quantity"])
                + _word(m["nonce"])
                + _word(m["expiry"])
            )
            return keccak(_domain_prefix(d["name"], d["version"], d["chainId"], d["verifyingContract"]) + struct)
    signable = encode_typed_data(full_message=data)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def _fast_recover(digest: bytes, signature: str) -> str | None:
    raw = bytes.fromhex(signature.removeprefix("0x"))
    if len(raw) != 65 or raw[64] not in (0, 1, 27, 28):
        return None
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big")
    if not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N):
        return None
    recid = raw[64] - 27 if raw[64] >= 27 else raw[64]
    public = PublicKey.from_signature_and_message(raw[:64] + bytes([recid]), digest, hasher=None)
    return to_checksum_address(keccak(public.format(compressed=False)[1:])[-20:])


def recover_signer(data: dict[str, Any], signature: str) -> str | None:
    try:
        digest = order_digest(data)
    except Exception:  # noqa: BLE001 - typed data that does not encode has no signer
        return None
    try:
        fast = _fast_recover(digest, signature)
    except Exception:  # noqa: BLE001 - eth-account decides the unusual cases below
        fast = None
    if fast is not None:
        return fast
    try:
        return Account._recover_hash(digest, signature=HexBytes(signature))
    except Exception:  # noqa: BLE001 - any malformed signature is simply "no signer"
        return None


def sign(data: dict[str, Any], private_key: str) -> str:
    return Account.sign_message(encode_typed_data(full_message=data), private_key).signature.to_0x_hex()
