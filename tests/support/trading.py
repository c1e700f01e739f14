"""Seeding a market through the REST API: cash and asset units in wallets, allowances for the
exchange, and a market with one matched trade."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi.testclient import TestClient

from backend.demo.wallet import Wallet
from tests.support.live_stack import ADMIN_KEY, Investor, upload_required_documents


def fund_and_approve(
    client: TestClient,
    admin: dict,
    chain_info: dict,
    asset: dict,
    seller: Investor | Who | None = None,
    buyer: Investor | Who | None = None,
    *,
    units: str = "100",
    cash: str = "10000",
) -> None:
    """The buyer gets `cash` from the faucet and approves the exchange for cash; the seller is
    issued `units` of the asset and approves the exchange for it. Either may be left out."""
    exchange = chain_info["contracts"]["settlement_exchange"]
    if buyer is not None:
        response = client.post("/v1/cash/faucet", headers=admin, json={"wallet": buyer.wallet.address, "amount": cash})
        assert response.status_code == 200, response.text
    if seller is not None:
        response = client.post(
            f"/v1/assets/{asset['symbol']}/issue",
            headers=admin,
            json={"to_wallet": seller.wallet.address, "quantity": units},
        )
        assert response.status_code == 200, response.text
        seller.wallet.approve(asset["token_address"], exchange)
    if buyer is not None:
        buyer.wallet.approve(chain_info["contracts"]["cash_token"], exchange)


@dataclass
class Who:
    """An investor made without the `make_investor` fixture (from a test's own service)."""

    wallet: Wallet
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}


def market_with_a_trade(
    client: TestClient, new_wallet: Callable[[], Wallet], *, quantity: str = "3"
) -> tuple[str, dict, Who, Who]:
    """A fresh asset, a seller holding 100 and a funded buyer, and one matched trade."""
    admin = {"X-API-Key": ADMIN_KEY}
    chain_info = client.get("/v1/chain").json()
    symbol = "R" + new_wallet().address[2:7].upper()
    asset = client.post(
        "/v1/assets",
        headers=admin,
        json={
            "symbol": symbol,
            "name": "Recovery test",
            "kind": "equity",
            "total_supply": "1000",
            "tick_size": "0.01",
            "lot_size": "1",
            "issuer_wallet": new_wallet().address,
        },
    ).json()
    upload_required_documents(client, admin, symbol, "equity")
    investors = []
    for _ in range(2):
        wallet = new_wallet()
        body = client.post(
            "/v1/investors",
            headers=admin,
            json={
                "wallet": wallet.address,
                "name": "R",
                "country": "US",
                "accredited": True,
                "kyc_expires": "2099-01-01",
            },
        ).json()
        investors.append(Who(wallet=wallet, api_key=body["api_key"]))
    seller, buyer = investors
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    seller.wallet.place_order(
        client, seller.api_key, {"symbol": symbol, "side": "sell", "price": "2", "quantity": quantity}
    )
    buyer.wallet.place_order(
        client, buyer.api_key, {"symbol": symbol, "side": "buy", "price": "2", "quantity": quantity}
    )
    return symbol, asset, seller, buyer
