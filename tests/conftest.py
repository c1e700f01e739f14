"""Fixtures shared across test directories.

The live stack (a real ganache, deployed contracts, the app) is used by tests/integration
and tests/browser alike; defined here once, pytest gives both the same session-scoped
chain and app. Nothing starts unless a test asks for these fixtures.
"""

from tests.live_stack import *  # noqa: F403 - admin, chain_info, client, issuer_key, make_asset, ...
