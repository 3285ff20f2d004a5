"""Typed business errors; the API maps each once to the TMF error body (see kit/tmf.py)."""

from __future__ import annotations


class TelcoError(Exception):
    """Base of every error a user can cause; carries an HTTP status and the field at fault."""

    status = 400
    code = "BAD_REQUEST"

    def __init__(self, message: str, *, field: str | None = None, record: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.record = record


class InvalidInput(TelcoError):
    """A value breaks a business rule (bad check digit, unknown type …)."""

    status = 400
    code = "INVALID_VALUE"


class NotFound(TelcoError):
    """No record with that identifier."""

    status = 404
    code = "NOT_FOUND"


class Conflict(TelcoError):
    """The request contradicts the current state (certificate held by another customer …)."""

    status = 409
    code = "CONFLICT"


class NotAuthenticated(TelcoError):
    """Missing or wrong credentials."""

    status = 401
    code = "NOT_AUTHENTICATED"


class Forbidden(TelcoError):
    """The staff member's role does not allow this."""

    status = 403
    code = "FORBIDDEN"


class Locked(TelcoError):
    """Too many failed attempts: locked for a while."""

    status = 423
    code = "LOCKED"
