"""Agora RTC tokens (AccessToken version 006) built with `agora-token-builder`.

Host and guest get publisher privileges (join, publish audio, video and data); the audience
gets join only. Every privilege expires at one absolute Unix time. Without an app id and
certificate nothing is issued: a fake token would only fail later, inside the apps.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from agora_token_builder import AccessToken as access_token_module
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.errors import ServiceUnavailable
from livestreams.models import UID_MAX

NOT_CONFIGURED = _("Live video is not configured")

JOIN_CHANNEL = access_token_module.kJoinChannel
PUBLISH_AUDIO = access_token_module.kPublishAudioStream
PUBLISH_VIDEO = access_token_module.kPublishVideoStream
PUBLISH_DATA = access_token_module.kPublishDataStream
PUBLISHER_PRIVILEGES = (JOIN_CHANNEL, PUBLISH_AUDIO, PUBLISH_VIDEO, PUBLISH_DATA)
SUBSCRIBER_PRIVILEGES = (JOIN_CHANNEL,)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    app_id: str
    channel_name: str
    uid: int
    publisher: bool
    expires_at: datetime


def credentials() -> tuple[str, str]:
    """The app id and certificate, or ServiceUnavailable (503) when either is missing."""
    app_id = settings.AGORA_APP_ID
    certificate = settings.AGORA_APP_CERTIFICATE
    if not app_id or not certificate:
        raise ServiceUnavailable(NOT_CONFIGURED)
    return app_id, certificate


def build_token(
    *,
    app_id: str,
    app_certificate: str,
    channel_name: str,
    uid: int,
    privileges: tuple[int, ...],
    expire_timestamp: int,
    salt: int | None = None,
    ts: int | None = None,
) -> str:
    """One AccessToken. `salt` and `ts` are the library's (random, now + 24 h) unless given,
    which only the reference test does. TTLs are at most 24 h, so no privilege outlives `ts`."""
    token = access_token_module.AccessToken(app_id, app_certificate, channel_name, uid)
    if salt is not None:
        token.salt = salt
    if ts is not None:
        token.ts = ts
    for privilege in privileges:
        token.addPrivilege(privilege, expire_timestamp)
    return token.build()


def issue_token(*, channel_name: str, uid: int, publisher: bool) -> IssuedToken:
    """A token for `uid` in `channel_name`, valid for AGORA_TOKEN_TTL_SECONDS from now."""
    app_id, certificate = credentials()
    now = timezone.now()
    expire_timestamp = int(now.timestamp()) + settings.AGORA_TOKEN_TTL_SECONDS
    token = build_token(
        app_id=app_id,
        app_certificate=certificate,
        channel_name=channel_name,
        uid=uid,
        privileges=PUBLISHER_PRIVILEGES if publisher else SUBSCRIBER_PRIVILEGES,
        expire_timestamp=expire_timestamp,
    )
    return IssuedToken(
        token=token,
        app_id=app_id,
        channel_name=channel_name,
        uid=uid,
        publisher=publisher,
        expires_at=datetime.fromtimestamp(expire_timestamp, tz=UTC),
    )


def candidate_uid(*, live_stream_id: str, user_id: str, attempt: int = 0) -> int:
    """A non-zero 32-bit uid derived from (stream, user); `attempt` moves past a collision."""
    digest = hashlib.sha256(f"{live_stream_id}:{user_id}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % UID_MAX + 1
