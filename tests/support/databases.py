"""A database of its own for each service process the chaos and soak tests start (fixture
`stack_database_url`, loaded for every directory by tests/conftest.py).

SQLite files by default; under `make test-postgres` (RWA_TEST_DATABASE_URL) a fresh
PostgreSQL database on the same server, dropped afterwards, so SIGKILL recovery and the
soak's invariants are proven on both.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def stack_database_url(tmp_path: Path) -> Iterator[str]:
    base = os.environ.get("RWA_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'stack.db'}"
        return
    import psycopg  # only under make test-postgres

    admin_url = base.replace("postgresql+psycopg://", "postgresql://", 1)
    name = "rwa_stack_" + secrets.token_hex(4)
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    yield admin_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[arg-type]
