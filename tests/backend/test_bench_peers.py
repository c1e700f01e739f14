"""The matching benchmark's streams and peer adapters (bench/peers/).

No timing here: only that every peer, fed a small seeded stream through its adapter,
reports the same fills and filled quantity as our engine. `make test` installs the peers
(requirements-bench.lock: four small wheels, no dependencies) and sets RWA_REQUIRE_PEERS=1,
so there a missing peer FAILS the test, naming the package; run by hand without them, the
peer tests are skipped with the command that installs them.
"""

from __future__ import annotations

import importlib
import importlib.util
import os

import pytest

from backend.matching import MarketConfig, MatchingEngine, OrderRejected, ReferenceEngine
from bench.matching_streams import CANCEL, IOC, LIMIT, MARKET, Stream, stream_a, stream_b
from bench.peers import PEERS, PeerSpec
from bench.peers.ours import Peer as Ours
from bench.peers.ours import commands

N = 2_000
INSTALL = "pip install -c requirements.lock -r requirements-bench.lock"


def _require(package: str) -> None:
    """Fail (under make test: RWA_REQUIRE_PEERS=1) or skip when a peer is not installed."""
    if importlib.util.find_spec(package) is not None:
        return
    if os.environ.get("RWA_REQUIRE_PEERS") == "1":
        pytest.fail(f"peer engine {package} is not installed, and make test requires every peer: {INSTALL}")
    pytest.skip(f"peer engine {package} is not installed: {INSTALL} (make test installs and requires it)")


@pytest.fixture(scope="module")
def streams() -> list[Stream]:
    return [stream_a(N, seed=11), stream_b(N, seed=12)]


@pytest.fixture(scope="module")
def expected(streams: list[Stream]) -> list[tuple[int, int]]:
    ours = Ours()
    return [ours.run(ours.prepare(s)) for s in streams]


def test_streams_are_seeded_and_shaped() -> None:
    a, b = stream_a(N, seed=11), stream_b(N, seed=12)
    assert a.ops == stream_a(N, seed=11).ops
    assert a.ops != stream_a(N, seed=13).ops
    assert a.count(LIMIT) == N
    assert 15 * N // 100 <= a.crossed <= 25 * N // 100
    assert 8 * N // 100 <= b.count(CANCEL) <= 12 * N // 100
    assert 3 * N // 100 <= b.count(IOC) + b.count(MARKET) <= 7 * N // 100
    for stream in (a, b):
        for op in stream.ops:
            assert all(type(x) in (str, int, bool) or x is None for x in op)  # never a float


def test_cancels_name_resting_orders(streams: list[Stream]) -> None:
    for stream in streams:
        engine = MatchingEngine(MarketConfig(band_bps=10**9, collar_bps=10**9))
        for command in commands(stream):
            assert not any(isinstance(e, OrderRejected) for e in engine.apply(command))


def test_our_engines_agree(streams: list[Stream], expected: list[tuple[int, int]]) -> None:
    reference = Ours(ReferenceEngine)
    for stream, want in zip(streams, expected, strict=True):
        assert want[0] > 0
        assert reference.run(reference.prepare(stream)) == want


@pytest.mark.parametrize("spec", PEERS, ids=[p.package for p in PEERS])
def test_peer_agrees_with_ours(spec: PeerSpec, streams: list[Stream], expected: list[tuple[int, int]]) -> None:
    _require(spec.package)
    peer = importlib.import_module(f"bench.peers.{spec.module}").Peer()
    for stream, want in zip(streams, expected, strict=True):
        assert peer.run(peer.prepare(stream)) == want, f"{spec.package} on stream {stream.name}"
