"""An open-loop load generator for POST /v1/orders, free of coordinated omission.

Send times are fixed in advance (order i at start + i/rate) and every latency is measured
from the *scheduled* time, not from when the request actually left: a server that stalls
for a second is charged that second for every order scheduled during the stall, as a
user would feel it, instead of the generator politely waiting and hiding it. In-flight
requests are capped (MAX_IN_FLIGHT); an order whose turn comes while the cap is reached is
not sent and counted as `not_sent` (a saturated service), never silently dropped.

The order mix keeps the book shallow: half are resting makers (GTC, 1-5 ticks off the mid
on their own side), half are takers (IOC, crossing to 5 ticks through the mid), so about
a third of the orders trade. Orders are signed at send time with backend/bench/signer.py.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import psutil

from backend.bench.stack import MarketSetup, order_body

MID_TICKS = 1_000
MAX_IN_FLIGHT = 2_000


@dataclass
class LoadResult:
    rate: float
    seconds: float
    scheduled: int = 0
    latencies_ms: list[float] = field(default_factory=list)  # answered requests, from their scheduled time
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)  # transport errors, timeouts, not_sent
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)
    rss: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, bytes)
    elapsed: float = 0.0
    max_in_flight: int = 0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    @property
    def achieved(self) -> float:
        answered = sum(self.statuses.values())
        return answered / self.elapsed if self.elapsed else 0.0


def next_order(rng: random.Random, setup: MarketSetup, i: int, tag: str) -> tuple[int, dict[str, Any]]:
    index = i % len(setup.traders)
    side = rng.choice(("buy", "sell"))
    sign = -1 if side == "buy" else 1
    if rng.random() < 0.5:  # a maker: rests on its own side of the mid
        price, lots, tif = MID_TICKS + sign * rng.randint(1, 5), rng.randint(1, 2), "GTC"
    else:  # a taker: crosses through the mid, the rest is cancelled
        price, lots, tif = MID_TICKS - sign * 5, rng.randint(1, 3), "IOC"
    body = order_body(setup, setup.traders[index], side=side, price_ticks=price, lots=lots,
                      client_order_id=f"{tag}-{i}", tif=tif)
    return index, body


async def run_load(base_url: str, setup: MarketSetup, *, rate: float, seconds: float, pid: int | None = None,
                   seed: int = 3, tag: str = "s", timeout: float = 60) -> LoadResult:
    result = LoadResult(rate=rate, seconds=seconds, scheduled=int(rate * seconds))
    rng = random.Random(seed)  # noqa: S311 - a reproducible order mix, not secrets
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=512)
    loop = asyncio.get_running_loop()
    in_flight = 0
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits) as client:

        async def one(scheduled: float, index: int, body: dict[str, Any]) -> None:
            nonlocal in_flight
            try:
                response = await client.post("/v1/orders", json=body, headers=setup.traders[index].headers)
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                result.errors[type(exc).__name__] += 1
            else:
                result.latencies_ms.append((loop.time() - scheduled) * 1000)
                result.statuses[response.status_code] += 1
                if response.status_code in (200, 201):
                    order = response.json()
                    result.acknowledged[order["id"]] = {"fills": order["fills"]}
            finally:
                in_flight -= 1

        async def sample_rss(start: float) -> None:
            process = psutil.Process(pid) if pid else None
            while process is not None:
                result.rss.append((loop.time() - start, process.memory_info().rss))
                await asyncio.sleep(1)

        start = loop.time() + 0.2
        sampler = asyncio.create_task(sample_rss(start))
        tasks = set()
        for i in range(result.scheduled):
            scheduled = start + i / rate
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if in_flight >= MAX_IN_FLIGHT:
                result.errors["not_sent"] += 1
                continue
            index, body = next_order(rng, setup, i, tag)
            in_flight += 1
            result.max_in_flight = max(result.max_in_flight, in_flight)
            task = asyncio.create_task(one(scheduled, index, body))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks)
        result.elapsed = loop.time() - start
        sampler.cancel()
    return result


def load(base_url: str, setup: MarketSetup, **kwargs: Any) -> LoadResult:
    started = time.monotonic()
    result = asyncio.run(run_load(base_url, setup, **kwargs))
    result.elapsed = result.elapsed or time.monotonic() - started
    return result
