"""One account's transactions signed locally, with a nonce kept locally: the benchmark sends
them back to back without asking the node for a nonce each time."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from hexbytes import HexBytes
from web3 import Web3

from bench.settlement.rpc import Rpc


class Sender:
    def __init__(self, rpc: Rpc, key: str, chain_id: int, gas_price: int):
        self.rpc, self.account, self.chain_id, self.gas_price = rpc, Account.from_key(key), chain_id, gas_price
        self.nonce = int(rpc.call("eth_getTransactionCount", self.account.address, "pending"), 16)

    @property
    def address(self) -> str:
        return str(self.account.address)

    def sign(self, *, to: str | None, data: str | bytes, gas: int) -> bytes:
        tx: dict[str, Any] = {
            "nonce": self.nonce,
            "gasPrice": self.gas_price,
            "gas": gas,
            "value": 0,
            "data": HexBytes(data),
            "chainId": self.chain_id,
        }
        if to is not None:
            tx["to"] = Web3.to_checksum_address(to)
        self.nonce += 1
        return bytes(self.account.sign_transaction(tx).raw_transaction)
