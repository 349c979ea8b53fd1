"""Domain errors: a stable code and one message, mapped onto each surface by that surface."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"  # a stable contract: never rename a code once it has shipped
    message = "This request cannot be completed."

    def __init__(self, message: str | None = None, **params: Any) -> None:
        if message is not None:
            self.message = message
        self.params = params  # primitives only (names, emails, dates), so they serialise
        super().__init__(self.code)

    def user_message(self) -> str:
        return str(self.message).format(**self.params)

    def __str__(self) -> str:
        return f"{self.code}: {self.user_message()}"


class NotFound(DomainError):
    code = "not_found"
    message = "Not found."


class Forbidden(DomainError):
    code = "permission_denied"
    message = "You do not have permission to do this."


class Conflict(DomainError):
    code = "conflict"


class Invalid(DomainError):
    code = "validation_error"
    message = "The request is not valid."


class PaymentRequired(DomainError):
    code = "payment_required"
    message = "Payment is required."
