"""What the state-changing and checking commands share: settings, a DB session, a Chain,
exit codes, and one place that turns domain errors into messages.

These commands call the service's own Python functions (the ones the REST API calls)
with a database session and a Chain built from the same settings the service reads:
DATABASE_URL, RPC_URL, RWA_DEPLOYMENT_FILE (and RWA_OPERATOR_KEY, RWA_STORAGE_DIR). They
need the chain node and the database, not the running service.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn

import typer
from rich.console import Console
from sqlmodel import Session

from backend.chain.client import Chain
from backend.config import Settings, settings_from_env
from backend.db import create_tables, make_engine
from backend.errors import DomainError, InvalidInput, NotFound, Unavailable

# Exit codes scripts can trust (the same for every command).
OK = 0  # done; or, for checks, everything agrees / verifies
FAILED = 1  # a check found differences, or some rows/items failed on the chain
BAD_INPUT = 2  # a bad file, argument or unknown symbol: nothing was changed
UNAVAILABLE = 3  # the chain node or database cannot be reached, or no deployment record

EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 differences found or some items failed; 2 bad input "
    "(file, argument, unknown symbol; nothing changed); 3 chain or database unavailable."
)
SETTINGS_HELP = (
    "Runs the service's own functions (those the REST API uses) against DATABASE_URL, "
    "RPC_URL and RWA_DEPLOYMENT_FILE; the service itself need not run."
)

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int) -> NoReturn:
    err_console.print(f"[red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@dataclass
class Context:
    settings: Settings
    session: Session
    chain: Chain


def exit_code_for(exc: DomainError) -> int:
    if isinstance(exc, Unavailable):
        return UNAVAILABLE
    if isinstance(exc, NotFound | InvalidInput):
        return BAD_INPUT
    return FAILED


@contextmanager
def service_context() -> Iterator[Context]:
    """Settings from the environment, the database (migrated) and a reachable, deployed chain."""
    try:
        settings = settings_from_env()
    except (ValueError, RuntimeError) as exc:
        fail(f"bad settings in the environment: {exc}", BAD_INPUT)
    chain = Chain(settings)
    try:
        chain.deployment  # noqa: B018 - the node answers and the record is for this chain
    except DomainError as exc:
        fail(f"{exc.message} (RPC_URL={settings.rpc_url}, RWA_DEPLOYMENT_FILE={settings.deployment_file})", UNAVAILABLE)
    engine = make_engine(settings.database_url)
    try:
        create_tables(engine)
    except Exception as exc:  # noqa: BLE001 - any driver error: report where we looked
        fail(f"cannot open the database {engine.url.render_as_string(hide_password=True)}: {exc}", UNAVAILABLE)
    try:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield Context(settings=settings, session=session, chain=chain)
            except DomainError as exc:
                fail(f"{exc.message} [{exc.code}]", exit_code_for(exc))
    finally:
        engine.dispose()
