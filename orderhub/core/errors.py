"""Typed domain errors. Services raise them; the API maps them to a status and the error body in one place."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidInput(DomainError):
    code = "invalid_input"
    http_status = 422


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class OrderNotFound(NotFound):
    code = "order_not_found"


class UnknownShop(InvalidInput):
    code = "unknown_shop"


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


class IllegalTransition(Conflict):
    code = "illegal_transition"


class HoldNotOpen(Conflict):
    code = "hold_not_open"


class AuthenticationFailed(DomainError):
    code = "unauthenticated"
    http_status = 401


class PermissionDenied(DomainError):
    code = "forbidden"
    http_status = 403
