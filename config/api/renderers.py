"""The one place that builds the response envelope (contract section 0)."""

import datetime
import decimal
import json

from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

from config.api.camel import camelize


def format_datetime(value: datetime.datetime) -> str:
    """UTC, milliseconds and `Z`: `2026-01-15T10:30:00.000Z`."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    value = value.astimezone(datetime.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class ApiJSONEncoder(JSONEncoder):
    def default(self, obj):
        if isinstance(obj, datetime.datetime):
            return format_datetime(obj)
        if isinstance(obj, decimal.Decimal):
            # Money is a JSON number (contract section 0); whole amounts stay integers.
            return int(obj) if obj == obj.to_integral_value() else float(obj)
        return super().default(obj)


def envelope(*, status_code: int, data=None, errors=None) -> dict:
    is_success = status_code < 400
    return {
        "isSuccess": is_success,
        "statusCode": status_code,
        "data": camelize(data) if is_success else None,
        "errors": [] if is_success else [str(error) for error in (errors or [])],
        "timestamp": format_datetime(timezone.now()),
    }


def envelope_json(*, status_code: int, data=None, errors=None) -> bytes:
    return json.dumps(
        envelope(status_code=status_code, data=data, errors=errors),
        cls=ApiJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


class EnvelopeJSONRenderer(JSONRenderer):
    """Wrap every API response, success or error, in the envelope.

    Errors arrive here as a list of messages (see `config.api.exceptions`); anything else is
    the `data` of a successful response, camelCased on the way out.
    """

    encoder_class = ApiJSONEncoder

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        status_code = response.status_code if response is not None else 200
        if status_code == 204:
            return b""
        if status_code >= 400:
            errors = data if isinstance(data, list) else [data]
            payload = envelope(status_code=status_code, errors=errors)
        else:
            payload = envelope(status_code=status_code, data=data)
        return super().render(payload, accepted_media_type, renderer_context)
