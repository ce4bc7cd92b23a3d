"""POST /api/v1/webhooks/agora (contract section 12), with bodies of the shape of Agora's
published samples (tests/livestreams/agora/*.json, README.md there says where each is from)."""

import hashlib
import hmac
import itertools
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from livestreams.models import (
    AgoraEvent,
    AgoraPresence,
    LiveStream,
    LiveStreamBan,
    LiveStreamStatus,
    ParticipantRole,
    Participation,
)
from livestreams.services.agora_events import SIGNATURE_INVALID
from tests.factories import UserFactory
from tests.helpers import assert_error, assert_success, failures_of, run_together
from tests.livestreams.factories import LiveStreamFactory, ParticipantFactory, ParticipationFactory
from tests.livestreams.helpers import give_credits
from users.credits import services as credits

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/agora"
SECRET = "ncs-secret-0123456789abcdef"
SAMPLES = Path(__file__).parent / "agora"
START = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
HOST_UID, VIEWER_UID = 1001, 2002
RECORDINGS = "https://cdn.example.com/recordings"
_notices = itertools.count(1)


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.AGORA_NCS_SECRET = SECRET
    settings.AGORA_RECORDING_BASE_URL = RECORDINGS
    settings.LIVE_STREAM_GRACE_MINUTES = 30


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def sign(raw: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def deliver(body, *, signature: str | None = "sign", client=None):
    """POST `body` (bytes as they are, anything else as JSON), signed with SECRET unless
    `signature` says otherwise (None: no header)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {}
    if signature is not None:
        headers["HTTP_AGORA_SIGNATURE_V2"] = sign(raw) if signature == "sign" else signature
    client = client or APIClient()
    return client.post(URL, raw, content_type="application/json", **headers)


def sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text())


def now_ts() -> int:
    return int(timezone.now().timestamp())


def channel_event(live_stream, event_type: int, *, uid: int, seq: int | None, **payload) -> dict:
    """An RTC channel notice of Agora's shape about `uid` in `live_stream` (ts: now)."""
    body = {
        "noticeId": f"2000001428:{next(_notices)}:{event_type}",
        "productId": 1,
        "eventType": event_type,
        "notifyMs": int(timezone.now().timestamp() * 1000),
        "payload": {
            "channelName": live_stream.channel_name,
            "uid": uid,
            "platform": 1,
            "ts": now_ts(),
            "account": str(uid),
            **payload,
        },
    }
    if seq is not None:
        body["payload"]["clientSeq"] = seq
    return body


def outcome_of(response) -> str:
    data = assert_success(response)
    assert set(data) == {"noticeId", "outcome", "duplicate"}
    assert data["duplicate"] is False
    return data["outcome"]


def open_stays(participant) -> int:
    return Participation.objects.filter(participant=participant, left_at__isnull=True).count()


def presence_of(live_stream, uid) -> tuple:
    row = AgoraPresence.objects.get(live_stream=live_stream, uid=uid)
    return row.client_seq, row.event_type, row.in_channel


@pytest.fixture
def live(user, clock):
    """An active stream of `user`: the host (uid 1001) and a viewer (uid 2002) are in."""
    live_stream = LiveStreamFactory(
        creator=user, status=LiveStreamStatus.ACTIVE, planned_start_date=START, started_at=START
    )
    host = ParticipantFactory(
        live_stream=live_stream, user=user, role=ParticipantRole.HOST, uid=HOST_UID
    )
    ParticipationFactory(participant=host, joined_at=START)
    viewer = ParticipantFactory(
        live_stream=live_stream, role=ParticipantRole.AUDIENCE, uid=VIEWER_UID
    )
    ParticipationFactory(participant=viewer, joined_at=START)
    live_stream.host, live_stream.viewer = host, viewer
    return live_stream


def as_creator(user_client, live_stream) -> dict:
    return assert_success(user_client.get(f"/api/v1/live-stream/{live_stream.pk}"))


# --- Verification ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "deadbeef",
        sign(b"{}"),  # the signature of another body
        sign(json.dumps(sample("audience_join_105")).encode(), secret="another-secret"),
        hmac.new(SECRET.encode(), b"x", hashlib.sha1).hexdigest(),
        "ş" * 64,
    ],
)
def test_a_missing_or_wrong_signature_is_401_and_stores_nothing(live, signature):
    body = channel_event(live, 106, uid=VIEWER_UID, seq=9)

    response = deliver(body, signature=signature)

    assert_error(response, 401, [str(SIGNATURE_INVALID)])
    assert AgoraEvent.objects.count() == 0
    assert AgoraPresence.objects.count() == 0
    assert open_stays(live.viewer) == 1


def test_a_signature_for_a_reformatted_body_is_refused(live):
    """The signature is over the raw bytes: the same JSON spaced differently is not it."""
    body = channel_event(live, 106, uid=VIEWER_UID, seq=9)
    signed = sign(json.dumps(body, separators=(",", ":")).encode())

    assert_error(deliver(json.dumps(body, indent=2).encode(), signature=signed), 401)
    assert AgoraEvent.objects.count() == 0


def test_without_a_secret_configured_every_call_is_401(settings, live):
    settings.AGORA_NCS_SECRET = ""
    raw = json.dumps(channel_event(live, 106, uid=VIEWER_UID, seq=9)).encode()

    response = deliver(raw, signature=hmac.new(b"", raw, hashlib.sha256).hexdigest())

    assert_error(response, 401, [str(SIGNATURE_INVALID)])
    assert AgoraEvent.objects.count() == 0
    assert open_stays(live.viewer) == 1


def test_an_uppercase_hex_signature_is_the_same_signature(live):
    raw = json.dumps(channel_event(live, 101, uid=VIEWER_UID, seq=None)).encode()

    assert_success(deliver(raw, signature=sign(raw).upper()))


def test_agoras_published_signature_example_verifies(settings):
    settings.AGORA_NCS_SECRET = "secret"
    raw = (SAMPLES / "signature_example.json").read_bytes().rstrip(b"\n")
    assert sign(raw, "secret") == (
        "6d3320c60b11101395b7fc8f9068748808a0aa1bfa064438e39d1bc2c7d74d99"
    )

    data = assert_success(deliver(raw, signature=sign(raw, "secret")))

    assert data == {
        "noticeId": "4eb720f0-8da7-11e9-a43e-53f411c2761f",
        "outcome": "stored",
        "duplicate": False,
    }
    event = AgoraEvent.objects.get()
    assert (event.product_id, event.event_type, event.notify_ms) == (1, 10, 1560408533119)
    assert event.payload == json.loads(raw)


def test_the_body_is_read_whatever_its_media_type(live):
    raw = json.dumps(channel_event(live, 101, uid=VIEWER_UID, seq=None)).encode()

    response = APIClient().post(
        URL, raw, content_type="text/plain", HTTP_AGORA_SIGNATURE_V2=sign(raw)
    )

    assert outcome_of(response) == "stored"


def test_the_webhook_needs_no_token_and_ignores_a_bad_one(live):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    assert_success(deliver(channel_event(live, 101, uid=1, seq=None), client=client))


# --- Agora's samples ---------------------------------------------------------------------------

SAMPLE_OUTCOMES = {
    "channel_create_101": "stored",
    "channel_destroy_102": "unknown channel",
    "broadcaster_join_103": "unknown channel",
    "broadcaster_leave_104": "unknown channel",
    "audience_join_105": "unknown channel",
    "audience_leave_106": "unknown channel",
    "role_to_broadcaster_111": "unknown channel",
    "role_to_audience_112": "unknown channel",
    "recording_uploaded_31_composite": "unknown channel",
    "recording_uploaded_31_individual": "unknown channel",
}


@pytest.mark.parametrize(("name", "outcome"), SAMPLE_OUTCOMES.items())
def test_each_published_sample_is_stored_as_it_came(name, outcome):
    """Their channel is `test_webhook`, Agora's console check: no stream of ours."""
    raw = (SAMPLES / f"{name}.json").read_bytes()
    body = json.loads(raw)

    data = assert_success(deliver(raw))

    assert data == {"noticeId": body["noticeId"], "outcome": outcome, "duplicate": False}
    event = AgoraEvent.objects.get()
    assert event.notice_id == body["noticeId"]
    assert (event.product_id, event.event_type) == (body["productId"], body["eventType"])
    assert event.notify_ms == body["notifyMs"]
    assert event.channel_name == "test_webhook"
    assert event.live_stream is None
    assert event.payload == body  # raw: no key converted
    assert event.outcome == outcome
    assert AgoraPresence.objects.count() == 0


def test_a_notice_of_an_unknown_product_or_event_is_stored(live):
    body = channel_event(live, 107, uid=VIEWER_UID, seq=12)
    body["productId"] = 7

    assert outcome_of(deliver(body)) == "stored"
    assert AgoraEvent.objects.get().live_stream == live  # linked for staff all the same
    assert open_stays(live.viewer) == 1


def test_role_changes_are_stored_and_change_nothing(live):
    for event_type in (111, 112):
        response = deliver(channel_event(live, event_type, uid=VIEWER_UID, seq=50 + event_type))
        assert outcome_of(response) == "role change: no effect"

    assert AgoraPresence.objects.count() == 0
    assert open_stays(live.viewer) == 1


# --- Duplicates --------------------------------------------------------------------------------


def test_the_same_notice_twice_changes_nothing_the_second_time(live):
    body = channel_event(live, 106, uid=VIEWER_UID, seq=9)
    first = assert_success(deliver(body))
    stay = Participation.objects.get(participant=live.viewer)

    second = assert_success(deliver(body))

    assert first["outcome"] == f"left: closed the stay of uid {VIEWER_UID}"
    assert second == {**first, "duplicate": True}
    assert AgoraEvent.objects.count() == 1
    assert Participation.objects.get(participant=live.viewer).left_at == stay.left_at


def test_a_notice_id_seen_before_is_a_duplicate_whatever_its_body(live, clock):
    leave = channel_event(live, 106, uid=VIEWER_UID, seq=9)
    assert_success(deliver(leave))
    clock.shift(timedelta(seconds=5))
    join = channel_event(live, 105, uid=VIEWER_UID, seq=10, ts=now_ts())
    join["noticeId"] = leave["noticeId"]

    data = assert_success(deliver(join))

    assert data["duplicate"] is True
    assert open_stays(live.viewer) == 0
    assert presence_of(live, VIEWER_UID) == (9, 106, False)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_deliveries_of_one_notice_store_and_apply_it_once(user):
    live_stream = LiveStreamFactory(creator=user, active=True)
    viewer = ParticipantFactory(live_stream=live_stream, uid=VIEWER_UID)
    ParticipationFactory(participant=viewer)
    body = channel_event(live_stream, 106, uid=VIEWER_UID, seq=9)

    results = run_together(*(lambda: deliver(body) for _ in range(10)))

    assert failures_of(results) == []
    assert [response.status_code for response in results] == [200] * 10
    duplicates = sorted(response.json()["data"]["duplicate"] for response in results)
    assert duplicates == [False] + [True] * 9
    assert AgoraEvent.objects.count() == 1
    assert open_stays(viewer) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_events_of_one_uid_keep_the_newest_client_seq(user):
    live_stream = LiveStreamFactory(creator=user, active=True)
    viewer = ParticipantFactory(live_stream=live_stream, uid=VIEWER_UID)
    ParticipationFactory(participant=viewer)
    bodies = [channel_event(live_stream, 106, uid=VIEWER_UID, seq=seq) for seq in range(1, 11)]

    results = run_together(*(lambda body=body: deliver(body) for body in bodies))

    assert [response.status_code for response in results] == [200] * 10
    assert presence_of(live_stream, VIEWER_UID) == (10, 106, False)
    assert open_stays(viewer) == 0


# --- Presence, ordered by clientSeq ------------------------------------------------------------


def test_a_leave_older_than_a_join_changes_nothing_and_a_newer_one_closes_the_stay(
    live, user_client
):
    join = deliver(channel_event(live, 105, uid=VIEWER_UID, seq=7))
    assert outcome_of(join) == f"joined: uid {VIEWER_UID} already has an open stay"
    assert presence_of(live, VIEWER_UID) == (7, 105, True)

    stale = deliver(channel_event(live, 106, uid=VIEWER_UID, seq=5))
    assert outcome_of(stale) == f"stale: clientSeq 5 is not newer for uid {VIEWER_UID}"
    assert presence_of(live, VIEWER_UID) == (7, 105, True)
    assert open_stays(live.viewer) == 1
    assert as_creator(user_client, live)["viewerCount"] == 1

    leave = deliver(channel_event(live, 106, uid=VIEWER_UID, seq=9))
    assert outcome_of(leave) == f"left: closed the stay of uid {VIEWER_UID}"
    assert presence_of(live, VIEWER_UID) == (9, 106, False)
    assert open_stays(live.viewer) == 0
    assert Participation.objects.get(participant=live.viewer).left_at == START
    assert as_creator(user_client, live)["viewerCount"] == 0

    equal = deliver(channel_event(live, 105, uid=VIEWER_UID, seq=9))
    assert outcome_of(equal) == f"stale: clientSeq 9 is not newer for uid {VIEWER_UID}"
    assert open_stays(live.viewer) == 0


def test_a_leave_that_arrives_before_its_join_wins(live):
    assert outcome_of(deliver(channel_event(live, 106, uid=VIEWER_UID, seq=9))).startswith(
        "left: closed"
    )

    late_join = deliver(channel_event(live, 105, uid=VIEWER_UID, seq=7))

    assert outcome_of(late_join).startswith("stale")
    assert open_stays(live.viewer) == 0


def test_a_broadcaster_leave_and_join_move_the_hosts_has_joined(live, user_client, clock):
    assert outcome_of(deliver(channel_event(live, 104, uid=HOST_UID, seq=3))) == (
        f"left: closed the stay of uid {HOST_UID}"
    )
    (host,) = as_creator(user_client, live)["broadcasters"]
    assert (host["uid"], host["hasJoined"]) == (HOST_UID, False)

    clock.shift(timedelta(seconds=5))
    rejoin = deliver(channel_event(live, 103, uid=HOST_UID, seq=4))

    assert outcome_of(rejoin) == f"joined: re-opened a stay for uid {HOST_UID}"
    (host,) = as_creator(user_client, live)["broadcasters"]
    assert host["hasJoined"] is True
    assert Participation.objects.filter(participant=live.host).count() == 2
    # An audience count is not a broadcaster's.
    assert as_creator(user_client, live)["viewerCount"] == 1


def test_a_newer_join_reopens_the_stay_of_someone_the_rules_let_in(live, user_client, clock):
    assert_success(deliver(channel_event(live, 106, uid=VIEWER_UID, seq=9)))
    clock.shift(timedelta(seconds=5))

    response = deliver(channel_event(live, 105, uid=VIEWER_UID, seq=10))

    assert outcome_of(response) == f"joined: re-opened a stay for uid {VIEWER_UID}"
    new_stay = Participation.objects.get(participant=live.viewer, left_at__isnull=True)
    assert new_stay.joined_at == START + timedelta(seconds=5)
    assert new_stay.role == ParticipantRole.AUDIENCE
    assert as_creator(user_client, live)["viewerCount"] == 1


def test_a_late_join_does_not_undo_a_leave_made_after_it(live, clock):
    """The join happened (ts) before the stay was closed, so it is old news."""
    joined_at = now_ts()
    clock.shift(timedelta(seconds=5))
    Participation.objects.filter(participant=live.viewer).update(left_at=timezone.now())

    response = deliver(channel_event(live, 105, uid=VIEWER_UID, seq=10, ts=joined_at))

    assert outcome_of(response) == (
        f"joined: not re-opened for uid {VIEWER_UID} (left after this join)"
    )
    assert open_stays(live.viewer) == 0


def test_a_join_without_ts_does_not_reopen(live, clock):
    assert_success(deliver(channel_event(live, 106, uid=VIEWER_UID, seq=9)))
    clock.shift(timedelta(seconds=5))
    body = channel_event(live, 105, uid=VIEWER_UID, seq=10)
    del body["payload"]["ts"]

    assert outcome_of(deliver(body)).endswith("(left after this join)")
    assert open_stays(live.viewer) == 0


def test_a_late_leave_does_not_close_a_stay_opened_after_it(live, clock):
    left_at = now_ts()
    Participation.objects.filter(participant=live.viewer).update(left_at=timezone.now())
    clock.shift(timedelta(seconds=5))
    ParticipationFactory(participant=live.viewer, joined_at=timezone.now())

    response = deliver(channel_event(live, 106, uid=VIEWER_UID, seq=9, ts=left_at))

    assert outcome_of(response) == f"left: uid {VIEWER_UID} has joined again since, stay kept"
    assert open_stays(live.viewer) == 1


@pytest.mark.parametrize("reason", ["banned", "ended", "deleted", "unpaid"])
def test_a_join_is_not_reopened_when_the_api_would_refuse_it(live, clock, reason):
    assert_success(deliver(channel_event(live, 106, uid=VIEWER_UID, seq=9)))
    clock.shift(timedelta(seconds=5))
    expected = {
        "banned": f"joined: not re-opened for uid {VIEWER_UID} (banned)",
        "ended": f"joined: not re-opened for uid {VIEWER_UID} (the stream is ended)",
        "deleted": "not applied: Resource not found",
        "unpaid": f"joined: not re-opened for uid {VIEWER_UID} (no ticket)",
    }[reason]
    if reason == "banned":
        LiveStreamBan.objects.create(live_stream=live, user=live.viewer.user)
    elif reason == "ended":
        LiveStream.objects.filter(pk=live.pk).update(
            status=LiveStreamStatus.ENDED, ended_at=timezone.now()
        )
    elif reason == "deleted":
        LiveStream.objects.filter(pk=live.pk).update(deleted_at=timezone.now())
    else:
        LiveStream.objects.filter(pk=live.pk).update(access_type="paid", price=Decimal("5"))

    response = deliver(channel_event(live, 105, uid=VIEWER_UID, seq=10))

    assert outcome_of(response) == expected
    assert open_stays(live.viewer) == 0
    assert AgoraEvent.objects.count() == 2


def test_a_ticket_holder_of_a_paid_stream_is_let_back_in_without_a_charge(live, clock):
    LiveStream.objects.filter(pk=live.pk).update(access_type="paid", price=Decimal("5"))
    live.refresh_from_db()
    viewer = give_credits(live.viewer.user, "5")
    credits.ticket_charge(viewer=viewer, creator=live.creator, live_stream=live, price=live.price)
    assert_success(deliver(channel_event(live, 106, uid=VIEWER_UID, seq=9)))
    clock.shift(timedelta(seconds=5))

    response = deliver(channel_event(live, 105, uid=VIEWER_UID, seq=10))

    assert outcome_of(response) == f"joined: re-opened a stay for uid {VIEWER_UID}"
    viewer.refresh_from_db()
    assert viewer.credit_balance == Decimal("0")


def test_a_join_never_starts_a_stream(user, clock):
    preparing = LiveStreamFactory(creator=user, preparing=True)
    host = ParticipantFactory(live_stream=preparing, user=user, role=ParticipantRole.HOST)
    ParticipationFactory(participant=host, joined_at=START, left_at=START)
    clock.shift(timedelta(seconds=5))

    response = deliver(channel_event(preparing, 103, uid=host.uid, seq=2))

    assert outcome_of(response).endswith("(the stream is preparing)")
    preparing.refresh_from_db()
    assert preparing.status == LiveStreamStatus.PREPARING


def test_an_unknown_uid_is_stored_and_changes_nothing(live):
    response = deliver(channel_event(live, 106, uid=12121212, seq=9))

    assert outcome_of(response) == "unknown uid 12121212: no effect"
    assert AgoraPresence.objects.count() == 0
    assert AgoraEvent.objects.get().live_stream == live
    assert open_stays(live.viewer) == open_stays(live.host) == 1


def test_a_presence_event_without_client_seq_changes_nothing(live):
    response = deliver(channel_event(live, 106, uid=VIEWER_UID, seq=None))

    assert outcome_of(response) == "no uid or clientSeq: no effect"
    assert AgoraPresence.objects.count() == 0
    assert open_stays(live.viewer) == 1


def test_a_uid_of_another_stream_is_unknown_here(live, user):
    other = LiveStreamFactory(active=True)
    stranger = ParticipantFactory(live_stream=other, uid=3003)
    ParticipationFactory(participant=stranger)

    assert outcome_of(deliver(channel_event(live, 106, uid=3003, seq=9))) == (
        "unknown uid 3003: no effect"
    )
    assert open_stays(stranger) == 1


# --- Channel destroyed -------------------------------------------------------------------------


def destroyed(live_stream) -> dict:
    return {
        "noticeId": f"2000001428:{next(_notices)}:102",
        "productId": 1,
        "eventType": 102,
        "notifyMs": int(timezone.now().timestamp() * 1000),
        "payload": {"channelName": live_stream.channel_name, "ts": now_ts(), "lastUid": HOST_UID},
    }


def test_channel_destroy_ends_the_stream_only_once_the_host_is_gone_past_the_grace(
    live, user_client, clock
):
    clock.shift(timedelta(minutes=5))
    assert_success(deliver(channel_event(live, 104, uid=HOST_UID, seq=3)))
    left_at = timezone.now()

    clock.shift(timedelta(minutes=10))
    early = deliver(destroyed(live))
    assert outcome_of(early) == "channel destroyed: the host left within the grace, no change"
    live.refresh_from_db()
    assert live.status == LiveStreamStatus.ACTIVE

    clock.move_to(left_at + timedelta(minutes=30))  # exactly the grace: not more than it
    assert outcome_of(deliver(destroyed(live))).endswith("within the grace, no change")

    clock.move_to(left_at + timedelta(minutes=30, seconds=1))
    late = deliver(destroyed(live))
    assert outcome_of(late) == "channel destroyed: ended the stream"
    shown = as_creator(user_client, live)
    assert shown["status"] == "ended"
    assert shown["endedAt"] == "2026-03-01T18:35:01.000Z"
    assert shown["viewerCount"] == 0
    assert open_stays(live.viewer) == 0

    again = deliver(destroyed(live))
    assert outcome_of(again) == "channel destroyed: the stream is ended, no change"


def test_channel_destroy_leaves_a_stream_whose_host_is_still_in(live, clock):
    clock.shift(timedelta(hours=2))

    response = deliver(destroyed(live))

    assert outcome_of(response) == "channel destroyed: the host is still in, no change"
    live.refresh_from_db()
    assert live.status == LiveStreamStatus.ACTIVE


def test_channel_destroy_leaves_a_stream_that_is_not_live(user, clock):
    scheduled = LiveStreamFactory(creator=user)

    response = deliver(destroyed(scheduled))

    assert outcome_of(response) == "channel destroyed: the stream is scheduled, no change"
    scheduled.refresh_from_db()
    assert scheduled.status == LiveStreamStatus.SCHEDULED


def test_channel_destroy_of_a_stream_whose_host_never_stayed_counts_from_its_start(user, clock):
    live_stream = LiveStreamFactory(
        creator=user, status=LiveStreamStatus.ACTIVE, planned_start_date=START, started_at=START
    )
    clock.shift(timedelta(minutes=31))

    assert outcome_of(deliver(destroyed(live_stream))) == "channel destroyed: ended the stream"
    live_stream.refresh_from_db()
    assert live_stream.status == LiveStreamStatus.ENDED


# --- Cloud Recording uploaded ------------------------------------------------------------------


@pytest.fixture
def ended(user, clock):
    return LiveStreamFactory(creator=user, ended=True)


def uploaded(live_stream, name: str = "recording_uploaded_31_composite", **details) -> dict:
    body = sample(name)
    body["noticeId"] = f"recording-{next(_notices)}"
    body["payload"]["cname"] = live_stream.channel_name
    body["payload"]["details"].update(details)
    return body


@pytest.mark.parametrize(
    ("name", "details", "file"),
    [
        ("recording_uploaded_31_composite", {}, "xxx.m3u8"),  # the playlist before the MP4
        ("recording_uploaded_31_individual", {}, "xxx.m3u8"),
        (
            "recording_uploaded_31_composite",
            {"fileList": [{"fileName": "sid_cname.mp4", "mixedAllUser": True}]},
            "sid_cname.mp4",
        ),
        (
            "recording_uploaded_31_composite",
            {
                "fileList": [
                    {"fileName": "a/one.m3u8", "mixedAllUser": False},
                    {"fileName": "a/all users.M3U8", "mixedAllUser": True},
                ]
            },
            "a/all%20users.M3U8",
        ),
    ],
)
def test_an_upload_attaches_the_recording_as_the_api_shows_it(
    ended, user_client, name, details, file
):
    response = deliver(uploaded(ended, name, **details))

    url = f"{RECORDINGS}/{file}"
    assert outcome_of(response) == f"recording attached: {url}"
    shown = as_creator(user_client, ended)
    assert shown["recording"] is True
    assert shown["recordingUrl"] == url
    assert AgoraEvent.objects.get().live_stream == ended


def test_without_the_base_url_the_upload_is_stored_and_not_attached(settings, ended):
    settings.AGORA_RECORDING_BASE_URL = ""

    response = deliver(uploaded(ended))

    assert outcome_of(response) == ("recording not attached: AGORA_RECORDING_BASE_URL is not set")
    ended.refresh_from_db()
    assert (ended.recording, ended.recording_url) == (False, "")


@pytest.mark.parametrize(
    ("details", "outcome"),
    [
        ({"status": 1}, "recording not attached: upload status 1"),
        ({"fileList": []}, "recording not attached: no playlist or MP4 in the file list"),
        (
            {"fileList": [{"fileName": "clip.ts"}, {"trackType": "audio"}]},
            "recording not attached: no playlist or MP4 in the file list",
        ),
        (
            {"fileList": [{"fileName": "x" * 600 + ".m3u8"}]},
            "not applied: Enter a valid http or https URL of at most 500 characters.",
        ),
        (
            {"fileList": [{"fileName": "../../other/x.m3u8"}]},
            "recording not attached: the file name has . or .. segments",
        ),
        (
            {"fileList": [{"fileName": "a/./x.mp4"}]},
            "recording not attached: the file name has . or .. segments",
        ),
    ],
)
def test_an_upload_without_a_usable_file_attaches_nothing(ended, details, outcome):
    response = deliver(uploaded(ended, **details))

    assert outcome_of(response) == outcome
    ended.refresh_from_db()
    assert (ended.recording, ended.recording_url) == (False, "")
    assert AgoraEvent.objects.count() == 1


def test_an_upload_for_a_deleted_stream_is_stored_and_not_attached(ended):
    LiveStream.objects.filter(pk=ended.pk).update(deleted_at=timezone.now())

    response = deliver(uploaded(ended))

    assert outcome_of(response) == "not applied: This live stream is deleted; restore it first."
    ended.refresh_from_db()
    assert ended.recording is False


def test_other_cloud_recording_events_are_stored(ended):
    body = uploaded(ended)
    body["eventType"] = 4  # the playlist was generated: `fileList` is a string there
    body["payload"]["details"] = {"msgName": "cloud_recording_file_infos", "fileList": "x.m3u8"}

    assert outcome_of(deliver(body)) == "stored"
    ended.refresh_from_db()
    assert ended.recording is False


# --- Malformed bodies --------------------------------------------------------------------------

NOT_JSON = "The request body is not valid JSON."


def valid_body() -> dict:
    return {
        "noticeId": "2000001428:4330:106",
        "productId": 1,
        "eventType": 106,
        "notifyMs": 1611566412672,
        "payload": {"channelName": "test_webhook", "uid": 1, "clientSeq": 1, "ts": 1560396943},
    }


def changed(path: str, value) -> dict:
    """`valid_body()` with the key at `path` ("payload.uid") set to `value` (or removed, for
    the DELETE marker)."""
    body = valid_body()
    *parents, key = path.split(".")
    target = body
    for parent in parents:
        target = target[parent]
    if value is DELETE:
        del target[key]
    else:
        target[key] = value
    return body


DELETE = object()


@pytest.mark.parametrize(
    ("raw", "errors"),
    [
        (b"", [NOT_JSON]),
        (b"{", [NOT_JSON]),
        (b'{"noticeId": NaN}', [NOT_JSON]),
        (b"\xff\xfe", [NOT_JSON]),
        (b"[]", ["Invalid data. Expected a dictionary, but got list."]),
        (b'"noticeId"', ["Invalid data. Expected a dictionary, but got str."]),
        (b"null", ["No data provided"]),
        (b"[" * 100 + b"]" * 100, ["The request body is nested too deeply."]),
        (
            b"{}",
            [
                "noticeId: This field is required.",
                "productId: This field is required.",
                "eventType: This field is required.",
                "payload: This field is required.",
            ],
        ),
    ],
)
def test_a_body_that_is_not_a_notice_is_400_and_stores_nothing(live, raw, errors):
    assert_error(deliver(raw), 400, errors)
    assert AgoraEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "value", "error"),
    [
        ("noticeId", DELETE, "noticeId: This field is required."),
        ("noticeId", 2000001428, "noticeId: Not a valid string."),
        ("noticeId", "", "noticeId: This field may not be blank."),
        ("noticeId", "x" * 129, "noticeId: Ensure this field has no more than 128 characters."),
        ("productId", "1", "productId: A valid integer is required."),
        ("productId", -1, "productId: Ensure this value is greater than or equal to 0."),
        ("eventType", 106.0, "eventType: A valid integer is required."),
        ("eventType", True, "eventType: A valid integer is required."),
        ("eventType", None, "eventType: This field may not be null."),
        ("eventType", 2**31, "eventType: Ensure this value is less than or equal to 2147483647."),
        ("notifyMs", "soon", "notifyMs: A valid integer is required."),
        ("notifyMs", 2**63, f"notifyMs: Ensure this value is less than or equal to {2**63 - 1}."),
        ("payload", [], 'payload: Expected a dictionary of items but got type "list".'),
        ("payload", None, "payload: This field may not be null."),
        ("payload.channelName", 7, "payload.channelName: Not a valid string."),
        ("payload.uid", "12121212", "payload.uid: A valid integer is required."),
        (
            "payload.uid",
            2**32,
            "payload.uid: Ensure this value is less than or equal to 4294967295.",
        ),
        (
            "payload.clientSeq",
            -1,
            "payload.clientSeq: Ensure this value is greater than or equal to 0.",
        ),
        ("payload.clientSeq", 1.5, "payload.clientSeq: A valid integer is required."),
        (
            "payload.ts",
            10**20,
            "payload.ts: Ensure this value is less than or equal to 253402300799.",
        ),
    ],
)
def test_a_field_of_the_wrong_type_or_range_is_400_and_stores_nothing(live, path, value, error):
    assert_error(deliver(changed(path, value)), 400, [error])
    assert AgoraEvent.objects.count() == 0
    assert AgoraPresence.objects.count() == 0


@pytest.mark.parametrize(
    ("details", "error"),
    [
        ("uploaded", 'payload.details: Expected a dictionary of items but got type "str".'),
        ({"status": "0"}, "payload.details.status: A valid integer is required."),
        (
            {"fileList": "xxx.m3u8"},
            'payload.details.fileList: Expected a list of items but got type "str".',
        ),
        ({"fileList": [{"fileName": 5}]}, "payload.details.fileList.fileName: Not a valid string."),
        (
            {"fileList": ["xxx.m3u8"]},
            'payload.details.fileList.0: Expected a dictionary of items but got type "str".',
        ),
    ],
)
def test_a_malformed_upload_notice_is_400_and_attaches_nothing(ended, details, error):
    body = uploaded(ended)
    body["payload"]["details"] = details

    assert_error(deliver(body), 400, [error])
    assert AgoraEvent.objects.count() == 0
    ended.refresh_from_db()
    assert ended.recording is False


def test_several_problems_are_one_message_each(live):
    body = changed("productId", "1")
    body["payload"]["uid"] = "x"

    assert_error(deliver(body), 400, ["productId: A valid integer is required."])
    body = changed("payload.uid", "x")
    body["payload"]["clientSeq"] = "y"
    assert_error(
        deliver(body),
        400,
        [
            "payload.uid: A valid integer is required.",
            "payload.clientSeq: A valid integer is required.",
        ],
    )
    assert AgoraEvent.objects.count() == 0


def test_what_no_database_stores_is_made_harmless_not_a_500(live):
    body = channel_event(live, 101, uid=VIEWER_UID, seq=None)
    body["noticeId"] = "2000001428:\x00:101"
    body["payload"]["note"] = "bad \x00 \ud800 text"
    body["payload"]["channelName"] = "ç" * 80

    data = assert_success(deliver(json.dumps(body).encode()))

    event = AgoraEvent.objects.get()
    assert data["noticeId"] == event.notice_id == "2000001428::101"
    assert event.payload["payload"]["note"] == "bad  \ufffd text"
    assert event.channel_name == "ç" * 64
    assert event.live_stream is None


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_methods_are_405(method):
    assert_error(getattr(APIClient(), method)(URL), 405)


# --- Admin -------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


def test_staff_see_the_events_filter_and_search_them_and_change_nothing(admin_client, live):
    assert_success(deliver(channel_event(live, 106, uid=VIEWER_UID, seq=9)))
    assert_success(deliver(sample("channel_create_101")))
    event = AgoraEvent.objects.get(event_type=106)
    changelist = "/admin/livestreams/agoraevent/"

    listed = admin_client.get(changelist)
    assert listed.status_code == 200
    assert len(listed.context["cl"].result_list) == 2
    filtered = admin_client.get(changelist, {"event_type": 106})
    assert [row.pk for row in filtered.context["cl"].result_list] == [event.pk]
    by_notice = admin_client.get(changelist, {"q": event.notice_id})
    assert [row.pk for row in by_notice.context["cl"].result_list] == [event.pk]
    by_channel = admin_client.get(changelist, {"q": "test_web"})
    assert [row.notice_id for row in by_channel.context["cl"].result_list] == [
        "2000001428:4330:101"
    ]
    page = admin_client.get(f"{changelist}{event.pk}/change/")
    assert page.status_code == 200
    assert f"left: closed the stay of uid {VIEWER_UID}" in page.content.decode()
    assert admin_client.get(f"{changelist}add/").status_code == 403
    assert admin_client.post(f"{changelist}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AgoraEvent.objects.count() == 2


def test_staff_see_the_presence_of_each_uid(admin_client, live):
    assert_success(deliver(channel_event(live, 106, uid=VIEWER_UID, seq=9)))
    presence = AgoraPresence.objects.get()
    changelist = "/admin/livestreams/agorapresence/"

    listed = admin_client.get(changelist, {"q": str(VIEWER_UID)})
    assert [row.pk for row in listed.context["cl"].result_list] == [presence.pk]
    assert admin_client.get(f"{changelist}{presence.pk}/change/").status_code == 200
    assert admin_client.get(f"{changelist}add/").status_code == 403


def test_someone_who_is_not_staff_cannot_reach_the_admin_pages():
    client = Client()
    client.force_login(UserFactory())

    response = client.get("/admin/livestreams/agoraevent/")

    assert response.status_code == 302


# --- Schema ------------------------------------------------------------------------------------


@pytest.fixture
def schema():
    response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_webhook_is_documented_as_it_answers(schema):
    operation = schema["paths"]["/api/v1/webhooks/agora"]["post"]

    assert operation["security"] == []
    assert set(operation["responses"]) == {"200", "400", "401", "413", "429"}
    data = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert data["properties"]["data"] == {"$ref": "#/components/schemas/AgoraEventResult"}
    assert set(schema["components"]["schemas"]["AgoraEventResult"]["properties"]) == {
        "noticeId",
        "outcome",
        "duplicate",
    }
    (signature,) = [p for p in operation["parameters"] if p["name"] == "Agora-Signature-V2"]
    assert (signature["in"], signature["required"]) == ("header", True)
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["noticeId", "productId", "eventType", "payload"]
