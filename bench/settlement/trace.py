"""What one settled trade calls: a settle() transaction traced with anvil's callTracer."""

from __future__ import annotations

from bench.settlement.market import Contracts, artifact
from bench.settlement.rpc import Rpc


def call_profile(rpc: Rpc, c: Contracts, tx_hash: str, trades: int) -> list[tuple[str, float]]:
    """External calls a settled trade makes (anvil's callTracer): (callee.function, calls per trade)."""
    names = {
        c.exchange.address.lower(): ("SettlementExchange", c.exchange),
        c.asset.address.lower(): ("AssetToken", c.asset),
        c.cash.address.lower(): ("CashToken", c.cash),
        c.rules.address.lower(): ("ComplianceRules", c.rules),
        c.registry.address.lower(): ("IdentityRegistry", c.registry),
    }
    distributor = c.asset.functions.revenueDistributor().call()
    names[distributor.lower()] = (
        "RevenueDistributor",
        c.w3.eth.contract(address=distributor, abi=artifact("RevenueDistributor")["abi"]),
    )
    counts: dict[str, int] = {}

    def label(frame: dict) -> str:
        to = frame["to"].lower()
        if int(to, 16) < 10:
            return "precompile ecrecover" if int(to, 16) == 1 else f"precompile {to}"
        name, contract = names.get(to, (to[:10], None))
        function = frame["input"][:10]
        if contract is not None:
            try:
                function = contract.get_function_by_selector(function).fn_name
            except ValueError:
                pass
        return f"{name}.{function}"

    def walk(frame: dict) -> None:
        for child in frame.get("calls", []):
            key = label(child)
            counts[key] = counts.get(key, 0) + 1
            walk(child)

    walk(rpc.call("debug_traceTransaction", tx_hash, {"tracer": "callTracer"}))
    return sorted(((k, v / trades) for k, v in counts.items()), key=lambda kv: (-kv[1], kv[0]))
