"""The domain error vocabulary: services raise these, the exception handler shapes them."""

from django.utils.translation import gettext_lazy as _

VALIDATION_FAILED = _("Validation failed")
AUTHENTICATION_REQUIRED = _("Authentication required")
INSUFFICIENT_PERMISSIONS = _("Insufficient permissions")
RESOURCE_NOT_FOUND = _("Resource not found")
CONFLICT = _("Resource already exists or cannot be changed in its current state")
INTERNAL_SERVER_ERROR = _("Internal server error")
PAYMENT_REQUIRED = _("Payment required")
SERVICE_UNAVAILABLE = _("Service unavailable")


class DomainError(Exception):
    """A refusal by a business rule, with the HTTP status the API answers."""

    status_code = 400
    default_message = VALIDATION_FAILED

    def __init__(self, message=None, *, field: str | None = None, headers: dict | None = None):
        self.message = message if message is not None else self.default_message
        self.field = field
        self.headers = headers or {}
        super().__init__(str(self.message))

    @property
    def messages(self) -> list[str]:
        if self.field:
            return [f"{self.field}: {self.message}"]
        return [str(self.message)]


class InvalidInput(DomainError):
    status_code = 400
    default_message = VALIDATION_FAILED


class AuthenticationRequired(DomainError):
    status_code = 401
    default_message = AUTHENTICATION_REQUIRED


class PaymentRequired(DomainError):
    status_code = 402
    default_message = PAYMENT_REQUIRED


class Forbidden(DomainError):
    status_code = 403
    default_message = INSUFFICIENT_PERMISSIONS


class NotFound(DomainError):
    status_code = 404
    default_message = RESOURCE_NOT_FOUND


class Conflict(DomainError):
    status_code = 409
    default_message = CONFLICT


class TooManyRequests(DomainError):
    status_code = 429
    default_message = _("Too many requests")

    def __init__(self, message=None, *, retry_after: int, **kwargs):
        self.retry_after = max(int(retry_after), 1)
        headers = {"Retry-After": str(self.retry_after), **kwargs.pop("headers", {})}
        super().__init__(message, headers=headers, **kwargs)


class ServiceUnavailable(DomainError):
    status_code = 503
    default_message = SERVICE_UNAVAILABLE
