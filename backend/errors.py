"""Domain errors. Services raise these; only backend/api/errors.py turns them into HTTP.

Each error carries the dotted code of API.md. A service chooses the error's kind, never an
HTTP status: the status is a property of the kind (`status`, read only by the API's error
handler), so every error of one kind answers the same way.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of the kinds below; raise a kind, not this (its status is a plain 400)."""

    status: ClassVar[int] = 400

    def __init__(self, code: str, message: str, *, details: Any = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class InvalidInput(DomainError):
    """The request is malformed or names values the service cannot take."""

    status = 422


class Refused(DomainError):
    """A well-formed request the rules refuse: compliance restrictions, funds, allowances."""

    status = 422


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """The request is valid but the current state does not allow it (halted, duplicate, ...)."""

    status = 409


class Forbidden(DomainError):
    status = 403


class Unauthorized(DomainError):
    status = 401


class TooLarge(DomainError):
    status = 413


class RateLimited(DomainError):
    """Too many requests or orders for now; `retry_after` seconds until there is room."""

    status = 429

    def __init__(self, code: str, message: str, *, retry_after: int, details: Any = None):
        super().__init__(code, message, details=details)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A dependency (the chain node, the database) cannot be reached right now."""

    status = 503


class ChainRejected(DomainError):
    """The chain refused a transaction (a revert with a decoded reason)."""

    status = 422


class Corrupt(DomainError):
    """Our own stored data is missing or fails its check: the service's fault, not the caller's."""

    status = 500
