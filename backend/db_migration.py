"""`make migration MESSAGE=...`: autogenerate the next Alembic revision from the models."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from backend.db import MIGRATIONS, alembic_config, create_tables, make_engine


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'schema.db'}")
        create_tables(engine)  # upgrade a scratch database to the current head first
        number = len(list((MIGRATIONS / "versions").glob("*.py"))) + 1
        command.revision(
            alembic_config(engine),  # type: ignore[arg-type]
            message=message or "schema change",
            autogenerate=True,
            rev_id=f"{number:04d}",
        )


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]))
