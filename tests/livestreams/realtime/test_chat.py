"""sendMessage on `/stream-chat`: the chat POST's rules, answered in the acknowledgement."""

import time

import pytest

from livestreams import services
from livestreams.models import ChatMessage, LiveStreamBan
from livestreams.realtime.events import CHAT_NAMESPACE, LIVE_STREAM_NAMESPACE
from tests.factories import UserFactory
from tests.helpers import OBJECT_ID_RE, TIMESTAMP_RE
from tests.livestreams.factories import LiveStreamFactory
from tests.livestreams.helpers import USER_SUMMARY_KEYS
from tests.livestreams.realtime.conftest import token_of

pytestmark = pytest.mark.django_db(transaction=True)

BOTH = (LIVE_STREAM_NAMESPACE, CHAT_NAMESPACE)
MESSAGE_KEYS = {"_id", "streamId", "content", "sender", "createdAt", "updatedAt"}


def chatter(sockets, user, *, stream=None):
    """A socket of `user` on both namespaces, in `stream` (audience joins record the stay
    that lets them write)."""
    client = sockets().connect(namespaces=BOTH, auth={"token": token_of(user)})
    if stream is not None:
        for namespace in BOTH:
            assert client.join(stream.pk, namespace=namespace)["ok"] is True
    return client


def send(client, live_stream_id, content):
    return client.call(
        "sendMessage",
        {"liveStreamId": live_stream_id, "content": content},
        namespace=CHAT_NAMESPACE,
    )


def refusal(status_code: int, error) -> dict:
    return {"ok": False, "statusCode": status_code, "error": str(error), "errors": [str(error)]}


def at_the_start_of_a_second():
    """The chat limit counts in windows of one second on the clock: two sends meant to fall
    in one window start early in it."""
    fraction = time.time() % 1
    if fraction > 0.5:
        time.sleep(1 - fraction + 0.01)


def test_send_message_answers_the_message_and_the_room_receives_it(sockets):
    stream, viewer = LiveStreamFactory(active=True), UserFactory()
    sender = chatter(sockets, viewer, stream=stream)
    creator = chatter(sockets, stream.creator, stream=stream)

    ack = send(sender, stream.pk, "  Merhaba!  ")

    assert set(ack) == {"ok", "message"}
    assert ack["ok"] is True
    message = ack["message"]
    assert set(message) == MESSAGE_KEYS
    assert OBJECT_ID_RE.match(message["_id"])
    assert message["streamId"] == stream.pk
    assert message["content"] == "Merhaba!"
    assert set(message["sender"]) == set(USER_SUMMARY_KEYS)
    assert message["sender"]["_id"] == viewer.pk
    assert TIMESTAMP_RE.match(message["createdAt"])
    assert TIMESTAMP_RE.match(message["updatedAt"])
    saved = ChatMessage.objects.get()
    assert (saved.pk, saved.sender_id, saved.content) == (message["_id"], viewer.pk, "Merhaba!")
    # The broadcast is the service's event: the sender's own socket gets it too.
    assert creator.wait_for("newMessage", namespace=CHAT_NAMESPACE) == message
    assert sender.wait_for("newMessage", namespace=CHAT_NAMESPACE) == message


def test_the_second_message_within_a_second_is_429(sockets):
    stream = LiveStreamFactory(active=True)
    client = chatter(sockets, stream.creator)
    at_the_start_of_a_second()

    first = send(client, stream.pk, "one")
    second = send(client, stream.pk, "two")

    assert first["ok"] is True
    too_fast = services.CHAT_TOO_FAST % {"seconds": 1}
    assert second == {
        "ok": False,
        "statusCode": 429,
        "error": too_fast,
        "errors": [too_fast],
        "retryAfter": 1,
    }
    assert list(ChatMessage.objects.values_list("content", flat=True)) == ["one"]


def test_a_message_after_the_second_is_accepted(sockets):
    stream = LiveStreamFactory(active=True)
    client = chatter(sockets, stream.creator)
    at_the_start_of_a_second()
    assert send(client, stream.pk, "one")["ok"] is True

    time.sleep(1.05)  # a second after the first, whether the limit counts in windows or gaps

    assert send(client, stream.pk, "two")["ok"] is True
    assert ChatMessage.objects.count() == 2


def test_anonymous_sockets_cannot_send(sockets):
    stream = LiveStreamFactory(active=True)
    client = sockets().connect(namespaces=(CHAT_NAMESPACE,))

    assert send(client, stream.pk, "hi") == {
        "ok": False,
        "statusCode": 401,
        "error": "Authentication required",
        "errors": ["Authentication required"],
    }
    assert not ChatMessage.objects.exists()


def test_a_banned_person_cannot_send(sockets):
    stream, viewer = LiveStreamFactory(active=True), UserFactory()
    client = chatter(sockets, viewer, stream=stream)
    LiveStreamBan.objects.create(live_stream=stream, user=viewer, banned_by=stream.creator)

    assert send(client, stream.pk, "hi") == refusal(403, services.BANNED)
    assert not ChatMessage.objects.exists()


def test_a_stream_that_is_not_live_is_409(sockets):
    stream = LiveStreamFactory()
    client = chatter(sockets, stream.creator)

    assert send(client, stream.pk, "hi") == refusal(409, services.CHAT_NOT_LIVE)
    assert not ChatMessage.objects.exists()


def test_bad_payloads_are_refused(sockets):
    client = chatter(sockets, UserFactory())
    unknown = "64d15f9e2e6c8f4d5a123456"

    for payload, status_code, error in (
        ({"liveStreamId": "x", "content": "hi"}, 404, "Resource not found"),
        ({"liveStreamId": unknown, "content": "hi"}, 404, "Resource not found"),
        ({"content": "hi"}, 400, "liveStreamId: This field is required."),
        ({"liveStreamId": unknown}, 400, "content: This field is required."),
        ({"liveStreamId": unknown, "content": 5}, 400, "content: Not a valid string."),
        ("hi", 400, "Invalid data. Expected a dictionary, but got str."),
    ):
        ack = client.call("sendMessage", payload, namespace=CHAT_NAMESPACE)
        assert ack == {
            "ok": False,
            "statusCode": status_code,
            "error": error,
            "errors": [error],
        }, payload
    assert not ChatMessage.objects.exists()


def test_content_rules_are_the_services(sockets):
    stream = LiveStreamFactory(active=True)
    client = chatter(sockets, stream.creator)

    assert send(client, stream.pk, "  \t ") == refusal(400, f"content: {services.CONTENT_EMPTY}")
    assert send(client, stream.pk, "x" * 501) == refusal(
        400, f"content: {str(services.CONTENT_TOO_LONG).format(max_length=500)}"
    )
    assert not ChatMessage.objects.exists()


def test_someone_not_in_the_stream_cannot_send(sockets):
    stream = LiveStreamFactory(active=True)
    client = chatter(sockets, UserFactory())

    assert send(client, stream.pk, "hi") == refusal(403, services.NOT_IN_CHAT)
    assert not ChatMessage.objects.exists()
