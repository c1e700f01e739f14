"""The live stack runs on the node RWA_TEST_NODE names (ganache by default, anvil for
`make test-anvil`), so a green anvil run really was on anvil."""

from __future__ import annotations

from tests.support.live_stack import TEST_NODE


def test_the_stack_runs_on_the_node_rwa_test_node_names(node, chain_info):
    version = str(node.w3.client_version).lower()
    assert TEST_NODE in version, version
    assert chain_info["chain_id"] == 1337
