"""Settlement throughput: trades/s and gas per trade of SettlementExchange.settle().

    python -m bench.settlement          (make bench-settlement)

For each node (ganache 7.9 and anvil, both on the berlin hardfork, started here on ports
8580-8589) it deploys the contracts, creates one asset with compliance applied (country
allow-list, holder and balance caps: every check of the rules runs on every trade), onboards
INVESTORS investors with asset and cash (approved to the exchange), and then, for batch sizes
1, 10 and 50, settles TRADES trades between them in settle() transactions.

Every order is signed locally (EIP-712, bench.signer) by its investor's key; every
settle() is a raw transaction signed locally by the operator with a nonce we manage, so the
whole run is eth_sendRawTransaction back to back (JSON-RPC batches), then the receipts. The
orders, the settle() calldata and the signed transactions are all prepared before the clock
starts: the figure is the node's, not this client's.

Modules by job: rpc (JSON-RPC over web3's HTTP transport), sender (locally signed
transactions), market (deployment through backend.chain.deploy, the asset and investors),
measure (what is timed), trace (what a trade calls), report (tables and the docs section),
run (nodes, runs, main).

    trades/s  = settled trades / wall time from the first send to the last receipt
    gas/trade = sum of the settle() receipts' gasUsed / settled trades (21,000 base and
                calldata included)

Environment: RWA_BENCH_NODES (default "ganache,anvil"), RWA_BENCH_BATCHES ("1,10,50"),
RWA_BENCH_TRADES_GANACHE (200), RWA_BENCH_TRADES_ANVIL (1000), RWA_BENCH_INVESTORS (20),
RWA_BENCH_SETTLEMENT_PORT (8580; anvil takes the next port, or the same one with
RWA_BENCH_PORT_STEP=0: the nodes run one after the other), RWA_BENCH_REPEATS (3: each
figure is the median run).
"""

from bench.settlement.run import bench_node, main

__all__ = ["bench_node", "main"]
