"""Helpers for the contract tests: exact custom-error matching and EIP-712 order signing."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import brownie
from brownie.exceptions import decode_typed_error
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

# the repository root, so the tests share the backend's settle() encoder (pure Python)
if str(Path(__file__).resolve().parents[2]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from backend.settlement.packing import PackingError as PackingError  # re-exported for the tests
from backend.settlement.packing import pack_trades

MNEMONIC = "myth like bonus scare over problem client lizard pioneer submit female collect"
YEAR = 365 * 24 * 3600
DAY = 24 * 3600
E18 = 10**18
# The supply cap test assets are created with (AssetFactory.createAsset): a trillion tokens.
SUPPLY_CAP = 10**12 * E18
COUNTRY_US = 840
COUNTRY_DE = 276
COUNTRY_FR = 250
EQUITY, OIL_WELL, FARM = 0, 1, 2

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
# Every order must expire (expiry 0 is "already expired"): orders of tests that are not about
# expiry sign this one, 2100-01-01T00:00:00Z, far beyond any chain.sleep of the suite.
FAR_FUTURE = 4_102_444_800

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


def order(trader, asset, is_buy, price, quantity, nonce=1, expiry=FAR_FUTURE) -> dict:
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


def order_from_tuple(t) -> dict:
    keys = ("trader", "asset", "isBuy", "price", "quantity", "nonce", "expiry")
    return dict(zip(keys, (str(t[0]), str(t[1]), bool(t[2]), *(int(x) for x in t[3:])), strict=True))


def _domain(exchange) -> dict:
    return {
        "name": "RWA Settlement",
        "version": "1",
        "chainId": brownie.chain.id,
        "verifyingContract": str(exchange.address),
    }


def sign_order(exchange, o: dict, private_key: str) -> bytes:
    """EIP-712 signature of an order, produced with eth_account (independent of the contract)."""
    signed = Account.from_key(private_key).sign_typed_data(_domain(exchange), ORDER_TYPES, o)
    return bytes(signed.signature)


def order_hash(exchange, o: dict) -> bytes:
    """EIP-712 digest of an order, computed with eth_account (independent of the contract)."""
    message = encode_typed_data(domain_data=_domain(exchange), message_types=ORDER_TYPES, message_data=o)
    return keccak(b"\x19" + message.version + message.header + message.body)


def trade(seq: int, buy: dict, buy_sig: bytes, sell: dict, sell_sig: bytes, price, quantity) -> tuple:
    """A SettlementExchange.Trade: the venue's sequence number `seq`, both signed orders, the fill."""
    return (int(seq), order_tuple(buy), buy_sig, order_tuple(sell), sell_sig, int(price), int(quantity))


def settle_trades(exchange, trades: list[tuple], tx: dict):
    """Send `trades` (tuples from `trade`) to exchange.settle() in one transaction, packed by the
    backend's encoder (backend/settlement/packing.py). Tests call settle() through this one
    function, so an ABI change is made in one place."""
    return exchange.settle(pack_trades(trades), tx)


def derived_trade_id(buy_hash: bytes, sell_hash: bytes, seq: int) -> bytes:
    """keccak256(abi.encode(buyHash, sellHash, seq)), computed with eth_abi."""
    return keccak(encode(["bytes32", "bytes32", "uint256"], [buy_hash, sell_hash, int(seq)]))


def trade_id_of(exchange, t: tuple) -> str:
    """The on-chain id (0x hex, as brownie reports bytes32) of trade tuple `t`, computed in Python."""
    buy_hash = order_hash(exchange, order_from_tuple(t[1]))
    sell_hash = order_hash(exchange, order_from_tuple(t[3]))
    return "0x" + derived_trade_id(buy_hash, sell_hash, t[0]).hex()


def role(name: str) -> str:
    return "0x" + keccak(text=name).hex() if name != "DEFAULT_ADMIN_ROLE" else "0x" + "00" * 32
