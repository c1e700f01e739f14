"""A steady order flow that survives the service dying under it.

One thread per trader sends signed limit orders around a mid price, so that about half
of them trade and the rest rest on the book. When a request is cut off (the service was
killed) the order is *in doubt*: the client resends the very same body - same
client_order_id, nonce and signature - until it gets an answer. The service answers 200
with the original order if it had committed it before dying, 201 if it had not; either way
the order is then acknowledged exactly once.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any

import httpx

from bench.stack import MarketSetup, Stack, Trader, order_body

MID_TICKS = 1_000  # 10.00


class OrderFlow:
    def __init__(
        self,
        stack: Stack,
        setup: MarketSetup,
        *,
        seed: int = 1,
        tag: str = "f",
        pause: float = 0.0,
        answer_timeout: float = 180,
    ):
        self.stack, self.setup, self.seed, self.tag = stack, setup, seed, tag
        self.pause, self.answer_timeout = pause, answer_timeout
        self.acknowledged: dict[str, dict[str, Any]] = {}
        self.rejected: Counter = Counter()
        self.in_doubt: Counter = Counter()  # "committed" (200 on retry) / "not_committed" (201 on retry)
        self.sent = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for index, trader in enumerate(self.setup.traders):
            thread = threading.Thread(target=self._run, args=(index, trader), name=f"flow-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop sending; waits for every in-doubt order to get its answer."""
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self._threads = []
        self._stop.clear()

    def _run(self, index: int, trader: Trader) -> None:
        rng = random.Random(self.seed * 1_000 + index)  # noqa: S311 - a reproducible flow
        with httpx.Client(base_url=self.stack.base_url, timeout=30) as client:
            count = 0
            while not self._stop.is_set():
                self.send(client, trader, self.next_body(rng, trader, f"{self.tag}-{index}-{count}"))
                count += 1
                if self.pause:
                    time.sleep(self.pause)

    def next_body(self, rng: random.Random, trader: Trader, client_order_id: str) -> dict[str, Any]:
        """The next signed order of the flow: a buy or sell 0-5 ticks either side of the mid."""
        side = rng.choice(("buy", "sell"))
        skew = rng.randint(0, 5)
        price = MID_TICKS - 3 + skew if side == "buy" else MID_TICKS + 3 - skew
        return order_body(
            self.setup, trader, side=side, price_ticks=price, lots=rng.randint(1, 3), client_order_id=client_order_id
        )

    def send(self, client: httpx.Client, trader: Trader, body: dict[str, Any]) -> httpx.Response | None:
        doubted, deadline = False, time.monotonic() + self.answer_timeout
        with self._lock:
            self.sent += 1
        while True:
            try:
                response = client.post("/v1/orders", json=body, headers=trader.headers)
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    with self._lock:
                        self.rejected["no_answer"] += 1
                    return None
                doubted = True
                time.sleep(0.1)
                continue
            with self._lock:
                if response.status_code in (200, 201):
                    order = response.json()
                    self.acknowledged[order["id"]] = order
                    if doubted:
                        self.in_doubt["committed" if response.status_code == 200 else "not_committed"] += 1
                else:
                    code = response.json().get("error", {}).get("code", str(response.status_code))
                    self.rejected[code] += 1
            return response
