"""Benchmarks and harnesses, kept out of the installed package (docs/benchmarks.md, docs/reliability.md).

Matching (``matching_core``, ``matching_peers``), order entry over REST (``order_entry``),
settlement on chain (``settlement``), and the reliability harnesses: SIGKILL chaos, chain
outage and an open-loop soak (``chaos``, ``soak``). Run from the repository root, e.g.
``python -m bench.order_entry``; everything runs on loopback against a real node and a real
service process.
"""
