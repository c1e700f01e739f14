"""Domain errors. Services raise these; only backend/api/errors.py turns them into HTTP.

Each error carries the dotted code of API.md and the HTTP status it maps to.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, message: str, *, details: Any = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        if status is not None:
            self.status = status


class InvalidInput(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403


class Unauthorized(DomainError):
    status = 401


class Unavailable(DomainError):
    """A dependency (the chain node, the database) cannot be reached right now."""

    status = 503


class ChainRejected(DomainError):
    """The chain refused a transaction (a revert with a decoded reason)."""

    status = 422
