"""Helpers and fixtures the test directories share (tests import helpers from here, never
from another test module or a conftest).

- live_stack: a real ganache with the contracts deployed and the service wired to it
  (session fixtures `node`, `settings`, `client`, ... and REST helpers);
- databases: a database of its own for each service process a harness test starts;
- trading: funding and approving wallets, a market with one matched trade;
- compliance: rules, checks, agent actions and on-chain verdicts;
- browser: an EIP-1193 wallet injected into a Playwright page.

tests/conftest.py loads live_stack and databases as pytest plugins, so every directory
gets the same session fixtures; nothing starts unless a test asks for them.
"""
