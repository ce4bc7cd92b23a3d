"""One exception handler for the whole API: every error becomes a status and messages.

The renderer then wraps the messages in the envelope. Unknown exceptions are left alone so
Django logs them (ERROR, with the traceback) and answers with the JSON 500 of
`config.api.views.server_error`.

What this handler answers is an expected refusal, logged once: 4xx by `django.request` at
WARNING as usual; a refusal with a 5xx status (503 "Live video is not configured") would be
an ERROR there, so it is logged here at WARNING, with its message, and marked as logged.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import translation
from django.utils.log import log_response
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from config.api import errors as api_errors
from config.api.camel import camel_key
from config.api.errors import DomainError

logger = logging.getLogger(__name__)


def _flatten(detail, prefix: str = ""):
    """Yield `"<camelField>: message"` strings from DRF's nested error detail."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in (api_settings.NON_FIELD_ERRORS_KEY, "detail"):
                name = prefix
            else:
                part = camel_key(str(key))
                name = f"{prefix}.{part}" if prefix else part
            yield from _flatten(value, name)
    elif isinstance(detail, list | tuple):
        for item in detail:
            yield from _flatten(item, prefix)
    else:
        yield f"{prefix}: {detail}" if prefix else str(detail)


def error_messages(exc: exceptions.APIException) -> list[str]:
    if isinstance(exc, exceptions.ValidationError):
        return list(_flatten(exc.detail)) or [str(api_errors.VALIDATION_FAILED)]
    if isinstance(exc, exceptions.NotAuthenticated):
        return [str(api_errors.AUTHENTICATION_REQUIRED)]
    detail = exc.detail
    if isinstance(detail, dict) and "detail" in detail:
        # SimpleJWT's InvalidToken carries {"detail", "code", "messages"}; the detail is enough.
        detail = detail["detail"]
    if isinstance(exc, exceptions.PermissionDenied) and detail == exc.default_detail:
        return [str(api_errors.INSUFFICIENT_PERMISSIONS)]
    if isinstance(exc, exceptions.NotFound) and detail == exc.default_detail:
        return [str(api_errors.RESOURCE_NOT_FOUND)]
    return list(_flatten(detail)) or [str(exc.default_detail)]


def _log_refusal(response: Response, context, exc) -> Response:
    """A 5xx refusal once, at WARNING (see the module docstring); 4xx are left to Django."""
    if response.status_code >= 500:
        request = context.get("request")
        with translation.override("en"):  # the operators' language, not the caller's
            messages = exc.messages if isinstance(exc, DomainError) else response.data
            text = "; ".join(str(message) for message in messages)
        log_response(
            "%s: %s (%s)",
            response.reason_phrase,
            getattr(request, "path", ""),
            text,
            response=response,
            request=getattr(request, "_request", request),
            logger=logger,
            level="warning",
        )
    return response


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        set_rollback()
        response = Response(exc.messages, status=exc.status_code, headers=exc.headers)
        return _log_refusal(response, context, exc)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    response.data = error_messages(exc)
    return _log_refusal(response, context, exc)
