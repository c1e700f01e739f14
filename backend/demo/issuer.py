"""An issuer's wallet pays a distribution: it signs the cash approval and the deposit, the
service relays them (backend/distributions/funding.py).

Either sign them up front (`signed_deposit`, `distribute`), or POST without signatures and
sign what the 409 `distribution.deposit_from_wallet` lists in `details.transactions`
(`sign_requested`): in nonce order, consecutive nonces.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
from hexbytes import HexBytes
from web3 import Web3

from backend.demo.wallet import Wallet
from backend.distributions.funding import deposit_requests
from backend.distributions.service import cash_units, clean_memo

GAS = {"approve(address,uint256)": 100_000, "deposit(address,uint256,string)": 400_000}
FIELDS = {"approve(address,uint256)": "signed_approval", "deposit(address,uint256,string)": "signed_transaction"}


def sign_requested(wallet: Wallet, transactions: list[dict[str, Any]]) -> dict[str, str]:
    """Sign each requested transaction with `wallet`, nonces counting up from its next one."""
    nonce = wallet.w3.eth.get_transaction_count(wallet.address, "pending")
    gas_price = wallet.w3.eth.gas_price
    signed = {}
    for offset, request in enumerate(transactions):
        tx = {
            "to": Web3.to_checksum_address(request["to"]),
            "data": HexBytes(request["data"]),
            "value": int(request["value"]),
            "nonce": nonce + offset,
            "gas": GAS[request["function"]],
            "gasPrice": gas_price,
            "chainId": int(request["chain_id"]),
        }
        signed[FIELDS[request["function"]]] = wallet.account.sign_transaction(tx).raw_transaction.to_0x_hex()
    return signed


def signed_deposit(wallet: Wallet, *, chain: dict[str, Any], token: str, amount: str, memo: str = "") -> dict[str, str]:
    """`signed_approval` and `signed_transaction` for depositing `amount` cash for `token`,
    signed by `wallet` (the asset's issuer); `chain` is GET /v1/chain."""
    requests = deposit_requests(
        issuer=wallet.address,
        cash=chain["contracts"]["cash_token"],
        distributor=chain["contracts"]["revenue_distributor"],
        token_address=token,
        units=cash_units(Decimal(amount)),
        memo=clean_memo(memo),
        chain_id=int(chain["chain_id"]),
        approve=True,
    )
    return sign_requested(wallet, requests)


def distribute(
    send: Callable[..., httpx.Response], wallet: Wallet, symbol: str, body: dict[str, Any]
) -> httpx.Response:
    """POST the distribution with the issuer wallet's approval and deposit signed up front.
    `send(method, path, json=...)` sends one API request with the caller's key."""
    chain = send("GET", "/v1/chain").json()
    token = send("GET", f"/v1/assets/{symbol}").json()["token_address"]
    signed = signed_deposit(wallet, chain=chain, token=token, amount=body["amount"], memo=body.get("memo", ""))
    return send("POST", f"/v1/assets/{symbol}/distributions", json={**body, **signed})
