"""POST /api/v1/live-stream/create (contract section 4, "Create fields")."""

import io
import json
import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from config.api.fields import StrictCharField
from livestreams import services
from livestreams.api.serializers import LiveStreamCreateSerializer, LiveStreamJoinSerializer
from livestreams.models import LiveStream, LiveStreamGuest
from tests.factories import UserFactory, image_bytes, image_upload
from tests.helpers import assert_error, assert_success
from tests.livestreams.helpers import assert_live_stream_shape, assert_user_summary

pytestmark = pytest.mark.django_db

URL = "/api/v1/live-stream/create"
NOW = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
DATETIME_FORMAT_MESSAGE = (
    "plannedStartDate: Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)
GUESTS_NOT_A_LIST_MESSAGE = (
    'guests: Send a JSON array of user ids, such as ["64d15f9e2e6c8f4d5a654321"].'
)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def contract_form(guest, **overrides) -> dict:
    """The contract's curl, field for field."""
    form = {
        "title": "Yeni ürün tanıtımı",
        "guests": f'[ "{guest.pk}" ]',
        "thumbnail": image_upload("photo.jpg", size=(640, 480)),
        "price": "9.99",
        "liveStreamType": "duoself",
        "interest": "music",
        "durationGoal": "60",
        "motivation": "Bu yayında müzik hakkında konuşacağım.",
        "plannedStartDate": "2027-01-15T18:00:00.000Z",
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def assert_nothing_created(settings):
    assert LiveStream.objects.count() == 0
    assert LiveStreamGuest.objects.count() == 0
    assert media_files(settings) == []


# --- The contract's request ------------------------------------------------------------------


def test_the_contract_curl_with_an_image_creates_a_paid_scheduled_duo_stream(
    user_client, user, guest, settings
):
    data = assert_success(user_client.post(URL, contract_form(guest), format="multipart"), 201)

    assert_live_stream_shape(data)
    stream = LiveStream.objects.get()
    assert data["id"] == stream.pk
    assert data["title"] == "Yeni ürün tanıtımı"
    assert data["liveStreamType"] == "duoself"
    assert data["channelName"].startswith("yeni-urun-tanitimi-")
    assert len(data["channelName"]) == len("yeni-urun-tanitimi-") + 4
    assert data["broadcasters"] == []
    assert len(data["guests"]) == 1
    assert_user_summary(data["guests"][0], guest)
    assert_user_summary(data["creator"], user)
    assert data["thumbnailUrl"] == f"http://testserver/media/{stream.thumbnail.name}"
    assert data["thumbnailUrl"].endswith(".webp")
    assert data["recording"] is False
    assert data["recordingUrl"] is None
    assert data["replayAccess"] == {
        "status": "owner",
        "canRent": False,
        "canViewRecording": True,
        "price": None,
        "rentedAt": None,
        "expiresAt": None,
        "remainingSeconds": None,
    }
    assert data["status"] == "scheduled"
    assert data["accessType"] == "paid"
    assert data["price"] == 9.99
    assert data["interest"] == "music"
    assert data["durationGoal"] == 60
    assert data["motivation"] == "Bu yayında müzik hakkında konuşacağım."
    assert data["isActiveReplayOnCreatorProfile"] is None
    assert data["replayCreditPrice"] is None
    assert data["startedAt"] is None
    assert data["plannedStartDate"] == "2027-01-15T18:00:00.000Z"
    assert data["endedAt"] is None
    assert data["plannedEndDate"] == "2027-01-15T19:00:00.000Z"
    assert data["createdAt"] == "2027-01-01T12:00:00.000Z"
    assert data["role"] == "host"
    assert data["viewerCount"] == 0

    assert stream.creator == user
    assert stream.price == Decimal("9.99")
    assert list(stream.guests.all()) == [guest]
    with Image.open(stream.thumbnail.path) as stored:
        assert stored.format == "WEBP"
        assert stored.size == (640, 480)


def test_the_contract_curl_without_an_image_uses_the_default_thumbnail(user_client, guest):
    form = contract_form(guest, thumbnail=None)

    data = assert_success(user_client.post(URL, form, format="multipart"), 201)

    assert_live_stream_shape(data)
    assert data["thumbnailUrl"] == "http://testserver/static/livestreams/default-thumbnail.webp"
    assert LiveStream.objects.get().thumbnail.name == ""


def test_the_default_thumbnail_is_a_real_webp_the_app_serves(user_client, guest):
    data = assert_success(
        user_client.post(URL, contract_form(guest, thumbnail=None), format="multipart"), 201
    )

    response = user_client.get(data["thumbnailUrl"].removeprefix("http://testserver"))

    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "WEBP"


def test_the_placeholder_curl_is_a_400_that_creates_nothing(user_client, settings):
    form = {
        "title": "string",
        "guests": '[ "sample" ]',
        "thumbnail": "string",
        "price": "9.99",
        "liveStreamType": "duoself",
        "interest": "music",
        "durationGoal": "60",
        "motivation": "string",
        "plannedStartDate": "2027-01-15T18:00:00.000Z",
    }

    errors = assert_error(user_client.post(URL, form, format="multipart"), 400)

    assert errors == [
        'guests: "sample" is not a valid user id (24 hexadecimal characters).',
        "thumbnail: Send the image as a file in a multipart/form-data request.",
    ]
    assert_nothing_created(settings)


def test_the_same_keys_as_json_create_the_same_stream(user_client, guest):
    payload = {
        "title": "Yeni ürün tanıtımı",
        "guests": [guest.pk],
        "price": 9.99,
        "liveStreamType": "duocrowd",
        "interest": "music",
        "durationGoal": 90,
        "motivation": "Merhaba",
        "plannedStartDate": "2027-01-15T21:00:00+03:00",
    }

    data = assert_success(user_client.post(URL, payload, format="json"), 201)

    assert_live_stream_shape(data)
    assert data["liveStreamType"] == "duocrowd"
    assert data["price"] == 9.99
    assert data["accessType"] == "paid"
    assert data["plannedStartDate"] == "2027-01-15T18:00:00.000Z"
    assert data["plannedEndDate"] == "2027-01-15T19:30:00.000Z"
    assert [item["_id"] for item in data["guests"]] == [guest.pk]


def test_guests_may_come_as_a_repeated_field(user_client, guest):
    form = contract_form(guest, thumbnail=None, guests=None)
    form["guests"] = [guest.pk]

    data = assert_success(user_client.post(URL, form, format="multipart"), 201)

    assert [item["_id"] for item in data["guests"]] == [guest.pk]


DECOMPOSED_E = "e\u0301"  # `é` as `e` plus a combining acute accent


@pytest.mark.parametrize("form", ["json", "multipart"])
def test_a_title_is_measured_and_stored_in_nfc(user_client, form):
    title = DECOMPOSED_E * 100  # 200 code points, 100 characters

    data = assert_success(user_client.post(URL, {"title": title}, format=form), 201)

    assert data["title"] == "\u00e9" * 100
    stored = LiveStream.objects.get()
    assert stored.title == "\u00e9" * 100
    assert stored.channel_name.startswith("eeee")


def test_a_title_longer_than_120_in_nfc_is_still_refused(user_client, settings):
    errors = assert_error(user_client.post(URL, {"title": DECOMPOSED_E * 121}, format="json"), 400)

    assert errors == ["title: Ensure this field has no more than 120 characters."]
    assert_nothing_created(settings)


def test_the_service_stores_titles_in_nfc(user):
    stream = services.live_stream_create(creator=user, title="Caf" + DECOMPOSED_E)

    stream.refresh_from_db()
    assert stream.title == "Caf\u00e9"


def test_only_a_title_makes_a_free_solo_stream_starting_now(user_client):
    data = assert_success(user_client.post(URL, {"title": "Hızlı yayın"}, format="json"), 201)

    assert_live_stream_shape(data)
    assert data["liveStreamType"] == "solo"
    assert data["status"] == "preparing"
    assert data["accessType"] == "free"
    assert data["price"] is None
    assert data["interest"] is None
    assert data["motivation"] is None
    assert data["durationGoal"] == 60
    assert data["plannedStartDate"] == "2027-01-01T12:00:00.000Z"
    assert data["plannedEndDate"] == "2027-01-01T13:00:00.000Z"
    assert data["guests"] == []
    assert data["channelName"].startswith("hizli-yayin-")


@pytest.mark.parametrize("price", ["", "0", "0.00"])
def test_an_empty_or_zero_price_makes_a_free_stream(user_client, price):
    form = {"title": "Bedava", "price": price}

    data = assert_success(user_client.post(URL, form, format="multipart"), 201)

    assert data["accessType"] == "free"
    assert data["price"] is None
    assert LiveStream.objects.get().price is None


def test_a_null_price_in_json_makes_a_free_stream(user_client):
    data = assert_success(
        user_client.post(URL, {"title": "Bedava", "price": None}, format="json"), 201
    )

    assert data["accessType"] == "free"


def test_a_start_less_than_5_minutes_ago_is_accepted_and_preparing(user_client):
    start = (NOW - timedelta(minutes=4)).isoformat()

    data = assert_success(
        user_client.post(URL, {"title": "Geç", "plannedStartDate": start}, format="json"), 201
    )

    assert data["status"] == "preparing"
    assert data["plannedStartDate"] == "2027-01-01T11:56:00.000Z"


def test_a_naive_start_is_utc(user_client):
    payload = {"title": "Naif", "plannedStartDate": "2027-01-02T10:00:00"}

    data = assert_success(user_client.post(URL, payload, format="json"), 201)

    assert data["plannedStartDate"] == "2027-01-02T10:00:00.000Z"
    assert data["status"] == "scheduled"


def test_unknown_fields_and_server_owned_fields_are_ignored(user_client, user, other_user):
    payload = {
        "title": "Sahte",
        "status": "active",
        "creator": other_user.pk,
        "channelName": "hijack",
        "accessType": "paid",
        "viewerCount": 99,
        "whatever": 1,
    }

    data = assert_success(user_client.post(URL, payload, format="json"), 201)

    assert data["status"] == "preparing"
    assert data["creator"]["_id"] == user.pk
    assert data["channelName"] != "hijack"
    assert data["accessType"] == "free"
    assert data["viewerCount"] == 0


# --- Channel names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "base"),
    [
        ("Yeni ürün tanıtımı", "yeni-urun-tanitimi"),
        ("IŞIK ĞÜÖÇ İstanbul", "isik-guoc-istanbul"),
        ("Çağrı'nın   şarkıları!!", "cagri-nin-sarkilari"),
        ("Café déjà vu", "cafe-deja-vu"),
        ("Straße", "strasse"),
        ("GROẞE Bühne", "grosse-buhne"),
        ("Æble Øl Œuvre", "aeble-ol-oeuvre"),
        ("Đorđe Łódź Þór", "dorde-lodz-thor"),
        ("🎉🎉", "live"),
        ("---", "live"),
        ("a" * 120, "a" * 58),
        ("ab " * 40, ("ab-" * 20)[:58].rstrip("-")),
    ],
)
def test_channel_names_are_transliterated_slugs(title, base):
    assert services.channel_name_base(title) == base


def test_channel_names_fit_agora_and_end_in_four_random_characters():
    name = services.channel_name_for("ş" * 200)

    assert len(name.encode()) < 64
    assert name[:-5] == "s" * 58
    assert name[-5] == "-"
    assert all(character in "abcdefghijklmnopqrstuvwxyz0123456789" for character in name[-4:])


def test_a_clashing_channel_name_is_drawn_again(user_client, monkeypatch):
    assert_success(user_client.post(URL, {"title": "Aynı"}, format="json"), 201)
    taken = LiveStream.objects.get().channel_name
    names = iter([taken, taken, "ayni-zzzz"])
    monkeypatch.setattr(services.create, "channel_name_for", lambda title: next(names))

    data = assert_success(user_client.post(URL, {"title": "Aynı"}, format="json"), 201)

    assert data["channelName"] == "ayni-zzzz"
    assert LiveStream.objects.count() == 2


# --- Refusals --------------------------------------------------------------------------------


def test_anonymous_callers_get_401_and_nothing_is_created(api_client, guest, settings):
    errors = assert_error(api_client.post(URL, contract_form(guest), format="multipart"), 401)

    assert errors == ["Authentication required"]
    assert_nothing_created(settings)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": None}, "title: This field is required."),
        ({"title": ""}, "title: This field may not be blank."),
        ({"title": "   "}, "title: This field may not be blank."),
        ({"title": "x" * 121}, "title: Ensure this field has no more than 120 characters."),
        ({"liveStreamType": "trio"}, 'liveStreamType: "trio" is not a valid choice.'),
        ({"interest": "cooking"}, 'interest: "cooking" is not a valid choice.'),
        ({"durationGoal": "0"}, "durationGoal: Ensure this value is greater than or equal to 1."),
        (
            {"durationGoal": "721"},
            "durationGoal: Ensure this value is less than or equal to 720.",
        ),
        ({"durationGoal": "abc"}, "durationGoal: A valid integer is required."),
        ({"durationGoal": "60.5"}, "durationGoal: A valid integer is required."),
        (
            {"motivation": "m" * 1001},
            "motivation: Ensure this field has no more than 1000 characters.",
        ),
        ({"price": "-1"}, "price: Ensure this value is greater than or equal to 0."),
        ({"price": "9.999"}, "price: Ensure that there are no more than 2 decimal places."),
        ({"price": "100000.01"}, "price: Ensure this value is less than or equal to 100000."),
        ({"price": "abc"}, "price: A valid number is required."),
        ({"price": "NaN"}, "price: A valid number is required."),
        ({"plannedStartDate": "tomorrow"}, DATETIME_FORMAT_MESSAGE),
        (
            {"plannedStartDate": "2027-01-01T11:54:59Z"},
            "plannedStartDate: The planned start cannot be more than 5 minutes in the past.",
        ),
        (
            {"plannedStartDate": "2027-04-02T12:00:01Z"},
            "plannedStartDate: The planned start cannot be more than 90 days ahead.",
        ),
        (
            {"guests": "[ not json"},
            'guests: Send a JSON array of user ids, such as ["64d15f9e2e6c8f4d5a654321"].',
        ),
        (
            {"guests": '{"id": 1}'},
            'guests: Send a JSON array of user ids, such as ["64d15f9e2e6c8f4d5a654321"].',
        ),
        (
            {"guests": "[1]"},
            "guests: 1 is not a valid user id (24 hexadecimal characters).",
        ),
        ({"guests": "[]"}, "guests: This type of live stream takes exactly one guest."),
        (
            {"guests": '["64d15f9e2e6c8f4d5a654321"]'},
            "guests: No user with the id 64d15f9e2e6c8f4d5a654321.",
        ),
        (
            {"guests": '["64D15F9E2E6C8F4D5A654321"]'},
            'guests: "64D15F9E2E6C8F4D5A654321" is not a valid user id (24 hexadecimal '
            "characters).",
        ),
        (
            {"liveStreamType": "solo"},
            "guests: A solo live stream takes no guests.",
        ),
    ],
)
def test_bad_fields_are_400s_that_create_nothing(user_client, guest, settings, changes, message):
    form = contract_form(guest, **changes)

    errors = assert_error(user_client.post(URL, form, format="multipart"), 400)

    assert errors == [message]
    assert_nothing_created(settings)


def test_guests_nested_thousands_deep_are_a_400_not_a_crash(user_client, guest, settings):
    # json.loads gives up with RecursionError long before 5000 levels.
    form = contract_form(guest, guests="[" * 5000 + "]" * 5000)

    errors = assert_error(user_client.post(URL, form, format="multipart"), 400)

    assert errors == [
        'guests: Send a JSON array of user ids, such as ["64d15f9e2e6c8f4d5a654321"].'
    ]
    assert_nothing_created(settings)


def test_the_text_fields_are_the_shared_strict_strings():
    fields = LiveStreamCreateSerializer().fields

    assert isinstance(fields["title"], StrictCharField)  # normalised to NFC first
    assert type(fields["motivation"]) is StrictCharField
    join_fields = LiveStreamJoinSerializer().fields
    for name in ("device_type", "device_model", "os_version", "app_version", "country"):
        assert type(join_fields[name]) is StrictCharField


def test_two_guests_for_a_duo_stream_are_a_400(user_client, guest, settings):
    second = UserFactory()
    form = contract_form(guest, guests=json.dumps([guest.pk, second.pk]))

    errors = assert_error(user_client.post(URL, form, format="multipart"), 400)

    assert errors == ["guests: This type of live stream takes exactly one guest."]
    assert_nothing_created(settings)


def test_the_same_guest_twice_counts_once(user_client, guest):
    form = contract_form(guest, guests=json.dumps([guest.pk, guest.pk]), thumbnail=None)

    data = assert_success(user_client.post(URL, form, format="multipart"), 201)

    assert [item["_id"] for item in data["guests"]] == [guest.pk]


def test_inviting_yourself_is_a_400(user_client, user, settings):
    form = contract_form(user)

    errors = assert_error(user_client.post(URL, form, format="multipart"), 400)

    assert errors == ["guests: You cannot invite yourself."]
    assert_nothing_created(settings)


def test_an_inactive_guest_is_unknown(user_client, settings):
    inactive = UserFactory(is_active=False)

    errors = assert_error(user_client.post(URL, contract_form(inactive), format="multipart"), 400)

    assert errors == [f"guests: No user with the id {inactive.pk}."]
    assert_nothing_created(settings)


def test_a_staff_guest_is_unknown_like_everywhere_else(user_client, staff_user, settings):
    errors = assert_error(user_client.post(URL, contract_form(staff_user), format="multipart"), 400)

    assert errors == [f"guests: No user with the id {staff_user.pk}."]
    assert_nothing_created(settings)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"title": 123}, "title: Not a valid string."),
        ({"title": ["a"]}, "title: Not a valid string."),
        ({"title": "ok", "durationGoal": True}, "durationGoal: A valid integer is required."),
        ({"title": "ok", "price": True}, "price: A valid number is required."),
        ({"title": "ok", "price": ""}, None),
        (
            {"title": "ok", "guests": "nope"},
            'guests: "nope" is not a valid user id (24 hexadecimal characters).',
        ),
        (
            {"title": "ok", "guests": [123]},
            "guests: 123 is not a valid user id (24 hexadecimal characters).",
        ),
        ({"title": "ok", "guests": {"a": 1}}, GUESTS_NOT_A_LIST_MESSAGE),
        (
            {"title": "ok", "thumbnail": "data:image/png;base64,AAAA"},
            "thumbnail: Send the image as a file in a multipart/form-data request.",
        ),
        ({"title": "ok", "motivation": 5}, "motivation: Not a valid string."),
        ({"title": "ok", "plannedStartDate": 1700000000}, DATETIME_FORMAT_MESSAGE),
    ],
)
def test_wrong_json_types_are_400s(user_client, settings, payload, message):
    response = user_client.post(URL, payload, format="json")

    if message is None:
        assert_success(response, 201)
        return
    assert_error(response, 400, [message])
    assert_nothing_created(settings)


def test_a_body_that_is_not_json_is_a_400(user_client, settings):
    response = user_client.generic("POST", URL, "{not json", content_type="application/json")

    assert_error(response, 400, ["The request body is not valid JSON."])
    assert_nothing_created(settings)


def test_a_json_array_body_is_a_400(user_client, settings):
    errors = assert_error(user_client.post(URL, [1, 2], format="json"), 400)

    assert errors == ["Invalid data. Expected a dictionary, but got list."]
    assert_nothing_created(settings)


# --- Thumbnails ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("photo.jpg", b"just some text", content_type="image/jpeg"),
            "thumbnail: Upload a valid JPEG, PNG or WebP image.",
        ),
        (
            SimpleUploadedFile("photo.jpg", image_bytes("JPEG")[:200], content_type="image/jpeg"),
            "thumbnail: The image is damaged or truncated.",
        ),
        (
            SimpleUploadedFile("anim.gif", image_bytes("GIF"), content_type="image/gif"),
            "thumbnail: Upload a valid JPEG, PNG or WebP image.",
        ),
        (
            SimpleUploadedFile("empty.jpg", b"", content_type="image/jpeg"),
            "thumbnail: Upload a valid JPEG, PNG or WebP image.",
        ),
    ],
)
def test_fake_or_broken_thumbnails_are_400s_that_store_nothing(
    user_client, guest, settings, upload, message
):
    errors = assert_error(
        user_client.post(URL, contract_form(guest, thumbnail=upload), format="multipart"), 400
    )

    assert errors == [message]
    assert_nothing_created(settings)


def test_an_oversized_thumbnail_is_a_400(user_client, guest, settings):
    settings.IMAGE_MAX_BYTES = 1000
    noise = Image.frombytes("RGB", (100, 100), os.urandom(100 * 100 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    upload = SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png")

    errors = assert_error(
        user_client.post(URL, contract_form(guest, thumbnail=upload), format="multipart"), 400
    )

    assert errors == ["thumbnail: The image is larger than 10 MB."]
    assert_nothing_created(settings)


def test_a_decompression_bomb_is_a_400(user_client, guest, settings):
    settings.IMAGE_MAX_PIXELS = 100 * 100
    upload = image_upload("bomb.png", fmt="PNG", size=(200, 200))

    errors = assert_error(
        user_client.post(URL, contract_form(guest, thumbnail=upload), format="multipart"), 400
    )

    assert errors == ["thumbnail: The image has more than 40 megapixels."]
    assert_nothing_created(settings)


def test_a_large_thumbnail_is_scaled_down_and_stripped(user_client, guest):
    upload = image_upload("wide.jpg", size=(2000, 1000))

    assert_success(
        user_client.post(URL, contract_form(guest, thumbnail=upload), format="multipart"), 201
    )

    with Image.open(LiveStream.objects.get().thumbnail.path) as stored:
        assert stored.size == (1280, 640)
        assert not stored.info.get("exif")


def test_a_failed_insert_leaves_no_thumbnail_behind(user_client, guest, settings, monkeypatch):
    def explode(live_stream):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services.create, "_insert_with_unique_channel_name", explode)
    user_client.raise_request_exception = False

    response = user_client.post(URL, contract_form(guest), format="multipart")

    assert response.status_code == 500
    assert_nothing_created(settings)
