"""EIP-712 orders for SettlementExchange: the typed data to sign and its verification."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
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


def typed_data(*, chain_id: int, exchange: str, trader: str, asset: str, is_buy: bool, price: int,
               quantity: int, nonce: int, expiry: int) -> dict[str, Any]:
    return {
        "types": ORDER_TYPES,
        "primaryType": "Order",
        "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id,
                   "verifyingContract": exchange},
        "message": {"trader": trader, "asset": asset, "isBuy": is_buy, "price": price,
                    "quantity": quantity, "nonce": nonce, "expiry": expiry},
    }


def recover_signer(data: dict[str, Any], signature: str) -> str | None:
    try:
        return Account.recover_message(encode_typed_data(full_message=data), signature=HexBytes(signature))
    except Exception:  # noqa: BLE001 - any malformed signature is simply "no signer"
        return None


def sign(data: dict[str, Any], private_key: str) -> str:
    return Account.sign_message(encode_typed_data(full_message=data), private_key).signature.to_0x_hex()
