"""Replays (contract section 5): attaching a recording, POST /{id}/replay-rentals,
GET /{id}/replay-status, `replayAccess` and `recordingUrl` on every LiveStream."""

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from config.api.errors import Conflict, InvalidInput
from livestreams import services
from livestreams.models import LiveStream, LiveStreamStatus, ReplayRental
from tests.factories import UserFactory
from tests.helpers import assert_error, assert_success
from tests.livestreams.factories import LiveStreamFactory, LiveStreamGuestFactory
from tests.livestreams.helpers import (
    REPLAY_ACCESS_KEYS,
    assert_live_stream_shape,
    balance_of,
    give_credits,
    ledger_of,
    money_snapshot,
)
from users.credits.selectors import ledger_audit

pytestmark = pytest.mark.django_db

D = Decimal
NOW = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
RECORDING = "https://cdn.example.com/recordings/replay.m3u8"
LIST = "/api/v1/live-stream"
OWN = "This is your own live stream; its replay is yours to watch."
NOT_AVAILABLE = (
    "This replay is not available to rent: the live stream must have ended, with a "
    "recording, the replay turned on and a replay price."
)
ALREADY = "You already rent this replay; rent it again once it expires."


@pytest.fixture(autouse=True)
def _frozen(settings):
    settings.CREATOR_SHARE_PERCENT = 80
    settings.REPLAY_RENTAL_HOURS = 48
    with time_machine.travel(NOW, tick=False):
        yield


def rentals_url(stream) -> str:
    return f"/api/v1/live-stream/{stream.pk}/replay-rentals"


def status_url(stream) -> str:
    return f"/api/v1/live-stream/{stream.pk}/replay-status"


def detail_url(stream) -> str:
    return f"/api/v1/live-stream/{stream.pk}"


def replay(price="4.50", **kwargs) -> LiveStream:
    """An ended stream with a recording URL attached and its replay on sale."""
    stream = LiveStreamFactory(
        status=LiveStreamStatus.ENDED,
        ended_at=NOW - timedelta(hours=1),
        is_active_replay_on_creator_profile=True,
        replay_credit_price=D(price) if price else None,
        **kwargs,
    )
    return services.live_stream_recording_attach(live_stream=stream, url=RECORDING)


def renter(amount="10.00"):
    return give_credits(UserFactory(), amount)


def access(**changes) -> dict:
    base = {
        "status": "available", "canRent": True, "canViewRecording": False, "price": 4.5,
        "rentedAt": None, "expiresAt": None, "remainingSeconds": None,
    }  # fmt: skip
    return {**base, **changes}


RENTED = access(
    status="rented",
    canRent=False,
    canViewRecording=True,
    rentedAt="2027-01-01T12:00:00.000Z",
    expiresAt="2027-01-03T12:00:00.000Z",
    remainingSeconds=48 * 3600,
)


# --- Renting ---------------------------------------------------------------------------------


def test_a_rental_charges_the_price_and_grants_access_for_the_rental_hours(client_for):
    stream, viewer = replay(), renter()

    data = assert_success(client_for(viewer).post(rentals_url(stream)), 201)

    assert list(data) == REPLAY_ACCESS_KEYS
    assert data == RENTED
    assert ledger_of(viewer) == [("replay_rental", "debit", D("4.50"), D("5.50"), "completed")]
    # 80 % of 4.50.
    assert ledger_of(stream.creator) == [
        ("replay_income", "credit", D("3.60"), D("3.60"), "completed")
    ]
    rental = ReplayRental.objects.get()
    assert (rental.user, rental.live_stream, rental.transaction.type) == (
        viewer, stream, "replay_rental",
    )  # fmt: skip
    assert ledger_audit() == []


def test_the_rental_shows_on_the_stream_with_the_recording(client_for):
    stream, viewer = replay(), renter()
    client = client_for(viewer)
    before = assert_success(client.get(detail_url(stream)))
    assert (before["replayAccess"], before["recordingUrl"]) == (access(), None)

    assert_success(client.post(rentals_url(stream)), 201)

    after = assert_success(client.get(detail_url(stream)))
    assert_live_stream_shape(after)
    assert after["replayAccess"] == RENTED
    assert after["recordingUrl"] == RECORDING
    assert assert_success(client.get(status_url(stream))) == RENTED
    listed = next(item for item in assert_success(client.get(LIST)) if item["id"] == stream.pk)
    assert listed["replayAccess"] == RENTED
    # Someone else's view is their own.
    other = assert_success(client_for(UserFactory()).get(detail_url(stream)))
    assert (other["replayAccess"], other["recordingUrl"]) == (access(), None)


def test_a_rental_runs_out_and_may_be_rented_again(client_for):
    stream, viewer = replay(), renter()
    client = client_for(viewer)
    assert_success(client.post(rentals_url(stream)), 201)

    with time_machine.travel(NOW + timedelta(hours=47, minutes=59, seconds=59), tick=False):
        client = client_for(viewer)  # a fresh token: the first one expired long ago
        assert assert_success(client.get(status_url(stream)))["remainingSeconds"] == 1
    with time_machine.travel(NOW + timedelta(hours=48), tick=False):
        client = client_for(viewer)
        expired = assert_success(client.get(status_url(stream)))
        detail = assert_success(client.get(detail_url(stream)))
        again = assert_success(client.post(rentals_url(stream)), 201)

    assert expired == access(
        status="expired",
        rentedAt="2027-01-01T12:00:00.000Z",
        expiresAt="2027-01-03T12:00:00.000Z",
        remainingSeconds=0,
    )
    assert detail["recordingUrl"] is None
    assert again == {
        **RENTED, "rentedAt": "2027-01-03T12:00:00.000Z", "expiresAt": "2027-01-05T12:00:00.000Z",
    }  # fmt: skip
    assert balance_of(viewer) == D("1.00")
    assert ReplayRental.objects.count() == 2


def test_the_rental_hours_come_from_the_setting(client_for, settings):
    settings.REPLAY_RENTAL_HOURS = 1
    stream = replay()

    data = assert_success(client_for(renter()).post(rentals_url(stream)), 201)

    assert (data["expiresAt"], data["remainingSeconds"]) == ("2027-01-01T13:00:00.000Z", 3600)


def test_a_rental_keeps_its_term_when_the_replay_is_turned_off(client_for):
    # It was paid for: the renter keeps watching until it runs out, then cannot rent again.
    stream, viewer = replay(), renter()
    client = client_for(viewer)
    assert_success(client.post(rentals_url(stream)), 201)
    assert_success(
        client_for(stream.creator).patch(
            f"/api/v1/live-stream/{stream.pk}/replay-settings",
            {"isActiveReplayOnCreatorProfile": False},
            format="json",
        )
    )

    assert assert_success(client.get(status_url(stream)))["status"] == "rented"
    with time_machine.travel(NOW + timedelta(hours=48), tick=False):
        client = client_for(viewer)
        assert assert_success(client.get(status_url(stream))) == access(
            status="unavailable", canRent=False
        )


def test_the_guest_of_a_duo_stream_rents_like_anyone(client_for):
    # Only the creator owns the replay (contract section 1: `owner` is the creator).
    stream = replay(live_stream_type="duoself")
    guest = give_credits(UserFactory(), "4.50")
    LiveStreamGuestFactory(live_stream=stream, user=guest)
    client = client_for(guest)

    assert assert_success(client.get(status_url(stream)))["status"] == "available"
    assert assert_success(client.post(rentals_url(stream)), 201)["status"] == "rented"
    assert balance_of(guest) == D("0.00")


def test_the_staff_rent_like_anyone(staff_client, staff_user):
    give_credits(staff_user, "4.50")
    stream = replay()

    assert assert_success(staff_client.post(rentals_url(stream)), 201)["status"] == "rented"
    assert balance_of(staff_user) == D("0.00")


# --- Refusals ----------------------------------------------------------------------------------


def test_the_creator_owns_the_replay_and_cannot_rent_it(client_for):
    stream = replay()
    give_credits(stream.creator, "10")
    client = client_for(stream.creator)
    before = money_snapshot()

    assert_error(client.post(rentals_url(stream)), 409, [OWN])

    assert money_snapshot() == before
    owner = access(status="owner", canRent=False, canViewRecording=True)
    assert assert_success(client.get(status_url(stream))) == owner
    assert assert_success(client.get(detail_url(stream)))["recordingUrl"] == RECORDING


@pytest.mark.parametrize(
    "change",
    [
        {"status": LiveStreamStatus.ACTIVE},
        {"status": LiveStreamStatus.EXPIRED},
        {"recording": False, "recording_url": ""},
        {"is_active_replay_on_creator_profile": None},
        {"is_active_replay_on_creator_profile": False},
        {"replay_credit_price": None},
    ],
)
def test_a_replay_that_is_not_available_is_a_409(client_for, change):
    stream, viewer = replay(), renter()
    LiveStream.objects.filter(pk=stream.pk).update(**change)
    client = client_for(viewer)
    before = money_snapshot()

    assert_error(client.post(rentals_url(stream)), 409, [NOT_AVAILABLE])

    assert money_snapshot() == before
    assert not ReplayRental.objects.exists()
    price = 4.5 if "replay_credit_price" not in change else None
    assert assert_success(client.get(status_url(stream))) == access(
        status="unavailable", canRent=False, price=price
    )


def test_a_caller_whose_rental_has_not_expired_gets_a_409(client_for):
    stream, viewer = replay(), renter()
    client = client_for(viewer)
    assert_success(client.post(rentals_url(stream)), 201)
    before = money_snapshot()

    with time_machine.travel(NOW + timedelta(hours=47), tick=False):
        assert_error(client_for(viewer).post(rentals_url(stream)), 409, [ALREADY])

    assert money_snapshot() == before


def test_a_short_balance_is_a_402_and_charges_nothing(client_for):
    stream, viewer = replay(), renter("4.49")
    before = money_snapshot()

    assert_error(
        client_for(viewer).post(rentals_url(stream)),
        402,
        ["Insufficient credits: this costs 4.50 credits and your balance is 4.49."],
    )

    assert money_snapshot() == before
    assert not ReplayRental.objects.exists()


def test_anonymous_callers_are_401(api_client):
    stream = replay()

    assert_error(api_client.post(rentals_url(stream)), 401)
    assert_error(api_client.get(status_url(stream)), 401)
    assert not ReplayRental.objects.exists()


@pytest.mark.parametrize("stream_id", ["0" * 24, "nope"])
def test_unknown_streams_are_404(user_client, stream_id):
    assert_error(user_client.post(f"/api/v1/live-stream/{stream_id}/replay-rentals"), 404)
    assert_error(user_client.get(f"/api/v1/live-stream/{stream_id}/replay-status"), 404)


def test_a_deleted_stream_is_a_404(client_for):
    stream, viewer = replay(), renter()
    LiveStream.objects.filter(pk=stream.pk).update(deleted_at=NOW)

    assert_error(client_for(viewer).post(rentals_url(stream)), 404)
    assert_error(client_for(viewer).get(status_url(stream)), 404)
    assert balance_of(viewer) == D("10.00")


def test_a_repeat_with_the_same_key_is_the_first_answer_and_one_charge(client_for):
    stream, viewer = replay(), renter()
    client = client_for(viewer)

    first = client.post(rentals_url(stream), HTTP_IDEMPOTENCY_KEY="r-1")
    again = client.post(rentals_url(stream), HTTP_IDEMPOTENCY_KEY="r-1")

    assert assert_success(again, 201) == assert_success(first, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert balance_of(viewer) == D("5.50")
    assert ReplayRental.objects.count() == 1


# --- Query counts ------------------------------------------------------------------------------

# Session user, count, page, guest prefetch, broadcaster prefetch: the caller's rentals are
# subqueries of the page's SELECT, so they cost nothing more.
LIST_QUERIES = 5


@pytest.mark.parametrize("streams", [1, 6])
def test_the_list_shows_each_rental_in_a_fixed_number_of_queries(
    client_for, django_assert_num_queries, streams
):
    viewer = renter("100")
    for _ in range(streams):
        stream = replay()
        assert_success(client_for(viewer).post(rentals_url(stream)), 201)
        assert_success(client_for(renter()).post(rentals_url(stream)), 201)

    client = client_for(viewer)
    with django_assert_num_queries(LIST_QUERIES):
        data = assert_success(client.get(LIST, {"limit": 100}))

    assert [item["replayAccess"]["status"] for item in data] == ["rented"] * streams
    assert {item["recordingUrl"] for item in data} == {RECORDING}


# --- Attaching a recording ---------------------------------------------------------------------


def test_attaching_a_url_sets_recording(client_for):
    stream = LiveStreamFactory(status=LiveStreamStatus.ENDED)

    services.live_stream_recording_attach(live_stream=stream, url=f"  {RECORDING} ")

    stream.refresh_from_db()
    assert (stream.recording, stream.recording_url, stream.recording_file.name) == (
        True, RECORDING, "",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "Give the recording as a URL or as a file, not both."),
        (
            {"url": RECORDING, "file": ContentFile(b"x", name="a.mp4")},
            "Give the recording as a URL or as a file, not both.",
        ),
        (
            {"url": "ftp://example.com/a.mp4"},
            "url: Enter a valid http or https URL of at most 500 characters.",
        ),
        (
            {"url": "https://example.com/" + "a" * 500},
            "url: Enter a valid http or https URL of at most 500 characters.",
        ),
    ],
)
def test_a_bad_recording_is_refused_and_changes_nothing(kwargs, message):
    stream = LiveStreamFactory(status=LiveStreamStatus.ENDED)

    with pytest.raises(InvalidInput) as refused:
        services.live_stream_recording_attach(live_stream=stream, **kwargs)

    assert refused.value.messages == [message]
    stream.refresh_from_db()
    assert (stream.recording, stream.recording_url) == (False, "")


def test_a_stored_file_replaces_the_url_and_is_served_from_storage(
    client_for, django_capture_on_commit_callbacks
):
    stream = replay()
    viewer = renter()
    assert_success(client_for(viewer).post(rentals_url(stream)), 201)

    with django_capture_on_commit_callbacks(execute=True):
        services.live_stream_recording_attach(
            live_stream=stream, file=ContentFile(b"first", name="../../first.mp4")
        )
    stream.refresh_from_db()
    first = stream.recording_file.name
    assert first == f"live-streams/{stream.pk}/recording/first.mp4"
    assert stream.recording_url == ""
    url = assert_success(client_for(viewer).get(detail_url(stream)))["recordingUrl"]
    assert url == f"http://testserver/media/{first}"

    with django_capture_on_commit_callbacks(execute=True):
        services.live_stream_recording_attach(
            live_stream=stream, file=ContentFile(b"second", name="second.mp4")
        )
    stream.refresh_from_db()
    assert not stream.recording_file.storage.exists(first)
    assert stream.recording_file.read() == b"second"


def test_a_deleted_stream_takes_no_recording():
    stream = LiveStreamFactory(status=LiveStreamStatus.ENDED, deleted_at=NOW)

    with pytest.raises(Conflict) as refused:
        services.live_stream_recording_attach(live_stream=stream, url=RECORDING)

    assert refused.value.messages == ["This live stream is deleted; restore it first."]


def test_the_command_attaches_a_url():
    stream = LiveStreamFactory(status=LiveStreamStatus.ENDED, title="Konser")
    out = io.StringIO()

    call_command(
        "live_stream_recording", "--live-stream", stream.pk, "--url", RECORDING, stdout=out
    )

    assert out.getvalue().strip() == f"Recording attached to Konser ({stream.pk}): {RECORDING}"
    stream.refresh_from_db()
    assert (stream.recording, stream.recording_url) == (True, RECORDING)


@pytest.mark.parametrize(
    ("stream_id", "url", "message"),
    [
        ("0" * 24, RECORDING, "No live stream with the id 000000000000000000000000."),
        ("nope", RECORDING, "No live stream with the id nope."),
        (None, "not a url", "url: Enter a valid http or https URL of at most 500 characters."),
    ],
)
def test_the_command_refuses_what_the_service_refuses(stream_id, url, message):
    stream = LiveStreamFactory(status=LiveStreamStatus.ENDED)

    with pytest.raises(CommandError) as refused:
        call_command("live_stream_recording", "--live-stream", stream_id or stream.pk, "--url", url)

    assert str(refused.value) == message
    stream.refresh_from_db()
    assert stream.recording is False


# --- On S3: pre-signed recording URLs ------------------------------------------------------------


BUCKET = "yayin-test-recordings"


@pytest.fixture
def s3(settings, monkeypatch):
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    credentials = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}
    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="testing",
        aws_secret_access_key="testing", region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)  # fmt: skip
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                # As for public photos: the recording must be signed all the same.
                "querystring_auth": False,
                "file_overwrite": False,
                "default_acl": None,
                **credentials,
            },
        },
    }
    yield endpoint
    server.stop()


def signed_for(url: str) -> int:
    """For how many seconds from now a pre-signed URL is valid (SigV4 or SigV2)."""
    query = parse_qs(urlsplit(url).query)
    if "X-Amz-Signature" in query:
        return int(query["X-Amz-Expires"][0])
    assert "Signature" in query
    return int(query["Expires"][0]) - int(timezone.now().timestamp())


def test_on_s3_a_renter_gets_a_url_signed_for_at_most_an_hour(client_for, s3):
    import urllib.request

    stream, viewer = replay(), renter()
    services.live_stream_recording_attach(
        live_stream=stream, file=ContentFile(b"the replay", name="replay.mp4")
    )
    client = client_for(viewer)
    assert assert_success(client.get(detail_url(stream)))["recordingUrl"] is None
    assert_success(client.post(rentals_url(stream)), 201)

    url = assert_success(client.get(detail_url(stream)))["recordingUrl"]

    assert url.startswith(f"{s3}/{BUCKET}/live-streams/{stream.pk}/recording/replay")
    assert signed_for(url) == 3600
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"the replay"
    unsigned = url.split("?")[0]
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(unsigned)


def test_on_s3_the_url_expires_no_later_than_the_rental(client_for, s3):
    stream, viewer = replay(), renter()
    services.live_stream_recording_attach(
        live_stream=stream, file=ContentFile(b"x", name="replay.mp4")
    )
    client = client_for(viewer)
    assert_success(client.post(rentals_url(stream)), 201)

    with time_machine.travel(NOW + timedelta(hours=47, minutes=50), tick=False):
        url = assert_success(client_for(viewer).get(detail_url(stream)))["recordingUrl"]
        expires_in = signed_for(url)
    owner_url = assert_success(client_for(stream.creator).get(detail_url(stream)))["recordingUrl"]

    assert expires_in == 600
    assert signed_for(owner_url) == 3600
