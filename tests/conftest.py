"""Fixtures shared across test directories, loaded as plugins from tests/support.

The live stack (a real ganache, deployed contracts, the app) is used by tests/integration
and tests/browser alike; defined once in tests/support/live_stack.py, pytest gives both the
same session-scoped chain and app. Nothing starts unless a test asks for these fixtures.
"""

pytest_plugins = ["tests.support.live_stack", "tests.support.databases"]
