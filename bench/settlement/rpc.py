"""JSON-RPC for the settlement benchmark: web3's HTTP transport (the service's own client,
`Web3.HTTPProvider`), called with raw method names and in batches, so what is timed is the
node and not web3's formatting layers."""

from __future__ import annotations

import time
from typing import Any

from web3 import Web3
from web3.types import RPCEndpoint

SEND_CHUNK = 25  # raw transactions per JSON-RPC batch request


class Rpc:
    """Single calls and batches over one keep-alive HTTP connection (web3's HTTPProvider)."""

    def __init__(self, url: str):
        self.url = url
        self.provider = Web3.HTTPProvider(url, request_kwargs={"timeout": 600})
        self.nudge_mining = False  # anvil: see wait_receipt

    def call(self, method: str, *params: Any) -> Any:
        return self.batch([(method, list(params))])[0]

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        answers = self.provider.make_batch_request([(RPCEndpoint(method), params) for method, params in calls])
        if not isinstance(answers, list):  # the node refused the whole batch
            raise RuntimeError(f"{calls[0][0]}: {answers.get('error', answers)}")
        results = []
        for (method, _params), answer in zip(calls, answers, strict=True):
            if "error" in answer:
                raise RuntimeError(f"{method}: {answer['error']}")
            results.append(answer["result"])
        return results


def send_all(rpc: Rpc, raws: list[bytes]) -> list[str]:
    hashes: list[str] = []
    for start in range(0, len(raws), SEND_CHUNK):
        chunk = raws[start : start + SEND_CHUNK]
        hashes += rpc.batch([("eth_sendRawTransaction", ["0x" + raw.hex()]) for raw in chunk])
    return hashes


def wait_receipt(rpc: Rpc, tx_hash: str, timeout: float = 600, poll: float = 0.01) -> dict:
    """Poll for the receipt. Anvil's automine mines one block (up to the block gas limit) per
    arriving transaction, so transactions that did not fit stay pending until the next one
    arrives: when the receipt is missing and nothing was mined since the last poll, mine."""
    deadline = time.monotonic() + timeout
    last_block = None
    while True:
        receipt = rpc.call("eth_getTransactionReceipt", tx_hash)
        if receipt is not None:
            return dict(receipt)
        if time.monotonic() > deadline:
            raise RuntimeError(f"transaction {tx_hash} not mined within {timeout:.0f}s")
        if rpc.nudge_mining:
            block = rpc.call("eth_blockNumber")
            if block == last_block:
                rpc.call("evm_mine")
            last_block = block
        time.sleep(poll)


def receipts(rpc: Rpc, hashes: list[str]) -> list[dict]:
    out: list[dict] = []
    for start in range(0, len(hashes), 100):
        out += rpc.batch([("eth_getTransactionReceipt", [h]) for h in hashes[start : start + 100]])
    return out


def run_and_check(rpc: Rpc, raws: list[bytes], what: str) -> list[dict]:
    """Send, wait for the last one, require every transaction to have succeeded."""
    hashes = send_all(rpc, raws)
    wait_receipt(rpc, hashes[-1])
    found = receipts(rpc, hashes)
    failed = [r["transactionHash"] for r in found if r is None or int(r["status"], 16) != 1]
    if failed:
        raise RuntimeError(f"{what}: {len(failed)} transaction(s) failed, e.g. {failed[0]}")
    return found
