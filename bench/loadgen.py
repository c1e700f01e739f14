"""An open-loop load generator for POST /v1/orders, free of coordinated omission.

Send times are fixed in advance (order i at start + i/rate) and every latency is measured
from the *scheduled* time, not from when the request actually left: a server that stalls
for a second is charged that second for every order scheduled during the stall, as a
user would feel it, instead of the generator politely waiting and hiding it. In-flight
requests are capped (MAX_IN_FLIGHT); an order whose turn comes while the cap is reached is
not sent and counted as `not_sent` (a saturated service), never silently dropped.

The order mix keeps the book shallow: half are resting makers (GTC, 1-5 ticks off the mid
on their own side), half are takers (IOC, crossing to 5 ticks through the mid), so about
a third of the orders trade. Orders are signed ahead of their time in a separate process
(bench/signer.py) and sent with a lean HTTP client (bench/rawhttp.py), so
the generator itself keeps up; its own lateness (actual send - scheduled) is reported too.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import psutil

from bench.rawhttp import RawClient
from bench.signer import OrderSigner
from bench.stack import MarketSetup, Trader, order_body

MID_TICKS = 1_000
MAX_IN_FLIGHT = 2_000


@dataclass
class LoadResult:
    rate: float
    seconds: float
    scheduled: int = 0
    latencies_ms: list[float] = field(default_factory=list)  # answered requests, from their scheduled time
    accepted_ms: list[float] = field(default_factory=list)  # the same, of the 200/201 answers only
    lateness_ms: list[float] = field(default_factory=list)  # the generator's own: actual send - scheduled
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)  # transport errors, timeouts, not_sent
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)
    rss: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, bytes)
    elapsed: float = 0.0
    max_in_flight: int = 0

    @staticmethod
    def _pct(values: list[float], p: float) -> float:
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def percentile(self, p: float, *, accepted: bool = False) -> float:
        return self._pct(self.accepted_ms if accepted else self.latencies_ms, p)

    def lateness(self, p: float) -> float:
        return self._pct(self.lateness_ms, p)

    @property
    def achieved(self) -> float:
        answered = sum(self.statuses.values())
        return answered / self.elapsed if self.elapsed else 0.0


@dataclass(frozen=True)
class OrderPlan:
    """What a signing process needs to build the orders (picklable)."""

    symbol: str
    token: str
    chain_id: int
    exchange: str
    traders: tuple[tuple[str, str, str], ...]  # (private key, address, api key)
    host: str
    port: int
    tag: str
    seed: int

    @classmethod
    def of(cls, setup: MarketSetup, base_url: str, tag: str, seed: int) -> OrderPlan:
        host, port = base_url.removeprefix("http://").split(":")
        return cls(
            setup.symbol,
            setup.token,
            setup.chain_id,
            setup.exchange,
            tuple((t.wallet.account.key.to_0x_hex(), t.wallet.address, t.api_key) for t in setup.traders),
            host,
            int(port),
            tag,
            seed,
        )


_PLAN: tuple[OrderPlan, MarketSetup, RawClient] | None = None


def _init_signer(plan: OrderPlan) -> None:
    global _PLAN
    traders = [
        Trader(
            0,
            None,  # type: ignore[arg-type]
            api_key,
            OrderSigner(
                key,
                chain_id=plan.chain_id,
                exchange=plan.exchange,
                trader=address,
            ),
        )
        for key, address, api_key in plan.traders
    ]
    setup = MarketSetup(plan.symbol, plan.token, "", plan.exchange, plan.chain_id, traders)
    _PLAN = (plan, setup, RawClient(plan.host, plan.port))


def sign_batch(start: int, count: int) -> list[bytes]:
    """Requests `start .. start+count` of the run: the order mix, signed, as HTTP bytes."""
    assert _PLAN is not None
    plan, setup, client = _PLAN
    payloads = []
    for i in range(start, start + count):
        rng = random.Random(plan.seed * 10_000_000 + i)  # noqa: S311 - a reproducible order mix, not secrets
        trader = setup.traders[i % len(setup.traders)]
        side = rng.choice(("buy", "sell"))
        sign = -1 if side == "buy" else 1
        if rng.random() < 0.5:  # a maker: rests on its own side of the mid
            price, lots, tif = MID_TICKS + sign * rng.randint(1, 5), rng.randint(1, 2), "GTC"
        else:  # a taker: crosses through the mid, the rest is cancelled
            price, lots, tif = MID_TICKS - sign * 5, rng.randint(1, 3), "IOC"
        body = order_body(
            setup, trader, side=side, price_ticks=price, lots=lots, client_order_id=f"{plan.tag}-{i}", tif=tif
        )
        payloads.append(
            client.request_bytes(
                "POST", "/v1/orders", json.dumps(body, separators=(",", ":")).encode(), {"X-API-Key": trader.api_key}
            )
        )
    return payloads


async def run_load(
    base_url: str,
    setup: MarketSetup,
    *,
    rate: float,
    seconds: float,
    pid: int | None = None,
    seed: int = 3,
    tag: str = "s",
    timeout: float = 60,
) -> LoadResult:
    result = LoadResult(rate=rate, seconds=seconds, scheduled=int(rate * seconds))
    plan = OrderPlan.of(setup, base_url, tag, seed)
    client = RawClient(plan.host, plan.port)
    loop = asyncio.get_running_loop()
    batch = max(50, min(2_000, int(rate)))
    signed: dict[int, asyncio.Future] = {}
    in_flight = 0

    async def one(scheduled: float, payload: bytes) -> None:
        nonlocal in_flight
        try:
            status, body = await client.send(payload, timeout=timeout)
        except (OSError, EOFError, TimeoutError) as exc:
            result.errors[type(exc).__name__] += 1
        else:
            result.latencies_ms.append((loop.time() - scheduled) * 1000)
            result.statuses[status] += 1
            if status in (200, 201):
                result.accepted_ms.append(result.latencies_ms[-1])
                order = json.loads(body)
                result.acknowledged[order["id"]] = {"fills": order["fills"]}
        finally:
            in_flight -= 1

    async def sample_rss(start: float) -> None:
        process = psutil.Process(pid) if pid else None
        while process is not None:
            result.rss.append((loop.time() - start, process.memory_info().rss))
            await asyncio.sleep(1)

    with ProcessPoolExecutor(1, initializer=_init_signer, initargs=(plan,)) as pool:

        def ahead(first: int) -> None:  # keep three batches signing ahead of the schedule
            for begin in range(first, min(result.scheduled, first + 3 * batch), batch):
                if begin not in signed:
                    signed[begin] = loop.run_in_executor(pool, sign_batch, begin, min(batch, result.scheduled - begin))

        ahead(0)
        if signed:
            await asyncio.wait([signed[0]])
        start = loop.time() + 0.2
        sampler = asyncio.create_task(sample_rss(start))
        tasks: set[asyncio.Task] = set()
        payloads: list[bytes] = []
        for i in range(result.scheduled):
            if i % batch == 0:
                ahead(i)
                payloads = await signed.pop(i)
            scheduled = start + i / rate
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            result.lateness_ms.append(max(0.0, loop.time() - scheduled) * 1000)
            if in_flight >= MAX_IN_FLIGHT:
                result.errors["not_sent"] += 1
                continue
            in_flight += 1
            result.max_in_flight = max(result.max_in_flight, in_flight)
            task = asyncio.create_task(one(scheduled, payloads[i % batch]))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks)
        result.elapsed = loop.time() - start
        sampler.cancel()
    await client.close()
    return result


def load(base_url: str, setup: MarketSetup, **kwargs: Any) -> LoadResult:
    started = time.monotonic()
    result = asyncio.run(run_load(base_url, setup, **kwargs))
    result.elapsed = result.elapsed or time.monotonic() - started
    return result
