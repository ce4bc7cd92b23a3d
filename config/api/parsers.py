"""Request parsers: camelCase bodies to snake_case, and a 400 for any body that is not JSON.

Keys are converted by `config.api.camel` (cached per key); the size of a body is capped before
any parser runs (`config.api.middleware.RequestSizeLimitMiddleware`).
"""

import json
import math

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

from config.api.camel import underscore_form, underscore_object

MALFORMED_JSON = _("The request body is not valid JSON.")
TOO_DEEP = _("The request body is nested too deeply.")
# No request of the API nests more than a few levels; the limit leaves room and keeps every
# later step (validation, storage, rendering) far from Python's recursion limit.
MAX_JSON_DEPTH = 64


def _deeper_than(data, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels (iterative, linear)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        for child in value.values() if isinstance(value, dict) else value:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


def _finite_float(text: str) -> float:
    """A JSON number too large for a float (`1e400`) is infinity in Python, which no JSON
    column stores and no answer can hold: refused like NaN, as malformed."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} does not fit a number")
    return value


class JSONParser(parsers.JSONParser):
    """JSON with snake_case keys. A malformed body is one clear message (not the decoder's
    internals), NaN and Infinity are not JSON, and a body nested deeper than `MAX_JSON_DEPTH`
    is a 400 instead of a RecursionError (a 500) later on.

    It stays a subclass of DRF's `JSONParser`, so DRF hands it `request.body`, which Django
    checks against `DATA_UPLOAD_MAX_MEMORY_SIZE` however the body arrived."""

    object_pairs_hook = staticmethod(underscore_object)

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        # `keep_keys` in the context, or PlainJSONParser: the keys as the sender wrote them.
        hook = None if parser_context.get("keep_keys") else self.object_pairs_hook
        try:
            data = json.loads(
                stream.read().decode(encoding),
                object_pairs_hook=hook,
                parse_constant=strict_constant if self.strict else None,
                parse_float=_finite_float,
            )
        except RecursionError as error:
            raise ParseError(TOO_DEEP) from error
        except ValueError as error:  # also UnicodeDecodeError and the strict NaN refusal
            raise ParseError(MALFORMED_JSON) from error
        if isinstance(data, dict | list) and _deeper_than(data, MAX_JSON_DEPTH):
            raise ParseError(TOO_DEEP)
        return data


class PlainJSONParser(JSONParser):
    """The same checks, keys kept as sent (a webhook's body stored as its sender wrote it)."""

    object_pairs_hook = None


class FormParser(parsers.FormParser):
    """`application/x-www-form-urlencoded` with snake_case field names."""

    def parse(self, stream, media_type=None, parser_context=None):
        return underscore_form(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    """`multipart/form-data` with snake_case field and file names."""

    def parse(self, stream, media_type=None, parser_context=None):
        data_and_files = super().parse(stream, media_type, parser_context)
        return parsers.DataAndFiles(
            underscore_form(data_and_files.data), underscore_form(data_and_files.files)
        )
