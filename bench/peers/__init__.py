"""Peer matching engines from PyPI, behind one adapter interface, for the matching benchmark.

Each adapter turns a ``Stream`` (the engine-neutral seeded command list of
``bench.matching_streams``) into the peer's own pre-built inputs (untimed),
then feeds them to the peer and counts fills (one per maker order matched) and filled
quantity (timed). The matching core never imports this package: only the benchmark and
its tests do. The peers live in ``requirements-bench.lock`` (``make bench-matching``
installs them); a peer whose package is missing or broken is reported, not benchmarked.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bench.matching_streams import Stream


class Adapter(Protocol):
    """One engine under test. ``prepare`` builds fresh inputs (engines and peers mutate
    their order objects, so every run gets its own); ``run`` is the timed part."""

    name: str
    kind: str
    emulation: str
    """How stream features the peer lacks are expressed ("" when it has them all)."""

    def prepare(self, stream: Stream) -> Any: ...

    def run(self, prepared: Any) -> tuple[int, int]:
        """Feed the prepared inputs to a fresh book; return (fills, filled quantity)."""
        ...


@dataclass(frozen=True)
class PeerSpec:
    module: str  # adapter module under bench.peers
    package: str  # PyPI distribution (pinned in requirements-bench.lock)


PEERS = (
    PeerSpec("lme_peer", "lightmatchingengine"),
    PeerSpec("lobby_peer", "lobby"),
    PeerSpec("pyorderbook_peer", "pyorderbook"),
    PeerSpec("liquibook_peer", "liquibook"),
)


@dataclass(frozen=True)
class Loaded:
    spec: PeerSpec
    adapter: Adapter | None
    version: str | None
    error: str | None  # why the peer is unavailable (missing package, import error)


def load(spec: PeerSpec) -> Loaded:
    """Import one peer adapter; never raises (a missing or broken peer is reported)."""
    try:
        version: str | None = importlib.metadata.version(spec.package)
    except importlib.metadata.PackageNotFoundError:
        return Loaded(spec, None, None, f"{spec.package} is not installed (make bench-matching installs it)")
    try:
        module = importlib.import_module(f"bench.peers.{spec.module}")
        factory: Callable[[], Adapter] = module.Peer
        return Loaded(spec, factory(), version, None)
    except Exception as exc:  # noqa: BLE001 - any import-time failure of a third-party peer is reported
        return Loaded(spec, None, version, f"{type(exc).__name__}: {exc}")


def load_all() -> list[Loaded]:
    return [load(spec) for spec in PEERS]
