"""Assertions shared by the live-stream tests."""

import base64
import re
import struct
from decimal import Decimal
from zlib import crc32

from agora_token_builder.AccessToken import AccessToken

from livestreams.models import UID_MAX
from tests.factories import StaffFactory
from tests.helpers import OBJECT_ID_RE, TIMESTAMP_RE
from tests.livestreams.conftest import AGORA_APP_CERTIFICATE, AGORA_APP_ID
from users.credits import services as credits
from users.credits.models import CreditTransaction
from users.models import User

LIVE_STREAM_KEYS = [
    "id",
    "title",
    "liveStreamType",
    "channelName",
    "broadcasters",
    "guests",
    "creator",
    "thumbnailUrl",
    "recording",
    "recordingUrl",
    "replayAccess",
    "status",
    "accessType",
    "price",
    "interest",
    "durationGoal",
    "motivation",
    "isActiveReplayOnCreatorProfile",
    "replayCreditPrice",
    "startedAt",
    "plannedStartDate",
    "endedAt",
    "plannedEndDate",
    "createdAt",
    "updatedAt",
    "fundingGoal",
    "collectedFunding",
    "fundingPercentage",
    "role",
    "viewerCount",
    "isReminderActive",
    "miniCrowdFundings",
]
USER_SUMMARY_KEYS = ["_id", "username", "name", "surname", "profilePhoto", "availabilityStatus"]
REPLAY_ACCESS_KEYS = [
    "status",
    "canRent",
    "canViewRecording",
    "price",
    "rentedAt",
    "expiresAt",
    "remainingSeconds",
]
JOIN_KEYS = ["liveStream", "token", "uid", "channelName", "appId", "role", "expiresAt", "charged"]


def assert_user_summary(data: dict, user) -> None:
    assert list(data) == USER_SUMMARY_KEYS
    assert data["_id"] == user.pk
    assert data["username"] == user.username


def assert_live_stream_shape(data: dict) -> None:
    """Every key of the contract's LiveStream, in order, each of the right type."""
    assert list(data) == LIVE_STREAM_KEYS
    assert OBJECT_ID_RE.match(data["id"])
    assert isinstance(data["title"], str)
    assert data["liveStreamType"] in {"solo", "duocrowd", "duoself"}
    assert re.fullmatch(r"[a-z0-9-]{6,63}", data["channelName"])
    assert isinstance(data["broadcasters"], list)
    for broadcaster in data["broadcasters"]:
        assert list(broadcaster) == ["user", "role", "uid", "hasJoined"]
        assert list(broadcaster["user"]) == USER_SUMMARY_KEYS
        assert broadcaster["role"] in {"host", "guest"}
        assert isinstance(broadcaster["uid"], int)
        assert 1 <= broadcaster["uid"] <= UID_MAX
        assert isinstance(broadcaster["hasJoined"], bool)
    assert isinstance(data["guests"], list)
    for guest in data["guests"]:
        assert list(guest) == USER_SUMMARY_KEYS
    assert list(data["creator"]) == USER_SUMMARY_KEYS
    assert data["thumbnailUrl"].startswith(("http://", "https://"))
    assert isinstance(data["recording"], bool)
    assert data["recordingUrl"] is None or data["recordingUrl"].startswith("http")
    assert list(data["replayAccess"]) == REPLAY_ACCESS_KEYS
    assert data["status"] in {
        "scheduled",
        "preparing",
        "active",
        "ended",
        "expired",
        "cancelled_by_host",
        "cancelled_by_guest",
    }
    assert data["accessType"] in {"free", "paid"}
    assert data["price"] is None or isinstance(data["price"], int | float)
    assert data["interest"] is None or isinstance(data["interest"], str)
    assert isinstance(data["durationGoal"], int)
    assert data["motivation"] is None or isinstance(data["motivation"], str)
    assert data["isActiveReplayOnCreatorProfile"] in {None, True, False}
    assert data["replayCreditPrice"] is None or isinstance(data["replayCreditPrice"], int | float)
    for key in ("plannedStartDate", "plannedEndDate", "createdAt", "updatedAt"):
        assert TIMESTAMP_RE.match(data[key]), key
    for key in ("startedAt", "endedAt"):
        assert data[key] is None or TIMESTAMP_RE.match(data[key]), key
    assert data["fundingGoal"] is None or isinstance(data["fundingGoal"], int | float)
    assert isinstance(data["collectedFunding"], int | float)
    assert data["collectedFunding"] >= 0
    assert isinstance(data["fundingPercentage"], int | float)
    if data["fundingGoal"] is None:
        assert data["collectedFunding"] == data["fundingPercentage"] == 0
    assert data["replayAccess"]["status"] in {
        "owner",
        "unavailable",
        "available",
        "rented",
        "expired",
    }
    assert data["role"] in {None, "host", "guest", "audience"}
    assert isinstance(data["viewerCount"], int)
    # The caller's reminder: true or false signed in, null anonymous (tests/livestreams/
    # test_reminders.py checks which).
    assert data["isReminderActive"] in {None, True, False}
    assert data["miniCrowdFundings"] == []


def decode_token(token: str) -> dict:
    """Everything an Agora 006 token carries, checked against its own signature.

    The token holds CRCs of the channel and uid, not the values; `assert_token` rebuilds it
    from the expected channel and uid to prove them.
    """
    parsed = AccessToken()
    assert parsed.fromString(token) is True
    content = base64.b64decode(token[3 + 32 :])
    signature_length = struct.unpack("<H", content[:2])[0]
    crc_channel, crc_uid = struct.unpack(
        "<II", content[2 + signature_length : 10 + signature_length]
    )
    return {
        "version": token[:3],
        "app_id": token[3:35],
        "salt": parsed.salt,
        "ts": parsed.ts,
        "privileges": dict(parsed.messages),
        "crc_channel": crc_channel,
        "crc_uid": crc_uid,
    }


def assert_token(token: str, *, channel_name: str, uid: int, publisher: bool, expires: int):
    decoded = decode_token(token)
    assert decoded["version"] == "006"
    assert decoded["app_id"] == AGORA_APP_ID
    assert decoded["crc_channel"] == crc32(channel_name.encode()) & 0xFFFFFFFF
    assert decoded["crc_uid"] == crc32(str(uid).encode()) & 0xFFFFFFFF
    expected_privileges = (
        {1: expires, 2: expires, 3: expires, 4: expires} if publisher else {1: expires}
    )
    assert decoded["privileges"] == expected_privileges
    # Rebuilt with the same salt and ts from the expected channel and uid, the token must be
    # the same bytes: this proves the signature, hence channel, uid, privileges and expiry.
    rebuilt = AccessToken(AGORA_APP_ID, AGORA_APP_CERTIFICATE, channel_name, uid)
    rebuilt.salt = decoded["salt"]
    rebuilt.ts = decoded["ts"]
    for privilege, expiry in decoded["privileges"].items():
        rebuilt.addPrivilege(privilege, expiry)
    assert rebuilt.build() == token


# --- Money -----------------------------------------------------------------------------------


def give_credits(user, amount: str):
    """`amount` credits on `user`'s balance, through the money service (a staff adjustment)."""
    credits.balance_adjust(
        user=user, amount=Decimal(amount), reason="test credits", staff=StaffFactory()
    )
    user.refresh_from_db()
    return user


def balance_of(user):
    return User.objects.get(pk=user.pk).credit_balance


def ledger_of(user) -> list[tuple]:
    """(type, direction, amount, balanceAfter, status) of each of `user`'s rows, oldest first,
    without the test credits."""
    return [
        (row.type, row.direction, row.amount, row.balance_after, row.status)
        for row in CreditTransaction.objects.filter(user=user).order_by("sequence")
        if row.reason != "test credits"
    ]


def money_snapshot() -> tuple:
    """Every balance and ledger row: what a refused money request must leave as it was."""
    return (
        sorted(User.objects.values_list("pk", "credit_balance", "ledger_length")),
        sorted(CreditTransaction.objects.values_list("pk", "status")),
    )
