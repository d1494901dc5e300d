"""Errors the domain and services raise: each carries a stable machine code and a clear message.

The category (the class) decides how a door reports it (HTTP status, CLI exit); the `code`
is what clients program against, the `message` is what a person reads.
"""


class DomainError(Exception):
    """Base of every expected, user-facing failure."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidInput(DomainError):
    """The request itself is wrong: a typo, an out-of-range value, a missing field."""


class NotFound(DomainError):
    """The thing named does not exist."""


class Conflict(DomainError):
    """The request is well formed but the current state refuses it (float, status, duplicate)."""


class Forbidden(DomainError):
    """The caller is known but its role does not allow this."""


class Unauthenticated(DomainError):
    """The caller could not be identified (bad password, unknown or expired token)."""


class Unavailable(DomainError):
    """A dependency the request needs is missing (a vending key not imported, say)."""
