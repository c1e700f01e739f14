"""Alembic environment: the metadata is every SQLModel table (backend.models)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import backend.models  # noqa: F401 - registers every table on the metadata
from backend.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
