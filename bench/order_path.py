"""CPU of the order path in process, without HTTP: `python -m bench.order_path`.

Sets up `make bench-orders`' market (its own ganache, the soak's order mix, 8 traders), then
calls the service's code directly: for single orders the API key's investor, entry.place_order
and order_public per order; with PATH_BATCH=N, batch.place_orders with N orders of one trader a
batch. Prints CPU ms an order, SQL statements an order and a cProfile summary (PATH_PROFILE=0:
none). Environment: PATH_ORDERS (820), PATH_BATCH (0: single), PATH_CHAIN_PORT (8569),
PATH_SERVICE_PORT (8182, used during the set-up only). docs/benchmarks.md records its figures.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from bench import loadgen
from bench.stack import ROOT, Stack, set_up_market
from bench.stack import order_body as signed_body


def _requests(setup: Any, count: int) -> list[tuple[str, str]]:
    """(api key, JSON body) of the run's orders: loadgen's mix, signed."""
    out = []
    for i in range(count):
        rng = random.Random(5 * 10_000_000 + i)  # noqa: S311 - a reproducible order mix
        trader = setup.traders[i % len(setup.traders)]
        side = rng.choice(("buy", "sell"))
        sign = -1 if side == "buy" else 1
        if rng.random() < 0.5:
            price, lots, tif = loadgen.MID_TICKS + sign * rng.randint(1, 5), rng.randint(1, 2), "GTC"
        else:
            price, lots, tif = loadgen.MID_TICKS - sign * 5, rng.randint(1, 3), "IOC"
        body = signed_body(setup, trader, side=side, price_ticks=price, lots=lots, client_order_id=f"p-{i}", tif=tif)
        out.append((trader.api_key, json.dumps(body)))
    return out


def main() -> int:
    env = os.environ.get
    count, batch_size = int(env("PATH_ORDERS", "820")), int(env("PATH_BATCH", "0"))
    workdir = ROOT / ".rwa" / "bench" / f"order-path-{int(time.time())}"
    stack = Stack(
        Path(workdir),
        chain_port=int(env("PATH_CHAIN_PORT", "8569")),
        service_port=int(env("PATH_SERVICE_PORT", "8182")),
    )
    stack.start_chain()
    try:
        stack.start_service()
        setup = set_up_market(stack, traders=8)
        stack.stop_service()
        os.environ.update(stack.service_env())
        from backend.api.app import create_app
        from backend.api.routes.orders import OrderCreate, order_public
        from backend.assets.service import get_asset
        from backend.auth.service import resolve_investor_key
        from backend.trading.batch import place_orders
        from backend.trading.entry import Placed, place_order

        state = create_app().state
        statements = [0]
        trace = env("PATH_TRACE_SQL") == "1"

        def counted(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
            statements[0] += 1
            if trace:
                print("SQL", " ".join(statement.split())[:150])

        event.listen(state.db, "before_cursor_execute", counted)

        def run(items: list[tuple[str, str]]) -> list[str]:
            with Session(state.db, expire_on_commit=False) as session:
                _principal, investor = resolve_investor_key(session, settings=state.settings, key=items[0][0])
                assert investor is not None
                reqs = [OrderCreate.model_validate_json(raw).request() for _key, raw in items]
                if batch_size:
                    results: list[Any] = place_orders(session, state.chain, state.venue, investor, reqs)
                else:
                    try:
                        results = [place_order(session, state.chain, state.venue, investor, reqs[0])]
                    except Exception as exc:  # noqa: BLE001 - counted by its code
                        results = [exc]
                codes = []
                for result in results:
                    if isinstance(result, Placed):
                        order_public(session, get_asset(session, result.order.symbol), result.order, result.fills)
                        codes.append("placed")
                    else:
                        codes.append(getattr(result, "code", type(result).__name__))
                return codes

        by_key: dict[str, list[tuple[str, str]]] = {}
        for key, raw in _requests(setup, count):
            by_key.setdefault(key, []).append((key, raw))
        size = batch_size or 1
        chunks = [items[i : i + size] for items in by_key.values() for i in range(0, len(items), size)]
        run(chunks[0])  # warm: the market replayed, the caches filled
        measured: Callable[[], list[str]] = lambda: [c for chunk in chunks[1:] for c in run(chunk)]  # noqa: E731
        profile = cProfile.Profile() if env("PATH_PROFILE", "1") != "0" else None
        statements[0] = 0
        cpu = time.process_time()
        if profile is not None:
            profile.enable()
        codes = measured()
        if profile is not None:
            profile.disable()
        cpu = time.process_time() - cpu
        tally = {c: codes.count(c) for c in sorted(set(codes))}
        what = f"place_orders, {batch_size} a batch" if batch_size else "single orders (place_order)"
        print(f"{what}: {len(codes)} orders {tally}")
        profiled = " (cProfile on)" if profile is not None else ""
        print(
            f"CPU {1000 * cpu / len(codes):.2f} ms an order{profiled}, {statements[0] / len(codes):.1f} SQL statements"
        )
        if profile is not None:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    finally:
        stack.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
