"""Anvil as the second node: it starts and stops cleanly, and the settlement benchmark settles
on it (a few trades, figures not checked: the benchmark prints them, tests never assert speed)."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest
from eth_account import Account

from backend.chain import local_node
from bench import settlement

PORT = int(os.environ.get("RWA_TEST_ANVIL_PORT", "8589"))

pytestmark = pytest.mark.skipif(
    not (local_node.ROOT / "node_modules" / ".bin" / "anvil").exists(), reason="anvil is not installed (npm ci)"
)


def _rpc(method: str) -> object:
    payload = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}", data=payload, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["result"]


def test_anvil_has_the_ganache_accounts_and_chain_id_and_stops_with_its_process():
    process = local_node.start_node("anvil", PORT)
    try:
        assert int(str(_rpc("eth_chainId")), 16) == 1337
        operator = Account.from_key(local_node.dev_private_key(0)).address
        assert str(_rpc("eth_accounts")[0]).lower() == operator.lower()  # type: ignore[index]
    finally:
        local_node.stop(process)
    # the node itself is gone, not only a wrapper around it
    assert not local_node.port_in_use(PORT)


def test_unknown_node_kind_is_refused():
    with pytest.raises(local_node.NodeError):
        local_node.start_node("hardhat", PORT)


def test_settlement_benchmark_settles_every_trade_on_anvil(tmp_path):
    results = settlement.bench_node("anvil", PORT, [1, 5], 10, 4, tmp_path, repeats=1)
    batches = [r for r in results if r.batch]
    assert [r.batch for r in batches] == [1, 5]
    for result in batches:
        assert (result.settled, result.failed) == (10, 0)
        assert result.gas_per_trade > 0
    # the batch's fixed cost is shared: a trade costs less gas in a batch of 5 than alone
    assert batches[1].gas_per_trade < batches[0].gas_per_trade
    assert not local_node.port_in_use(PORT)
