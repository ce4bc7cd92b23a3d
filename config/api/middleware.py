"""Request-wide API conventions that live outside DRF."""

import logging
import os

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpResponse
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from config.api import errors as api_errors
from config.api.renderers import envelope_json

logger = logging.getLogger(__name__)
SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}

_DEFAULT_MESSAGES = {
    400: api_errors.VALIDATION_FAILED,
    401: api_errors.AUTHENTICATION_REQUIRED,
    403: api_errors.INSUFFICIENT_PERMISSIONS,
    404: api_errors.RESOURCE_NOT_FOUND,
    409: api_errors.CONFLICT,
    500: api_errors.INTERNAL_SERVER_ERROR,
}
REQUEST_TOO_LARGE = _("The request body is too large.")
_NON_JSON_PREFIXES = ("/admin/", "/api/docs", "/api/redoc", "/static/", "/media/")


def request_language(request) -> str:
    """`X-Language` first (the apps send it), then `Accept-Language`, then English."""
    header = request.headers.get("X-Language", "").strip().lower()[:2]
    if header in SUPPORTED_LANGUAGES:
        return header
    return translation.get_language_from_request(request, check_path=False) or "en"


def explicit_request_language(request) -> str | None:
    """The language the request asks for, or None when it names none: a valid `X-Language`,
    else what `Accept-Language` resolves to (English for a language we do not have)."""
    header = request.headers.get("X-Language", "").strip().lower()[:2]
    if header in SUPPORTED_LANGUAGES:
        return header
    if request.headers.get("Accept-Language", "").strip():
        return translation.get_language_from_request(request, check_path=False) or "en"
    return None


def remember_language(request, language: str | None) -> None:
    """Store the language a signed-in caller's request names as `User.language` (what
    their notifications are written in): one UPDATE when it changed, no query otherwise.

    Only for the user DRF's authentication set (a JWT); a session's user (the admin) is a
    lazy object that is never loaded here. The request's answer is already made: a database
    error here is logged, not turned into a 500.
    """
    user = getattr(request, "user", None)
    if (
        language is None
        or user is None
        or isinstance(user, SimpleLazyObject)
        or not user.is_authenticated
        or getattr(user, "language", language) == language
    ):
        return
    try:
        type(user).objects.filter(pk=user.pk).update(language=language)
    except DatabaseError:
        logger.warning("could not store the language of user %s", user.pk, exc_info=True)
        return
    user.language = language


def error_response(status_code: int, message=None) -> HttpResponse:
    message = message or _DEFAULT_MESSAGES.get(status_code) or HttpResponse(status=status_code)
    if isinstance(message, HttpResponse):
        message = message.reason_phrase
    return HttpResponse(
        envelope_json(status_code=status_code, errors=[message]),
        status=status_code,
        content_type="application/json",
    )


def body_limit(request) -> int:
    """The largest body a request may carry: one image upload, or a small JSON or form body."""
    if request.content_type == "multipart/form-data":
        return settings.MAX_UPLOAD_REQUEST_BYTES
    return settings.API_MAX_BODY_BYTES


def body_length(request) -> int:
    """The body's length as declared, or as buffered when no Content-Length came.

    Under ASGI a chunked body arrives whole in a spooled file before any middleware runs
    (Django's `HttpRequest.body` measures it the same way); under WSGI a body without
    Content-Length is never read at all.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    stream = getattr(request, "_stream", None)
    if declared or not (hasattr(stream, "seekable") and stream.seekable()):
        return declared
    position = stream.tell()
    buffered = stream.seek(0, os.SEEK_END)
    stream.seek(position)
    return buffered


class RequestSizeLimitMiddleware:
    """Refuse a body over its limit (413) before Django reads any of it, and a path with a
    NUL character (404) before it reaches a view or the admin.

    JSON, form and any other bodies may be `API_MAX_BODY_BYTES` (the camelCase conversion and
    validation of a large body is CPU an anonymous caller could spend); a multipart upload may
    be `MAX_UPLOAD_REQUEST_BYTES`, one image of up to 10 MB plus a few form fields. A body
    that turns out larger than Django accepts while it is read (`RequestDataTooBig`: the
    non-file fields of a multipart body over `DATA_UPLOAD_MAX_MEMORY_SIZE`) is a 413 too,
    not the 400 Django would answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if body_length(request) > body_limit(request):
            return error_response(413, REQUEST_TOO_LARGE)
        if "\x00" in request.path:
            # No URL has a NUL in it, and PostgreSQL refuses one in a lookup (a 500).
            return error_response(404)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RequestDataTooBig):
            return error_response(413, REQUEST_TOO_LARGE)
        return None


class LanguageHeaderMiddleware:
    """Activate the caller's language, remember it for a signed-in caller (the language of
    their notifications), and wrap Django's own error pages in the envelope.

    DRF views shape their errors themselves; this catches what never reaches DRF (an unknown
    URL, a crash page in debug mode, a 405 from a plain Django view) outside the admin.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            response = self.get_response(request)
            remember_language(request, explicit_request_language(request))
            if (
                response.status_code >= 400
                and not response.get("Content-Type", "").startswith("application/json")
                and not request.path.startswith(_NON_JSON_PREFIXES)
            ):
                response = error_response(response.status_code)
            response.headers.setdefault("Content-Language", language)
            return response
        finally:
            translation.deactivate()
