from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from backend.matching import EngineBase, MarketConfig, MatchingEngine, ReferenceEngine
from tests.backend.matching.harness import Harness


@pytest.fixture(params=[MatchingEngine, ReferenceEngine], ids=["fast", "reference"])
def engine_cls(request: pytest.FixtureRequest) -> type[EngineBase]:
    return request.param


@pytest.fixture
def make(engine_cls: type[EngineBase]) -> Iterator[Callable[..., Harness]]:
    """make(**MarketConfig fields) -> a checked engine; invariants re-checked after the test."""
    made: list[Harness] = []

    def factory(**config: Any) -> Harness:
        harness = Harness(engine_cls, MarketConfig(**config))
        made.append(harness)
        return harness

    yield factory
    for harness in made:
        harness.ledger.check(harness.engine)


@pytest.fixture
def ex(make: Callable[..., Harness]) -> Harness:
    return make()
