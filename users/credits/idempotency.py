"""`Idempotency-Key` on the money endpoints (contract section 5, "Safety").

A client that lost the answer to a purchase, a contribution, a rental or a paid join sends the
request again with the same key and gets the first answer back, charged once:

- the same key with the same body (and path) replays the stored answer, marked
  `Idempotent-Replayed: true`;
- the same key with another body is a 422;
- the same key while the first request is still running is a 409.

Keys are per user and endpoint and kept 24 hours. The answer is stored in the transaction of
the money it reports, so a request that dies midway leaves neither; its unanswered claim is
let go after a 90-second lease. Only a success is stored: a refusal (a 402
for a short balance, say) leaves nothing behind, so the same key works once the client has
fixed what was wrong.
"""

import functools
import hashlib
import json
import re
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from config.api.camel import camelize
from config.api.errors import Conflict, DomainError, InvalidInput
from config.api.renderers import ApiJSONEncoder
from users.credits.models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEY_RE = re.compile(r"^[\x20-\x7e]{1,255}$")  # printable ASCII
KEEP_FOR = timedelta(hours=24)
LEASE = timedelta(seconds=90)

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "1 to 255 printable characters, per user and endpoint, kept 24 hours. A repeat with "
        "the same body gets the first answer again (`Idempotent-Replayed: true`); the same "
        "key with another body is a 422; a repeat while the first runs is a 409."
    ),
)

KEY_INVALID = _("Idempotency-Key: use 1 to 255 printable characters.")
KEY_REUSED = _("This Idempotency-Key was used with a different request.")
KEY_IN_PROGRESS = _("A request with this Idempotency-Key is still in progress.")


class UnprocessableEntity(DomainError):
    status_code = 422


def _request_hash(request) -> str:
    body = request.data if isinstance(request.data, dict) else {}
    canonical = json.dumps(
        {"path": request.path, "body": body}, sort_keys=True, cls=ApiJSONEncoder, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _claim(*, user, endpoint: str, key: str, request_hash: str):
    """The stored record for a repeat, or None once this request holds the key."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    user=user, endpoint=endpoint, key=key, request_hash=request_hash
                )
            return None
        except IntegrityError:
            record = IdempotencyRecord.objects.filter(user=user, endpoint=endpoint, key=key).first()
            if record is None:
                continue  # the first request failed and let go of the key meanwhile
            now = timezone.now()
            expired = record.created_at < now - KEEP_FOR
            # A claim still without an answer after the lease belongs to a request that died
            # (a killed worker): its money rolled back with it (see `idempotent`), so the key
            # is free again. No request lives that long: gunicorn's timeout is 30 s.
            abandoned = record.response_status is None and record.created_at < now - LEASE
            if expired or abandoned:
                IdempotencyRecord.objects.filter(pk=record.pk).delete()
                continue
            return record
    raise Conflict(KEY_IN_PROGRESS)


def idempotent(endpoint: str):
    """Decorate an APIView handler (`def post(self, request, ...)`) of a signed-in caller."""

    def decorator(handler):
        @functools.wraps(handler)
        def wrapper(view, request, *args, **kwargs):
            key = request.headers.get(HEADER)
            if key is None or not request.user.is_authenticated:
                return handler(view, request, *args, **kwargs)
            if not KEY_RE.match(key):
                raise InvalidInput(KEY_INVALID)
            request_hash = _request_hash(request)
            record = _claim(
                user=request.user, endpoint=endpoint, key=key, request_hash=request_hash
            )
            if record is not None:
                if record.request_hash != request_hash:
                    raise UnprocessableEntity(KEY_REUSED)
                if record.response_status is None:
                    raise Conflict(KEY_IN_PROGRESS)
                return Response(
                    record.response_body,
                    status=record.response_status,
                    headers={"Idempotent-Replayed": "true"},
                )
            stored = IdempotencyRecord.objects.filter(user=request.user, endpoint=endpoint, key=key)
            try:
                # The money and the stored answer commit together, or neither does: a worker
                # killed in between leaves no charge without its answer to replay.
                with transaction.atomic():
                    response = handler(view, request, *args, **kwargs)
                    if 200 <= response.status_code < 300:
                        body = json.loads(json.dumps(camelize(response.data), cls=ApiJSONEncoder))
                        stored.update(response_status=response.status_code, response_body=body)
            except BaseException:
                stored.delete()
                raise
            if not 200 <= response.status_code < 300:
                stored.delete()
            return response

        return wrapper

    return decorator
