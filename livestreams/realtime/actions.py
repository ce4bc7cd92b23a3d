"""What a socket asks for, done in the database with the REST rules (contract section 9).

These functions are sync, like the views: the server runs them through `database()`, which
hands them to a bounded pool of threads of its own (`SOCKETIO_DB_THREADS`, 8 by default),
closes stale connections before and after as Django does around a request, renders messages
in the socket's language, and turns any refusal into the acknowledgement
`{ok: false, statusCode, error, errors}` the way the exception handler shapes a REST error.

Why a pool and not Django's thread for sync code (`thread_sensitive=True`): outside a
request there is no `ThreadSensitiveContext`, so every socket of the process would share that
one thread, and one event waiting on a row lock would stall them all. Each pool thread keeps
one persistent connection (closed when stale or broken, as `CONN_MAX_AGE` says), so a process
holds at most `SOCKETIO_DB_THREADS` connections for its sockets; events beyond that queue.
Each thread also runs its calls in one context of its own, kept from call to call: Django's
cache handler keeps its cache objects per context, and a fresh context per call (as
`sync_to_async` makes) would build the cache, and a Redis connection pool, at every event.
"""

import asyncio
import contextlib
import contextvars
import functools
import logging
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import close_old_connections
from django.db.models import Count
from django.http import Http404, HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers
from rest_framework.serializers import as_serializer_error
from rest_framework_simplejwt.exceptions import InvalidToken

from config.api import errors as api_errors
from config.api.camel import underscore_key
from config.api.errors import (
    AuthenticationRequired,
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    TooManyRequests,
)
from config.api.exceptions import error_messages
from config.api.fields import StrictCharField
from config.api.ids import is_object_id
from config.api.middleware import SUPPORTED_LANGUAGES, request_language
from livestreams import selectors, services
from livestreams.api.chat_serializers import ChatContentField, chat_message_json
from livestreams.models import (
    LiveStream,
    LiveStreamBan,
    LiveStreamStatus,
    ParticipantRole,
    Participation,
)
from users.authentication import JWTAuthentication
from users.models import User

logger = logging.getLogger(__name__)

UNKNOWN_EVENT = _("Unknown event.")
# SimpleJWT's own message (and translations) for a token that is not a token at all.
TOKEN_INVALID = _("Token is invalid")
TOO_MANY_EVENTS = _("Too many events on this connection; slow down.")
TOO_MANY_STREAMS = _(
    "A connection may follow at most %(count)d streams at once; leave one to join another."
)

DB_THREADS = 8

# --- Answers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a piece of work came to: a value, or the acknowledgement of its refusal."""

    value: object = None
    refusal: dict | None = None

    @property
    def refused(self) -> bool:
        return self.refusal is not None


def refusal_ack(status_code: int, messages: list, *, retry_after=None) -> dict:
    messages = [str(message) for message in messages] or [str(api_errors.VALIDATION_FAILED)]
    ack = {"ok": False, "statusCode": status_code, "error": messages[0], "errors": messages}
    if retry_after is not None:
        ack["retryAfter"] = retry_after
    return ack


def refusal_of(error: Exception) -> dict:
    """The acknowledgement REST's exception handler would make of `error` (its status and
    messages); anything unexpected is logged and answered as a bare 500."""
    if isinstance(error, DomainError):
        return refusal_ack(
            error.status_code, error.messages, retry_after=getattr(error, "retry_after", None)
        )
    if isinstance(error, DjangoValidationError):
        error = exceptions.ValidationError(detail=as_serializer_error(error))
    elif isinstance(error, Http404):
        error = exceptions.NotFound()
    elif isinstance(error, DjangoPermissionDenied):
        error = exceptions.PermissionDenied()
    if isinstance(error, exceptions.APIException):
        wait = getattr(error, "wait", None)
        retry_after = max(math.ceil(wait), 1) if wait is not None else None
        return refusal_ack(error.status_code, error_messages(error), retry_after=retry_after)
    logger.error("socket event failed", exc_info=error)
    return refusal_ack(500, [api_errors.INTERNAL_SERVER_ERROR])


def answer(language: str, work, /, *args, **kwargs) -> Outcome:
    """Run `work` in `language`; its value, or the acknowledgement of its refusal."""
    with translation.override(language):
        try:
            return Outcome(value=work(*args, **kwargs))
        except Exception as error:
            return Outcome(refusal=refusal_of(error))


def _in_database(language: str, work, /, *args, **kwargs) -> Outcome:
    close_old_connections()
    try:
        return answer(language, work, *args, **kwargs)
    finally:
        close_old_connections()


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_thread = threading.local()


def database_pool() -> ThreadPoolExecutor:
    """The process's threads for the sockets' database work (made at first use)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=max(int(getattr(settings, "SOCKETIO_DB_THREADS", DB_THREADS)), 1),
                thread_name_prefix="socket-db",
            )
        return _pool


def _in_thread_context(language: str, work, args, kwargs) -> Outcome:
    context = getattr(_thread, "context", None)
    if context is None:
        context = _thread.context = contextvars.Context()
    return context.run(_in_database, language, work, *args, **kwargs)


async def database(language: str, work, /, *args, **kwargs) -> Outcome:
    """`answer()` on a thread of `database_pool()`, with fresh connections as per request."""
    call = functools.partial(_in_thread_context, language, work, args, kwargs)
    return await asyncio.get_running_loop().run_in_executor(database_pool(), call)


def too_many_events(retry_after: float) -> None:
    raise TooManyRequests(TOO_MANY_EVENTS, retry_after=math.ceil(retry_after))


def too_many_streams(count: int) -> None:
    raise Conflict(TOO_MANY_STREAMS % {"count": count})


# --- Connecting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Connection:
    """Who is on a socket: `user_id` None for an anonymous one. The token is kept to be
    checked again at every event, as REST checks it at every request."""

    language: str
    user_id: str | None = None
    token: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None


def language_of(environ: dict, auth) -> str:
    """`language` of the auth payload, else `X-Language`, else `Accept-Language`, else en."""
    if isinstance(auth, dict) and isinstance(auth.get("language"), str):
        language = auth["language"].strip().lower()[:2]
        if language in SUPPORTED_LANGUAGES:
            return language
    request = HttpRequest()
    request.META = {key: value for key, value in environ.items() if key.startswith("HTTP_")}
    return request_language(request)


def _raw_token(environ: dict, auth) -> bytes | None:
    """The token of the auth payload (`{"token": ...}`, a `Bearer ` prefix allowed), else of
    the `Authorization: Bearer` header, parsed as REST parses it; None: anonymous."""
    backend = JWTAuthentication()
    if isinstance(auth, dict) and auth.get("token") not in (None, ""):
        token = auth["token"]
        if not isinstance(token, str):
            raise InvalidToken(TOKEN_INVALID)
        token = token.strip()
        if token.startswith("Bearer "):
            token = token.removeprefix("Bearer ").strip()
        return token.encode()
    header = environ.get("HTTP_AUTHORIZATION")
    if not header:
        return None
    return backend.get_raw_token(header.encode("latin-1"))


def _user_of(raw_token: bytes) -> User:
    """The token's user, with every check REST makes (signature, expiry, token type, active
    user, session not ended by a logout)."""
    backend = JWTAuthentication()
    return backend.get_user(backend.get_validated_token(raw_token))


def connect(*, environ: dict, auth, language: str) -> Connection:
    """Refuses (401) a token that REST would refuse; no token at all is an anonymous socket."""
    raw_token = _raw_token(environ, auth)
    if raw_token is None:
        return Connection(language=language)
    user = _user_of(raw_token)
    return Connection(language=language, user_id=user.pk, token=raw_token.decode())


def _current_user(connection: Connection) -> User | None:
    """The socket's user now: its token is checked again (it may have expired, or its
    session ended, since the connection was made)."""
    if connection.token is None:
        return None
    return _user_of(connection.token.encode())


# --- Payloads --------------------------------------------------------------------------------


class StreamEventSerializer(serializers.Serializer):
    live_stream_id = StrictCharField()


class SendMessageSerializer(StreamEventSerializer):
    # Only the type, as the REST POST's: the rest is the chat service's (trimming, control
    # characters, length).
    content = ChatContentField()


def _validated(serializer_class, payload) -> dict:
    """The payload's camelCase keys read as REST's parser reads a body's."""
    if isinstance(payload, dict):
        payload = {underscore_key(str(key)): value for key, value in payload.items()}
    serializer = serializer_class(data=payload)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def stream_id_of(payload) -> str:
    """`liveStreamId` of an event: 400 when missing or not a string, 404 when it is not
    shaped like an id (no stream has it, as for an id in a URL)."""
    live_stream_id = _validated(StreamEventSerializer, payload)["live_stream_id"]
    if not is_object_id(live_stream_id):
        raise NotFound()
    return live_stream_id


# --- Joining and leaving -----------------------------------------------------------------------


@dataclass(frozen=True)
class Joined:
    live_stream_id: str
    # host, guest, audience, or None (anonymous, or a chat reader who is none of these)
    role: str | None
    # An audience stay was recorded (or was open already) for this socket to hold.
    stay: bool
    data: dict = field(default_factory=dict)


def _require_active_for_audience(live_stream: LiveStream) -> None:
    if live_stream.is_over:
        raise Conflict(services.STREAM_IS_OVER)
    if live_stream.status != LiveStreamStatus.ACTIVE:
        raise Conflict(services.AUDIENCE_TOO_EARLY)


def _role_of(live_stream: LiveStream, user: User) -> str | None:
    if live_stream.creator_id == user.pk:
        return "host"
    if services.is_guest(live_stream, user):
        return "guest"
    return None


def join_stream(*, connection: Connection, live_stream_id: str, records_stay: bool) -> Joined:
    """`joinStream`: who may follow the stream, and on `/live-stream` the audience stay.

    - Anyone, on `/live-stream`: an unknown or deleted stream is 404.
    - Anonymous: only the public counts of an active stream (409 otherwise, as an audience
      join); on `/stream-chat` nothing (401), as the chat history.
    - A banned person: 403, on both namespaces.
    - The creator and invited guests: the room, whatever the status.
    - Anyone else on `/live-stream`: an audience stay, as REST `/join` records it (the same
      rules and the ticket of a paid stream: 409, 402...), without an Agora token.
    - Anyone else on `/stream-chat`: the chat history's read rule
      (`services.chat_require_reader`: 403 otherwise).
    """
    user = _current_user(connection)
    live_stream = selectors.live_stream_get_plain(live_stream_id=live_stream_id)
    if user is None:
        if not records_stay:
            raise AuthenticationRequired()
        _require_active_for_audience(live_stream)
        role, stay = None, False
    else:
        services.require_not_banned(live_stream, user)
        role = _role_of(live_stream, user)
        stay = False
        if role is None and records_stay:
            services.live_stream_watch(live_stream=live_stream, user=user)
            role, stay = "audience", True
        elif role is None:
            services.chat_require_reader(live_stream=live_stream, user=user)
        live_stream.refresh_from_db(fields=["status"])
    return Joined(
        live_stream_id=live_stream.pk,
        role=role,
        stay=stay,
        data={
            "liveStreamId": live_stream.pk,
            "status": live_stream.status,
            "role": role,
            "viewerCount": Participation.objects.open_audience(live_stream).count(),
        },
    )


def confirm_join(*, user_id: str, live_stream_id: str, stay: bool) -> None:
    """After a join entered the socket into the stream's rooms: 403 if the person has been
    banned since the join checked (the socket then leaves the rooms).

    A ban committed before this read is seen here; one committed after it sends its `banned`
    after its commit, so to rooms the socket is in already, which takes it out. Either way
    a banned socket does not stay. A stay the join recorded was closed by the ban (an
    audience join and a ban are serialized on the stream's row); it is closed here too in
    case it was not.
    """
    if not LiveStreamBan.objects.filter(live_stream_id=live_stream_id, user_id=user_id).exists():
        return
    if stay:
        leave_stream(user_id=user_id, live_stream_id=live_stream_id)
    raise Forbidden(services.BANNED)


def leave_stream(*, user_id: str, live_stream_id: str) -> None:
    """Close the person's audience stay: their last socket has left the stream. Leaving a
    stream they are no longer in (the stay closed by the stream's end or a ban, or never
    opened) is nothing to do, found with one plain read: no lock, no write."""
    open_stay = Participation.objects.filter(
        live_stream_id=live_stream_id, participant__user_id=user_id, left_at__isnull=True
    )
    if not open_stay.exists():
        return
    user = User.objects.filter(pk=user_id).first()
    live_stream = LiveStream.objects.filter(pk=live_stream_id).first()
    if user is None or live_stream is None:
        return
    with contextlib.suppress(DomainError):  # e.g. never joined: nothing to close
        services.live_stream_leave(live_stream=live_stream, user=user)


def watch_again(*, user_id: str, live_stream_id: str) -> None:
    """Another socket of the person joined while their last one was leaving: reopen the
    stay it closed (a refusal, such as a ban or the stream's end, leaves it closed)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    live_stream = LiveStream.objects.visible().filter(pk=live_stream_id).first()
    if user is None or live_stream is None:
        return
    try:
        services.live_stream_watch(live_stream=live_stream, user=user)
    except DomainError as error:
        logger.info("stay of %s in %s not reopened: %s", user_id, live_stream_id, error)


# --- Chat ------------------------------------------------------------------------------------


def send_message(*, connection: Connection, payload) -> dict:
    """`sendMessage`: the chat POST's rules (`services.chat_message_post`: who, when, content,
    one per second, bans). The `newMessage` broadcast is the service's own event."""
    user = _current_user(connection)
    if user is None:
        raise AuthenticationRequired()
    data = _validated(SendMessageSerializer, payload)
    live_stream_id = data["live_stream_id"]
    if not is_object_id(live_stream_id):
        raise NotFound()
    live_stream = selectors.live_stream_get_plain(live_stream_id=live_stream_id)
    message = services.chat_message_post(
        live_stream=live_stream, user=user, content=data["content"]
    )
    return chat_message_json(message)


# --- viewerCount -----------------------------------------------------------------------------


def audience_counts(live_stream_ids: list[str]) -> dict[str, int]:
    """The audience of each stream now, in one query (the `ls_participation_open` index):
    `Participation.objects.open_audience` for many streams at once."""
    counts = dict.fromkeys(live_stream_ids, 0)
    rows = (
        Participation.objects.filter(
            live_stream_id__in=live_stream_ids,
            role=ParticipantRole.AUDIENCE,
            left_at__isnull=True,
        )
        .order_by()
        .values("live_stream_id")
        .annotate(total=Count("pk"))
        .values_list("live_stream_id", "total")
    )
    counts.update(rows)
    return counts
