"""Database engine and sessions. SQLite (WAL) by default, PostgreSQL via DATABASE_URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Pools sized for the 40 request threads plus the workers: a request holds its
        # connection while it waits for an order lock, and an exhausted pool means 500s.
        on_disk = "///" in database_url and path not in ("", ":memory:")
        pool = {"pool_size": 10, "max_overflow": 40} if on_disk else {}
        engine = create_engine(database_url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _record):
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")  # an acknowledged order survives a power cut
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    return create_engine(database_url, pool_pre_ping=True, pool_size=10, max_overflow=40)


MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def create_tables(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic); every start runs this."""
    from alembic import command

    import backend.models  # noqa: F401 - every table registered on the metadata

    config = alembic_config(engine)
    if not any((MIGRATIONS / "versions").glob("*.py")):  # no migrations yet: plain create
        SQLModel.metadata.create_all(engine)
        return
    with engine.begin() as connection:
        config.attributes["connection"] = connection  # type: ignore[attr-defined]
        tables = set(inspect(connection).get_table_names())
        if "asset" in tables and "alembic_version" not in tables:
            # A database made before migrations existed (plain create_all): adopt it.
            SQLModel.metadata.create_all(connection)
            command.stamp(config, "head")  # type: ignore[arg-type]
        else:
            command.upgrade(config, "head")  # type: ignore[arg-type]


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
