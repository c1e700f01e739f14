"""A minimal investor wallet: signs approvals and orders with its own key, as a real client does."""

from __future__ import annotations

from functools import partial
from typing import Any

import httpx
from eth_account import Account
from hexbytes import HexBytes
from web3 import Web3

from backend.chain.artifacts import load_abi
from backend.client import place_signed_order
from backend.config import ROOT

ERC20_APPROVE_ABI = [
    {
        "name": "approve",
        "type": "function",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "spender", "type": "address"}, {"name": "value", "type": "uint256"}],
        "outputs": [{"name": "", "type": "bool"}],
    }
]
CLAIM_ABI = [
    {
        "name": "claim",
        "type": "function",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "asset", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    }
]
MAX_UINT = 2**256 - 1


class Wallet:
    def __init__(self, private_key: str, rpc_url: str):
        self.account = Account.from_key(private_key)
        self.address = self.account.address
        self.w3 = Web3(Web3.HTTPProvider(rpc_url))

    def approve(self, token: str, spender: str, amount: int = MAX_UINT) -> str:
        contract = self.w3.eth.contract(address=Web3.to_checksum_address(token), abi=ERC20_APPROVE_ABI)
        raw = self._sign(contract.functions.approve(Web3.to_checksum_address(spender), amount), gas=100_000)
        return self._send(raw, what=f"approve of {token}")

    def sign_claim(self, distributor: str, token: str) -> str:
        """RevenueDistributor.claim(token) signed by this wallet (0x-hex), not sent: e.g. for
        POST /v1/assets/{symbol}/distributions/claim, which relays it."""
        contract = self.w3.eth.contract(address=Web3.to_checksum_address(distributor), abi=CLAIM_ABI)
        return self._sign(contract.functions.claim(Web3.to_checksum_address(token)), gas=200_000)

    def claim(self, distributor: str, token: str) -> str:
        """Claim this wallet's revenue of `token` from the distributor itself; returns the tx hash."""
        return self._send(self.sign_claim(distributor, token), what=f"claim of {token} revenue")

    def _sign(self, fn: Any, *, gas: int) -> str:
        tx = fn.build_transaction(
            {
                "from": self.address,
                "nonce": self.w3.eth.get_transaction_count(self.address),
                "gas": gas,
                "gasPrice": self.w3.eth.gas_price,
                "chainId": self.w3.eth.chain_id,
            }
        )
        return self.account.sign_transaction(tx).raw_transaction.to_0x_hex()

    def _send(self, raw: str, *, what: str) -> str:
        tx_hash = self.w3.eth.send_raw_transaction(HexBytes(raw))
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
        if receipt["status"] != 1:
            raise RuntimeError(f"{what} reverted")
        return tx_hash.to_0x_hex()

    def cancel_up_to(self, exchange: str, nonce: int) -> str:
        """SettlementExchange.cancelUpTo(nonce) from this wallet: every order it signed with a
        nonce below `nonce` becomes unfillable on chain. Returns the tx hash."""
        contract = self.w3.eth.contract(address=Web3.to_checksum_address(exchange), abi=_exchange_abi())
        return self._send(self._sign(contract.functions.cancelUpTo(nonce), gas=100_000), what="cancelUpTo")

    def cancel_order_onchain(self, exchange: str, message: dict[str, Any]) -> str:
        """SettlementExchange.cancelOrder(order) for one signed order (its typed-data
        `message`) from this wallet. Returns the tx hash."""
        contract = self.w3.eth.contract(address=Web3.to_checksum_address(exchange), abi=_exchange_abi())
        order = tuple(
            int(message[k]) if k not in ("trader", "asset", "isBuy") else message[k]
            for k in ("trader", "asset", "isBuy", "price", "quantity", "nonce", "expiry")
        )
        return self._send(self._sign(contract.functions.cancelOrder(order), gas=150_000), what="cancelOrder")

    def sign_order(self, typed: dict[str, Any]) -> str:
        return self.account.sign_typed_data(full_message=typed).signature.to_0x_hex()

    def place_order(self, client: httpx.Client, api_key: str, order: dict[str, Any]) -> httpx.Response:
        """typed-data -> sign -> POST /v1/orders (backend.client.place_signed_order)."""
        headers = {"X-API-Key": api_key}
        response, _typed = place_signed_order(partial(client.request, headers=headers), order, self.sign_order)
        return response


def _exchange_abi() -> list[dict[str, Any]]:
    return load_abi(ROOT / "build" / "contracts", "SettlementExchange")


def token_balance(rpc_url: str, token: str, wallet: str) -> int:
    w3 = Web3(Web3.HTTPProvider(rpc_url))
    abi = load_abi(ROOT / "build" / "contracts", "AssetToken")
    return int(w3.eth.contract(address=Web3.to_checksum_address(token), abi=abi).functions.balanceOf(wallet).call())
