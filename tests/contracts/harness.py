"""Workarounds for eth-brownie 1.22.2 overheads and bugs in the contract test harness.

None of this changes what a test checks; it removes work brownie does that the tests never use.

1. Snapshot/revert guard: every Rpc method (snapshot, revert, sleep, mine) is wrapped in a
   guard calling ``inspect.stack()[1]`` only to look at its caller. ``inspect.stack()`` reads
   the source of every frame of pytest's deep stack: ~0.1 s a call, three calls per test.
2. gc: brownie runs a full ``gc.collect()`` on every revert (twice per test); ``gc.freeze()``
   moves everything loaded before the first test (project build, ABIs, sources) out of reach.
3. Reverted transactions: ganache 7 reports them without the revert data of a custom error,
   and brownie then replays the whole transaction trace (debug_traceTransaction plus a
   Python pass over every step) only to find it. An ``eth_call`` replay of the same
   transaction returns the data at a fraction of the cost.
4. State machines: brownie 1.22.2 ships ``brownie.test.stateful`` compiled with mypyc, and the
   compiled ``_BrownieStateMachine.__init__`` rejects the subclass ``state_machine()`` itself
   generates ("_BrownieStateMachine object expected; got ...BrownieStateMachine"), so every
   ``state_machine(...)`` call fails. The pure-Python source shipped next to the extension works.
"""

from __future__ import annotations

import gc
import importlib.util
import os
import sys
from contextlib import contextmanager
from types import ModuleType, SimpleNamespace

import brownie.exceptions as brownie_exceptions
import brownie.test
from brownie import web3


class _CallerOnlyInspect:
    """Stand-in for the ``inspect`` module inside brownie.network.rpc: the same two frames
    ``inspect.stack()[:2]`` would give its guard, without building the rest of the stack."""

    @staticmethod
    def stack():
        guard = sys._getframe(1)
        return [SimpleNamespace(frame=guard), SimpleNamespace(frame=guard.f_back)]


@contextmanager
def cheap_snapshots():
    """Items 1 and 2 of the module docstring."""
    gc.freeze()
    module = sys.modules.get("brownie.network.rpc")
    original = getattr(module, "inspect", None)
    if original is None:
        yield
        return
    module.inspect = _CallerOnlyInspect
    try:
        yield
    finally:
        module.inspect = original


def _replayed_revert_data(txid: str) -> str | None:
    """The revert data of a reverted transaction, from an eth_call replay (None if it passes)."""
    tx = web3.eth.get_transaction(txid)
    call = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"], "value": tx["value"]}
    try:
        web3.eth.call(call)
    except Exception as exc:  # noqa: BLE001 - only the revert payload matters
        payload = brownie_exceptions._normalize_rpc_error_payload(exc)
        data = payload.get("data") if isinstance(payload, dict) else None
        if isinstance(data, dict):  # brownie's middleware shape: {"0x": {"error", "reason"}}
            data = next((v.get("reason") for v in data.values() if isinstance(v, dict)), None)
        if isinstance(data, str) and data.startswith("0x") and len(data) > 2:
            return data
    return None


def _with_replayed_revert_data(normalize):
    def _normalize(exc_data):
        data = normalize(exc_data)
        if isinstance(data, dict):
            for txid, entry in data.items():
                if isinstance(entry, dict) and entry.get("error") == "revert" and not entry.get("reason"):
                    replayed = _replayed_revert_data(txid)
                    if replayed is not None:
                        entry["reason"] = replayed
        return data

    return _normalize


@contextmanager
def revert_data_without_traces(enabled: bool = True):
    """Item 3 of the module docstring. brownie then raises VirtualMachineError with the
    decoded custom error as ``revert_msg`` (what ``brownie.reverts`` compares) and skips
    the trace; ``tx.return_value`` of successful transactions needs traces and is None."""
    original = getattr(brownie_exceptions, "_normalize_tx_error_data", None)
    if not enabled or original is None:
        yield
        return
    brownie_exceptions._normalize_tx_error_data = _with_replayed_revert_data(original)
    web3._supports_traces = False
    try:
        yield
    finally:
        brownie_exceptions._normalize_tx_error_data = original
        web3._supports_traces = None


def pure_python_stateful() -> ModuleType:
    """Item 4 of the module docstring: brownie.test.stateful loaded from its .py source."""
    name = "brownie_test_stateful_py"
    if name not in sys.modules:
        path = os.path.join(os.path.dirname(brownie.test.__file__), "stateful.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]
