"""A small Python client for the exchange's REST API.

    from backend.client import ExchangeClient
    ex = ExchangeClient("http://127.0.0.1:8000", api_key="rwa_inv_...", private_key="0x...")
    order = ex.place_order("ACME", "buy", quantity="5", price="12.40")
    ex.book("ACME"); ex.cancel(order["id"]); ex.trades()
    ex.place_orders([{"symbol": "ACME", "side": "sell", "quantity": "1", "price": p} for p in ("13", "14")])

Orders are signed locally with the wallet key (EIP-712, the structure the service
returns from /v1/orders/typed-data); the key never leaves this process. Amounts are
decimal strings or `Decimal`, never floats. Errors raise `ApiError` with the API's code.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
from eth_account import Account

Amount = str | int | Decimal


Send = Callable[..., httpx.Response]  # send(method, path, json=...) -> the response


def signed_order_body(order: dict[str, Any], typed: dict[str, Any], signature: str) -> dict[str, Any]:
    """The POST /v1/orders body of `order` signed as `typed` (its /v1/orders/typed-data answer):
    the nonce and expiry the wallet signed and, for a market order, the limit it signed
    (`limit_price`) as its price."""
    body = {**order, "nonce": typed["message"]["nonce"], "signature": signature}
    if typed["message"]["expiry"]:
        body["expires_at"] = typed["message"]["expiry"]
    if order.get("type") == "market" and typed.get("limit_price") is not None:
        body["price"] = typed["limit_price"]
    return body


def place_signed_order(
    send: Send, order: dict[str, Any], sign: Callable[[dict[str, Any]], str]
) -> tuple[httpx.Response, dict[str, Any] | None]:
    """typed-data -> sign -> POST /v1/orders, the flow API.md documents for clients; every
    order-placing client (ExchangeClient, the demo, the tests' wallets) goes through here.
    `sign(typed)` returns the wallet's EIP-712 signature of the typed data. Returns the last
    response (the typed-data one when that was refused) and the typed data (None then)."""
    typed_response = send("POST", "/v1/orders/typed-data", json=order)
    if typed_response.status_code != 200:
        return typed_response, None
    typed = typed_response.json()
    signable = {k: typed[k] for k in ("types", "primaryType", "domain", "message")}
    return send("POST", "/v1/orders", json=signed_order_body(order, typed, sign(signable))), typed


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.details = status, code, message, details


class ExchangeClient:
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        private_key: str | None = None,
        timeout: float = 30,
        transport: httpx.BaseTransport | None = None,
    ):
        headers = {"X-API-Key": api_key} if api_key else {}
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout, transport=transport)
        self._account = Account.from_key(private_key) if private_key else None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ExchangeClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- trading ------------------------------------------------------------------
    def place_order(
        self,
        symbol: str,
        side: str,
        *,
        quantity: Amount,
        price: Amount | None = None,
        type: str | None = None,
        time_in_force: str = "GTC",
        post_only: bool = False,
        client_order_id: str | None = None,
        expires_at: int | None = None,
    ) -> dict[str, Any]:
        """Sign and place an order; a limit order when `price` is given, else a market order.

        The signed order is what /v1/orders/typed-data returns: the wallet's next nonce, the
        expiry (`expires_at`, else the venue's default) and, for a market order, its limit
        (the collar price, `limit_price`); all three are sent back with the signature."""
        if isinstance(quantity, float) or isinstance(price, float):
            raise TypeError("amounts must be decimal strings, int or Decimal, never float")
        body: dict[str, Any] = {
            "symbol": symbol,
            "side": side,
            "type": type or ("limit" if price else "market"),
            "quantity": str(quantity),
            "time_in_force": time_in_force,
            "post_only": post_only,
        }
        if price is not None:
            body["price"] = str(price)
        if client_order_id:
            body["client_order_id"] = client_order_id
        if expires_at:
            body["expires_at"] = expires_at
        if self._account is None:
            return self._request("POST", "/v1/orders", json=body)
        account = self._account
        response, _typed = place_signed_order(
            self._http.request, body, lambda typed: account.sign_typed_data(full_message=typed).signature.to_0x_hex()
        )
        return self._answer(response)

    def place_orders(self, orders: list[dict[str, Any]]) -> list[dict[str, Any] | ApiError]:
        """Sign each order (bodies of POST /v1/orders: symbol, side, quantity, price, ...) and
        place them all with one POST /v1/orders/batch (1-50). One result per order, in order:
        the order, or the ApiError that refused it (returned, not raised: its neighbours stand).
        A typed-data refusal (e.g. an unknown symbol) is that order's ApiError, and it is not sent."""
        bodies: list[dict[str, Any] | ApiError] = [self._signed(order) for order in orders]
        to_send = [b for b in bodies if not isinstance(b, ApiError)]
        answers = iter(self._batch("/v1/orders/batch", {"orders": to_send}) if to_send else [])
        return [b if isinstance(b, ApiError) else next(answers) for b in bodies]

    def cancel_orders(self, order_ids: list[str]) -> list[dict[str, Any] | ApiError]:
        """Cancel up to 50 orders with one POST /v1/orders/cancel-batch; one result per id."""
        return self._batch("/v1/orders/cancel-batch", {"order_ids": order_ids})

    def _signed(self, order: dict[str, Any]) -> dict[str, Any] | ApiError:
        if any(isinstance(v, float) for v in order.values()):
            raise TypeError("amounts must be decimal strings, int or Decimal, never float")
        body = {k: str(v) if isinstance(v, Decimal) else v for k, v in order.items()}
        if self._account is None:
            return body
        typed_response = self._http.post("/v1/orders/typed-data", json=body)
        try:
            typed = self._answer(typed_response)
        except ApiError as exc:
            return exc
        signable = {k: typed[k] for k in ("types", "primaryType", "domain", "message")}
        signature = self._account.sign_typed_data(full_message=signable).signature.to_0x_hex()
        return signed_order_body(body, typed, signature)

    def _batch(self, path: str, body: dict[str, Any]) -> list[dict[str, Any] | ApiError]:
        results = self._request("POST", path, json=body)["results"]
        return [
            r["order"]
            if "order" in r
            else ApiError(r["status"], r["error"]["code"], r["error"]["message"], r["error"].get("details"))
            for r in results
        ]

    def cancel(self, order_id: str) -> dict[str, Any]:
        return self._request("DELETE", f"/v1/orders/{order_id}")

    def order(self, order_id: str) -> dict[str, Any]:
        return self._request("GET", f"/v1/orders/{order_id}")

    def orders(self, *, status: str | None = None, symbol: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in {"status": status, "symbol": symbol}.items() if v}
        return self._request("GET", "/v1/orders", params=params)

    def trades(self, *, symbol: str | None = None) -> list[dict[str, Any]]:
        return self._request("GET", "/v1/trades", params={"symbol": symbol} if symbol else None)

    def account(self) -> dict[str, Any]:
        return self._request("GET", "/v1/account")

    # --- market data --------------------------------------------------------------
    def assets(self) -> list[dict[str, Any]]:
        return self._request("GET", "/v1/assets")

    def book(self, symbol: str, depth: int = 20) -> dict[str, Any]:
        return self._request("GET", f"/v1/markets/{symbol}/book", params={"depth": depth})

    def market_trades(self, symbol: str, limit: int = 100) -> list[dict[str, Any]]:
        return self._request("GET", f"/v1/markets/{symbol}/trades", params={"limit": limit})

    def chain(self) -> dict[str, Any]:
        return self._request("GET", "/v1/chain")

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._answer(self._http.request(method, path, **kwargs))

    @staticmethod
    def _answer(response: httpx.Response) -> Any:
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
            except (ValueError, KeyError, TypeError):
                error = {"code": f"http.{response.status_code}", "message": response.text[:200]}
            raise ApiError(response.status_code, error.get("code", ""), error.get("message", ""), error.get("details"))
        return response.json()
