"""The chat of a live stream: GET and POST /api/v1/live-stream/{streamId}/chat/messages."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from livestreams import services
from livestreams.models import ChatMessage, LiveStreamStatus
from tests.factories import UserFactory, image_upload
from tests.helpers import OBJECT_ID_RE, assert_error, assert_success
from tests.livestreams.chat_helpers import (
    CHAT_MESSAGE_KEYS,
    HISTORY_KEYS,
    chat_snapshot,
    make_cast,
    messages_url,
    tap_events,
)
from tests.livestreams.factories import LiveStreamFactory, in_audience
from tests.livestreams.helpers import assert_user_summary
from users import services as user_services

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 1, 12, 0, 0, tzinfo=UTC)
NOW_TEXT = "2027-01-01T12:00:00.000Z"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def cast(user):
    return make_cast(user)


def post(client, stream, content="Merhaba!", **headers):
    return client.post(messages_url(stream), {"content": content}, format="json", **headers)


def say(stream, sender, content: str, *, minutes_ago: int = 0) -> ChatMessage:
    """A message as the service stores it, sent `minutes_ago` (no rate limit in the way)."""
    with time_machine.travel(NOW - timedelta(minutes=minutes_ago), tick=False):
        message = services.chat_message_post(live_stream=stream, user=sender, content=content)
    cache.clear()
    return message


# --- Posting: who may ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["creator", "guest", "viewer"])
def test_the_creator_a_guest_and_the_audience_post_a_chat_message(cast, client_for, who):
    sender = cast.of(who)

    data = assert_success(post(client_for(sender), cast.stream, "Merhaba!"), 201)

    assert list(data) == CHAT_MESSAGE_KEYS
    assert OBJECT_ID_RE.match(data["_id"])
    assert data["streamId"] == cast.stream.pk
    assert data["content"] == "Merhaba!"
    assert_user_summary(data["sender"], sender)
    assert data["createdAt"] == data["updatedAt"] == NOW_TEXT
    message = ChatMessage.objects.get()
    assert (message.pk, message.live_stream_id, message.sender_id) == (
        data["_id"],
        cast.stream.pk,
        sender.pk,
    )
    assert (message.content, message.created_at, message.hidden_at) == ("Merhaba!", NOW, None)


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("left", services.NOT_IN_CHAT),
        ("stranger", services.NOT_IN_CHAT),
        # Staff moderate (they read and delete) but are not in the stream to write in it.
        ("staff", services.NOT_IN_CHAT),
    ],
)
def test_nobody_else_may_post(cast, client_for, who, message):
    before = chat_snapshot()

    assert_error(post(client_for(cast.of(who)), cast.stream), 403, [str(message)])

    assert chat_snapshot() == before


def test_an_anonymous_caller_may_not_post(cast, api_client):
    assert_error(post(api_client, cast.stream), 401, ["Authentication required"])
    assert not ChatMessage.objects.exists()


def test_a_stranger_is_refused_before_the_content_is_read(cast, client_for):
    response = post(client_for(cast.stranger), cast.stream, "   ")

    assert_error(response, 403, [str(services.NOT_IN_CHAT)])


@pytest.mark.parametrize("body", [{}, {"content": 5}, {"content": None}, {"content": "x" * 501}])
def test_a_stranger_learns_nothing_from_the_validation_of_a_bad_body(cast, client_for, body):
    response = client_for(cast.stranger).post(messages_url(cast.stream), body, format="json")

    assert_error(response, 403, [str(services.NOT_IN_CHAT)])
    assert not ChatMessage.objects.exists()


@pytest.mark.parametrize("body", [{}, {"content": 5}])
def test_a_banned_person_learns_nothing_from_the_validation_of_a_bad_body(cast, client_for, body):
    services.live_stream_ban(live_stream=cast.stream, actor=cast.creator, user_id=cast.viewer.pk)

    response = client_for(cast.viewer).post(messages_url(cast.stream), body, format="json")

    assert_error(response, 403, [str(services.BANNED)])


def test_a_banned_person_may_not_post(cast, client_for):
    services.live_stream_ban(live_stream=cast.stream, actor=cast.creator, user_id=cast.viewer.pk)
    before = chat_snapshot()

    assert_error(post(client_for(cast.viewer), cast.stream), 403, [str(services.BANNED)])

    assert chat_snapshot() == before


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (LiveStreamStatus.SCHEDULED, services.CHAT_NOT_LIVE),
        (LiveStreamStatus.PREPARING, services.CHAT_NOT_LIVE),
        (LiveStreamStatus.ENDED, services.STREAM_IS_OVER),
        (LiveStreamStatus.EXPIRED, services.STREAM_IS_OVER),
        (LiveStreamStatus.CANCELLED_BY_HOST, services.STREAM_IS_OVER),
        (LiveStreamStatus.CANCELLED_BY_GUEST, services.STREAM_IS_OVER),
    ],
)
@pytest.mark.parametrize("who", ["creator", "guest", "viewer"])
def test_the_chat_takes_messages_only_while_the_stream_is_active(
    cast, client_for, status, message, who
):
    cast.stream.status = status
    cast.stream.save(update_fields=["status"])
    before = chat_snapshot()

    assert_error(post(client_for(cast.of(who)), cast.stream), 409, [str(message)])

    assert chat_snapshot() == before


@pytest.mark.parametrize("stream_id", ["abc", "64D15F9E2E6C8F4D5A123456", "6" * 24, "1" * 25])
def test_an_unknown_or_ill_shaped_stream_id_is_a_404(user_client, stream_id):
    response = user_client.post(
        f"/api/v1/live-stream/{stream_id}/chat/messages", {"content": "x"}, format="json"
    )

    assert_error(response, 404, ["Resource not found"])


def test_a_deleted_stream_is_a_404(cast, client_for):
    cast.stream.deleted_at = NOW
    cast.stream.save(update_fields=["deleted_at"])

    assert_error(post(client_for(cast.viewer), cast.stream), 404, ["Resource not found"])
    assert not ChatMessage.objects.exists()


# --- Posting: the content --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("  Merhaba  ", "Merhaba"),
        ("\n\tMerhaba\n \n", "Merhaba"),
        ("satır 1\nsatır 2", "satır 1\nsatır 2"),
        ("satır 1\r\nsatır 2", "satır 1\nsatır 2"),
        ("satır 1\rsatır 2", "satır 1\nsatır 2"),
        ("iki\tkelime", "iki kelime"),
        ("a\x00b\x07c\x1bd\x7fe\x85f\x9fg", "abcdefg"),
        ("e\u0301", "é"),  # NFC: one character, as the apps show it
        ("👩\u200d💻 kod", "👩\u200d💻 kod"),  # the joiner of an emoji sequence is kept
        ("<b>kalın</b> & 'tırnak'", "<b>kalın</b> & 'tırnak'"),  # plain text, as sent
    ],
)
def test_content_is_trimmed_and_cleaned_of_control_characters(cast, client_for, sent, stored):
    data = assert_success(post(client_for(cast.viewer), cast.stream, sent), 201)

    assert data["content"] == stored
    assert ChatMessage.objects.get().content == stored


def test_content_may_be_500_characters_once_trimmed(cast, client_for):
    text = "ç" * 500

    data = assert_success(post(client_for(cast.viewer), cast.stream, f"  {text}\n\x00"), 201)

    assert data["content"] == text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "content: This field may not be blank."),
        ("   \n\t ", "content: This field may not be blank."),
        ("\x00\x01\x7f", "content: This field may not be blank."),
        ("ç" * 501, "content: Ensure this field has no more than 500 characters."),
        ("e\u0301" * 501, "content: Ensure this field has no more than 500 characters."),
        (123, "content: Not a valid string."),
        (True, "content: Not a valid string."),
        (["Merhaba"], "content: Not a valid string."),
        ({"text": "Merhaba"}, "content: Not a valid string."),
        (None, "content: This field may not be null."),
    ],
)
def test_bad_content_is_a_400_that_stores_nothing(cast, client_for, content, message):
    before = chat_snapshot()

    assert_error(post(client_for(cast.viewer), cast.stream, content), 400, [message])

    assert chat_snapshot() == before


def test_content_is_required(cast, client_for):
    response = client_for(cast.viewer).post(messages_url(cast.stream), {}, format="json")

    assert_error(response, 400, ["content: This field is required."])
    assert not ChatMessage.objects.exists()


def test_a_body_that_is_not_json_is_a_415(cast, client_for):
    response = client_for(cast.viewer).post(
        messages_url(cast.stream), "content=x", content_type="text/plain"
    )

    assert_error(response, 415)
    assert not ChatMessage.objects.exists()


def test_messages_are_given_in_the_callers_language(cast, client_for):
    response = post(client_for(cast.viewer), cast.stream, "", HTTP_X_LANGUAGE="tr")

    assert_error(response, 400, ["content: Bu alan boş bırakılmamalı."])


# --- Posting: the rate limit -----------------------------------------------------------------


def test_a_second_message_within_the_second_is_a_429_with_retry_after(cast, client_for):
    client = client_for(cast.viewer)
    assert_success(post(client, cast.stream, "bir"), 201)
    before = chat_snapshot()

    refused = post(client, cast.stream, "iki")

    assert_error(refused, 429, ["You are sending messages too fast. Try again in 1 s."])
    assert refused["Retry-After"] == "1"
    assert chat_snapshot() == before


def test_the_next_second_takes_a_message_again(cast, client_for):
    client = client_for(cast.viewer)
    assert_success(post(client, cast.stream, "bir"), 201)
    with time_machine.travel(NOW + timedelta(milliseconds=999), tick=False):
        assert_error(post(client, cast.stream, "iki"), 429)

    with time_machine.travel(NOW + timedelta(seconds=1), tick=False):
        assert_success(post(client, cast.stream, "üç"), 201)

    assert list(ChatMessage.objects.order_by("created_at").values_list("content", flat=True)) == [
        "bir",
        "üç",
    ]


def test_two_messages_less_than_a_second_apart_across_a_second_boundary_are_refused(
    cast, client_for
):
    """ "At most 1 per second" holds for any two messages, not per clock second."""
    client = client_for(cast.viewer)
    with time_machine.travel(NOW + timedelta(milliseconds=900), tick=False):
        assert_success(post(client, cast.stream, "bir"), 201)
    with time_machine.travel(NOW + timedelta(milliseconds=1100), tick=False):
        assert_error(post(client, cast.stream, "iki"), 429)
    with time_machine.travel(NOW + timedelta(milliseconds=1900), tick=False):
        assert_success(post(client, cast.stream, "üç"), 201)


def test_the_limit_is_per_person_and_stream(cast, client_for):
    other_stream = LiveStreamFactory(active=True)
    in_audience(other_stream, cast.viewer)

    assert_success(post(client_for(cast.viewer), cast.stream, "bir"), 201)
    assert_success(post(client_for(cast.viewer), other_stream, "başka yayın"), 201)
    assert_success(post(client_for(cast.creator), cast.stream, "başka kişi"), 201)

    assert ChatMessage.objects.count() == 3


def test_a_refused_message_does_not_count_against_the_limit(cast, client_for):
    client = client_for(cast.viewer)

    assert_error(post(client, cast.stream, "   "), 400)
    assert_error(post(client, cast.stream, "ç" * 501), 400)
    assert_success(post(client, cast.stream, "şimdi"), 201)


def test_the_rate_is_a_setting(cast, client_for, monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**api_settings.DEFAULT_THROTTLE_RATES, "chat": "2/minute"},
    )
    client = client_for(cast.viewer)

    assert_success(post(client, cast.stream, "bir"), 201)
    with time_machine.travel(NOW + timedelta(seconds=5), tick=False):
        assert_success(post(client, cast.stream, "iki"), 201)
        refused = post(client, cast.stream, "üç")

    assert_error(refused, 429, ["You are sending messages too fast. Try again in 55 s."])
    assert refused["Retry-After"] == "55"


def test_the_socket_path_shares_the_limit(cast, client_for):
    """`sendMessage` calls the same service: a message sent there counts here too."""
    services.chat_message_post(live_stream=cast.stream, user=cast.viewer, content="soketten")

    assert_error(post(client_for(cast.viewer), cast.stream, "REST'ten"), 429)


# --- Posting: the event ----------------------------------------------------------------------


def test_a_message_goes_to_the_streams_chat_room_as_the_api_wrote_it(cast, client_for):
    with tap_events() as tap:
        data = assert_success(post(client_for(cast.viewer), cast.stream, "Selam"), 201)

    assert len(tap.callbacks) == 1
    tap.require_redis()
    [sent] = tap.for_stream(cast.stream)
    assert (sent.event, sent.namespace, sent.room) == (
        "newMessage",
        "/stream-chat",
        f"stream:{cast.stream.pk}",
    )
    assert sent.data == data


def test_a_refused_message_sends_nothing(cast, client_for):
    client = client_for(cast.viewer)
    with tap_events() as tap:
        assert_error(post(client, cast.stream, ""), 400)
        assert_error(post(client_for(cast.stranger), cast.stream), 403)

    assert tap.callbacks == []


def test_the_socket_json_has_absolute_photo_urls_without_a_request(cast, settings):
    settings.PUBLIC_API_URL = "https://api.yayin.example"
    user_services.profile_photo_set(user=cast.viewer, upload=image_upload(size=(120, 120)))

    message = services.chat_message_post(live_stream=cast.stream, user=cast.viewer, content="Hey")

    from livestreams.api.chat_serializers import chat_message_json

    data = chat_message_json(message)
    photo = data["sender"]["profilePhoto"]
    assert list(data) == CHAT_MESSAGE_KEYS
    assert data["createdAt"] == NOW_TEXT
    assert photo["url"].startswith("https://api.yayin.example/")
    assert all(url.startswith("https://api.yayin.example/") for url in photo["variants"].values())
    assert set(photo["variants"]) == {"40", "76", "96"}


# --- History ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["creator", "guest", "viewer", "left", "staff"])
def test_the_history_is_read_by_the_creator_guests_joiners_and_staff(cast, client_for, who):
    say(cast.stream, cast.viewer, "Selam")

    data = assert_success(client_for(cast.of(who)).get(messages_url(cast.stream)))

    assert [message["content"] for message in data["messages"]] == ["Selam"]


def test_a_stranger_may_not_read_the_history(cast, client_for):
    say(cast.stream, cast.viewer, "Selam")

    response = client_for(cast.stranger).get(messages_url(cast.stream))

    assert_error(response, 403, [str(services.NOT_CHAT_READER)])


def test_a_banned_person_may_not_read_the_history(cast, client_for):
    services.live_stream_ban(live_stream=cast.stream, actor=cast.creator, user_id=cast.left.pk)

    response = client_for(cast.left).get(messages_url(cast.stream))

    assert_error(response, 403, [str(services.BANNED)])


def test_an_anonymous_caller_may_not_read_the_history(cast, api_client):
    assert_error(api_client.get(messages_url(cast.stream)), 401, ["Authentication required"])


def test_the_history_is_newest_first_in_the_contracts_shape(cast, client_for):
    first = say(cast.stream, cast.viewer, "ilk", minutes_ago=3)
    second = say(cast.stream, cast.guest, "ikinci", minutes_ago=2)
    third = say(cast.stream, cast.creator, "üçüncü", minutes_ago=1)

    data = assert_success(client_for(cast.viewer).get(messages_url(cast.stream)))

    assert list(data) == HISTORY_KEYS
    assert [message["_id"] for message in data["messages"]] == [third.pk, second.pk, first.pk]
    assert data["messages"][0] == {
        "_id": third.pk,
        "streamId": cast.stream.pk,
        "content": "üçüncü",
        "sender": data["messages"][0]["sender"],
        "createdAt": "2027-01-01T11:59:00.000Z",
        "updatedAt": "2027-01-01T11:59:00.000Z",
    }
    assert_user_summary(data["messages"][0]["sender"], cast.creator)
    assert {key: data[key] for key in HISTORY_KEYS[1:]} == {
        "page": 1,
        "limit": 30,
        "total": 3,
        "totalPages": 1,
        "hasNextPage": False,
        "hasPreviousPage": False,
    }


def test_the_history_is_the_same_message_as_the_post_answered(cast, client_for):
    posted = assert_success(post(client_for(cast.viewer), cast.stream, "aynı"), 201)

    data = assert_success(client_for(cast.viewer).get(messages_url(cast.stream)))

    assert data["messages"] == [posted]


def test_hidden_messages_never_appear_nor_count(cast, client_for):
    kept = say(cast.stream, cast.viewer, "kalan", minutes_ago=2)
    hidden = say(cast.stream, cast.viewer, "silinen", minutes_ago=1)
    services.chat_message_hide(message=hidden, actor=cast.creator)

    data = assert_success(client_for(cast.creator).get(messages_url(cast.stream)))

    assert [message["_id"] for message in data["messages"]] == [kept.pk]
    assert (data["total"], data["totalPages"]) == (1, 1)


def test_the_history_holds_only_this_streams_messages(cast, client_for):
    other_stream = LiveStreamFactory(active=True, creator=cast.viewer)
    say(other_stream, cast.viewer, "başka yayın")
    mine = say(cast.stream, cast.viewer, "bu yayın")

    data = assert_success(client_for(cast.creator).get(messages_url(cast.stream)))

    assert [message["_id"] for message in data["messages"]] == [mine.pk]


def test_the_history_stays_readable_after_the_stream_ends(cast, client_for):
    say(cast.stream, cast.viewer, "veda")
    services.live_stream_end(live_stream=cast.stream, actor=cast.creator)

    data = assert_success(client_for(cast.viewer).get(messages_url(cast.stream)))

    assert [message["content"] for message in data["messages"]] == ["veda"]


@pytest.fixture
def five_messages(cast):
    return [say(cast.stream, cast.viewer, f"mesaj {n}", minutes_ago=10 - n) for n in range(5)]


@pytest.mark.parametrize(
    ("query", "page", "limit", "contents", "has_next", "has_previous"),
    [
        ({"limit": "2"}, 1, 2, ["mesaj 4", "mesaj 3"], True, False),
        ({"limit": "2", "page": "2"}, 2, 2, ["mesaj 2", "mesaj 1"], True, True),
        ({"limit": "2", "page": "3"}, 3, 2, ["mesaj 0"], False, True),
        ({"limit": "2", "page": "4"}, 4, 2, [], False, True),
        ({"page": "0"}, 1, 30, None, False, False),
        ({"page": "-3", "limit": "abc"}, 1, 30, None, False, False),
        ({"page": "1.5", "limit": "0"}, 1, 30, None, False, False),
        ({"limit": "-1"}, 1, 30, None, False, False),
        ({"limit": "500"}, 1, 100, None, False, False),
        ({"unknown": "ignored"}, 1, 30, None, False, False),
    ],
)
def test_the_history_pages_as_the_contract_says(
    cast, client_for, five_messages, query, page, limit, contents, has_next, has_previous
):
    data = assert_success(client_for(cast.creator).get(messages_url(cast.stream), query))

    everything = [f"mesaj {n}" for n in reversed(range(5))]
    assert [message["content"] for message in data["messages"]] == (
        everything if contents is None else contents
    )
    assert {key: data[key] for key in HISTORY_KEYS[1:]} == {
        "page": page,
        "limit": limit,
        "total": 5,
        "totalPages": -(-5 // limit),
        "hasNextPage": has_next,
        "hasPreviousPage": has_previous,
    }


def test_an_empty_history(cast, client_for):
    data = assert_success(client_for(cast.creator).get(messages_url(cast.stream)))

    assert data == {
        "messages": [],
        "page": 1,
        "limit": 30,
        "total": 0,
        "totalPages": 0,
        "hasNextPage": False,
        "hasPreviousPage": False,
    }


@pytest.mark.parametrize("stream_id", ["abc", "64D15F9E2E6C8F4D5A123456", "6" * 24])
def test_the_history_of_an_unknown_or_ill_shaped_stream_is_a_404(user_client, stream_id):
    response = user_client.get(f"/api/v1/live-stream/{stream_id}/chat/messages")

    assert_error(response, 404, ["Resource not found"])


def test_the_history_of_a_deleted_stream_is_a_404(cast, client_for):
    cast.stream.deleted_at = NOW
    cast.stream.save(update_fields=["deleted_at"])

    assert_error(client_for(cast.creator).get(messages_url(cast.stream)), 404)


# Authentication (the caller), the stream, the caller's ban, the guest and participant
# checks (a viewer who is neither creator nor guest), the count and the page with senders
# and their photos.
HISTORY_QUERIES = 7


@pytest.mark.parametrize("size", [2, 30])
def test_the_history_runs_a_fixed_number_of_queries(
    cast, client_for, django_assert_num_queries, size
):
    for number in range(size):
        sender = UserFactory(username=f"yazan_{number}")
        user_services.profile_photo_set(user=sender, upload=image_upload(size=(48, 48)))
        in_audience(cast.stream, sender)
        say(cast.stream, sender, f"mesaj {number}", minutes_ago=size - number)
    client = client_for(cast.viewer)

    with django_assert_num_queries(HISTORY_QUERIES):
        data = assert_success(client.get(messages_url(cast.stream), {"limit": "100"}))

    assert len(data["messages"]) == size
    assert all(message["sender"]["profilePhoto"] for message in data["messages"])
    assert all(
        message["sender"]["profilePhoto"]["url"].startswith("http://testserver/")
        for message in data["messages"]
    )


# --- The OpenAPI document --------------------------------------------------------------------

BASE = "/api/v1/live-stream"
# Every status each endpoint can answer (a query parameter documents a 400, as on every list).
DOCUMENTED = {
    ("get", f"{BASE}/{{streamId}}/chat/messages"): {200, 400, 401, 403, 404, 429},
    ("post", f"{BASE}/{{streamId}}/chat/messages"): {201, 400, 401, 403, 404, 409, 413, 415, 429},
    ("delete", f"{BASE}/{{streamId}}/chat/messages/{{messageId}}"): {200, 401, 403, 404, 429},
    ("post", f"{BASE}/{{id}}/ban"): {200, 400, 401, 403, 404, 413, 415, 429},
    ("delete", f"{BASE}/{{id}}/ban/{{userId}}"): {200, 401, 403, 404, 429},
}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize(("method", "path"), sorted(DOCUMENTED))
def test_each_chat_and_ban_operation_documents_the_statuses_it_answers(schema, method, path):
    operation = schema["paths"][path][method]

    assert {int(code) for code in operation["responses"]} == DOCUMENTED[(method, path)]
    assert operation["security"] == [{"JWT-auth": []}]
    for code, response in operation["responses"].items():
        if int(code) >= 400:
            assert response["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorEnvelope"
            }
    if method != "get":
        assert operation["description"].startswith("**Production uyarisi:**")


def _data_schema(schema, method, path, code):
    envelope = schema["paths"][path][method]["responses"][code]["content"]["application/json"]
    reference = envelope["schema"]["properties"]["data"]["$ref"]
    return schema["components"]["schemas"][reference.rsplit("/", 1)[1]]


def test_the_schema_shows_the_chat_message_and_the_history_page(schema):
    message = _data_schema(schema, "post", f"{BASE}/{{streamId}}/chat/messages", "201")
    page = _data_schema(schema, "get", f"{BASE}/{{streamId}}/chat/messages", "200")

    assert list(message["properties"]) == CHAT_MESSAGE_KEYS
    assert list(page["properties"]) == HISTORY_KEYS
    assert page["properties"]["messages"]["items"] == {"$ref": "#/components/schemas/ChatMessage"}
    parameters = {
        parameter["name"]: parameter
        for parameter in schema["paths"][f"{BASE}/{{streamId}}/chat/messages"]["get"]["parameters"]
    }
    assert parameters["limit"]["schema"]["default"] == "30"
    assert parameters["page"]["schema"]["default"] == "1"


def test_the_schema_shows_the_ban_answers(schema):
    banned = _data_schema(schema, "post", f"{BASE}/{{id}}/ban", "200")
    lifted = _data_schema(schema, "delete", f"{BASE}/{{id}}/ban/{{userId}}", "200")
    deleted = _data_schema(
        schema, "delete", f"{BASE}/{{streamId}}/chat/messages/{{messageId}}", "200"
    )

    assert list(banned["properties"]) == list(lifted["properties"]) == ["userId", "banned"]
    assert list(deleted["properties"]) == ["_id", "deleted"]
