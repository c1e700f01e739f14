"""Reliability benchmarks: SIGKILL chaos, chain outage and an open-loop soak (docs/reliability.md).

Everything runs on loopback against a real ganache and a real service process.
"""
