"""The served demo the demo, README-examples and process-cleanup tests share (one run)."""

from __future__ import annotations

import pytest

from backend.chain import local_node
from tests.integration.demo_stack import CHAIN_PORT, DEMO_PORT, Demo, clone_with_dots, start_demo, stop_demo


@pytest.fixture(scope="session")
def served_demo(tmp_path_factory) -> Demo:
    """`rwa demo` run in a fresh clone under a dotted path, serving after its scenario.
    Stopped with SIGTERM at the end of the session: it must exit 0 and leave nothing running."""
    root = clone_with_dots(tmp_path_factory.mktemp("with.dots"))
    state = tmp_path_factory.mktemp("demo-state")
    # A stale database from an earlier run must not matter: every run is a clean restart.
    (state / "demo").mkdir()
    (state / "demo" / "rwa.db").write_bytes(b"not a database")
    demo = start_demo(root, state)
    yield demo
    code, left = stop_demo(demo)
    assert not left, f"processes left running after SIGTERM: {left}"
    assert code == 0, demo.output[-3000:]
    for port in (DEMO_PORT, CHAIN_PORT):
        assert not local_node.port_in_use(port), f"port {port} still answers after SIGTERM"
