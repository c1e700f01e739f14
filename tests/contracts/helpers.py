"""Helpers for the contract tests: exact custom-error matching and EIP-712 order signing."""

from __future__ import annotations

from functools import cache

import brownie
from brownie.exceptions import decode_typed_error
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

MNEMONIC = "myth like bonus scare over problem client lizard pioneer submit female collect"
YEAR = 365 * 24 * 3600
DAY = 24 * 3600
E18 = 10**18
COUNTRY_US = 840
COUNTRY_DE = 276
COUNTRY_FR = 250
EQUITY, OIL_WELL, FARM = 0, 1, 2

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

ORDER_TYPES = {
    "Order": [
        {"name": "trader", "type": "address"},
        {"name": "asset", "type": "address"},
        {"name": "isBuy", "type": "bool"},
        {"name": "price", "type": "uint256"},
        {"name": "quantity", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "expiry", "type": "uint256"},
    ]
}


@cache
def private_key_of(index: int) -> str:
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key.hex()


def _split_signature(signature: str) -> tuple[str, list[str]]:
    name, args = signature.split("(", 1)
    args = args.rstrip(")")
    return name, [a for a in args.split(",") if a]


def error_data(signature: str, *args) -> str:
    """ABI-encoded revert data of a custom error, e.g. error_data("X(uint8)", 2)."""
    _, types = _split_signature(signature)
    return "0x" + (keccak(text=signature)[:4] + encode(types, list(args))).hex()


def reverts(signature: str, *args):
    """brownie.reverts for an exact custom error with exact arguments.

    The expected revert string is produced by brownie's own decoder from the ABI-encoded error,
    so it is byte-for-byte what brownie 1.22 reports: "Name: arg1, arg2" for an error it knows
    from a compiled ABI, "Unknown typed error: 0x<data>" otherwise. Either way the selector and
    every argument must match.
    """
    return brownie.reverts(decode_typed_error(error_data(signature, *args)))


def restricted(code: int):
    """AssetTokenTransferRestricted(code)."""
    return reverts("AssetTokenTransferRestricted(uint8)", code)


def missing_role(account, role) -> object:
    """OpenZeppelin AccessControlUnauthorizedAccount(account, role)."""
    return reverts("AccessControlUnauthorizedAccount(address,bytes32)", str(account), role)


def order(trader, asset, is_buy, price, quantity, nonce=1, expiry=0) -> dict:
    return {
        "trader": str(trader),
        "asset": str(asset),
        "isBuy": bool(is_buy),
        "price": int(price),
        "quantity": int(quantity),
        "nonce": int(nonce),
        "expiry": int(expiry),
    }


def order_tuple(o: dict) -> tuple:
    return (o["trader"], o["asset"], o["isBuy"], o["price"], o["quantity"], o["nonce"], o["expiry"])


def sign_order(exchange, o: dict, private_key: str) -> bytes:
    """EIP-712 signature of an order, produced with eth_account (independent of the contract)."""
    domain = {
        "name": "RWA Settlement",
        "version": "1",
        "chainId": brownie.chain.id,
        "verifyingContract": str(exchange.address),
    }
    signed = Account.from_key(private_key).sign_typed_data(domain, ORDER_TYPES, o)
    return bytes(signed.signature)


def trade(trade_id, buy: dict, buy_sig: bytes, sell: dict, sell_sig: bytes, price, quantity) -> tuple:
    tid = trade_id if isinstance(trade_id, bytes) else keccak(text=str(trade_id))
    return (tid, order_tuple(buy), buy_sig, order_tuple(sell), sell_sig, int(price), int(quantity))


def trade_id(label) -> bytes:
    return keccak(text=str(label))


def role(name: str) -> str:
    return "0x" + keccak(text=name).hex() if name != "DEFAULT_ADMIN_ROLE" else "0x" + "00" * 32
