"""The demo's REST client: admin and investor keys, expected status codes, polite retries."""

from __future__ import annotations

import time
from typing import Any

import httpx

from backend.client import place_signed_order
from backend.demo.wallet import Wallet


class ScenarioError(RuntimeError):
    pass


class Api:
    def __init__(self, base_url: str, admin_key: str):
        self.http = httpx.Client(base_url=base_url, timeout=120)
        self.admin = admin_key
        self.keys: dict[str, str] = {}  # investor name -> API key

    def close(self) -> None:
        self.http.close()

    def send(self, method: str, path: str, *, key: str | None = None, **kwargs: Any) -> httpx.Response:
        """One request; a 429 (rate limit) is waited out and retried."""
        headers = {"X-API-Key": key} if key else {}
        for _ in range(50):
            response = self.http.request(method, path, headers=headers, **kwargs)
            if response.status_code != 429:
                return response
            time.sleep(min(float(response.headers.get("Retry-After") or 0.2), 2.0))
        return response

    def ok(
        self,
        method: str,
        path: str,
        what: str,
        *,
        key: str | None = None,
        expect: tuple[int, ...] = (200, 201),
        **kwargs: Any,
    ) -> Any:
        response = self.send(method, path, key=key, **kwargs)
        if response.status_code not in expect:
            raise ScenarioError(f"{what} failed: HTTP {response.status_code} {response.text}")
        return response.json()

    def admin_ok(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        return self.ok(method, path, what, key=self.admin, **kwargs)

    def order(self, wallet: Wallet, investor: str, order: dict[str, Any]) -> httpx.Response:
        """typed-data -> sign with the investor's wallet -> POST /v1/orders (API.md's client flow)."""
        return self._place(wallet, investor, order)[0]

    def place_market(
        self, wallet: Wallet, investor: str, order: dict[str, Any], what: str
    ) -> tuple[dict[str, Any], str]:
        """A market order: its typed data carries the limit it signs (`limit_price`), sent back as
        its `price`. Returns (the order, that limit)."""
        response, typed = self._place(wallet, investor, order)
        if typed is None or response.status_code != 201:
            raise ScenarioError(f"{what} failed: HTTP {response.status_code} {response.text}")
        return response.json(), typed["limit_price"]

    def _place(self, wallet: Wallet, investor: str, order: dict[str, Any]) -> tuple[httpx.Response, Any]:
        key = self.keys[investor]

        def send(method: str, path: str, **kwargs: Any) -> httpx.Response:
            return self.send(method, path, key=key, **kwargs)

        return place_signed_order(send, order, wallet.sign_order)

    def place(self, wallet: Wallet, investor: str, order: dict[str, Any], what: str) -> dict[str, Any]:
        response = self.order(wallet, investor, order)
        if response.status_code not in (200, 201):
            raise ScenarioError(f"{what} failed: HTTP {response.status_code} {response.text}")
        return response.json()

    def refused(self, wallet: Wallet, investor: str, order: dict[str, Any], what: str) -> dict[str, str]:
        """An order the venue must refuse: returns its error {code, message}."""
        response = self.order(wallet, investor, order)
        if response.status_code < 400:
            raise ScenarioError(f"{what} should have been refused, but was accepted: {response.text}")
        return response.json()["error"]

    def settle_all(self, timeout: float = 90) -> list[dict[str, Any]]:
        """Wait until every trade is settled on chain (or failed); returns them, oldest first."""
        deadline = time.monotonic() + timeout
        while True:
            trades = self.admin_ok("GET", "/v1/trades", "list trades")
            if trades and all(t["settlement_status"] in ("settled", "failed") for t in trades):
                failed = [t for t in trades if t["settlement_status"] == "failed"]
                if failed:
                    raise ScenarioError(f"trades failed to settle: {failed}")
                return sorted(trades, key=lambda t: t["executed_at"])
            if time.monotonic() > deadline:
                raise ScenarioError(f"trades did not settle within {timeout:.0f}s: {trades}")
            time.sleep(0.2)
