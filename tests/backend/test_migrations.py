"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import backend.models  # noqa: F401 - every table on the metadata
from backend.db import create_tables, make_engine


def _urls(tmp_path):
    urls = [f"sqlite:///{tmp_path / 'm.db'}"]
    if os.environ.get("RWA_TEST_DATABASE_URL"):
        urls.append(os.environ["RWA_TEST_DATABASE_URL"])
    return urls


@pytest.mark.parametrize("which", ["sqlite", "postgres"])
def test_upgrading_to_head_leaves_no_difference_from_the_models(tmp_path, which):
    urls = _urls(tmp_path)
    if which == "postgres":
        if len(urls) < 2:
            pytest.skip("RWA_TEST_DATABASE_URL not set (make test-postgres sets it)")
        from tests.support.live_stack import reset_database

        reset_database(urls[1])
    engine = make_engine(urls[0] if which == "sqlite" else urls[1])
    create_tables(engine)
    with engine.connect() as connection:
        assert "alembic_version" in inspect(connection).get_table_names()
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert diff == [], f"models changed without a migration (make migration): {diff}"
