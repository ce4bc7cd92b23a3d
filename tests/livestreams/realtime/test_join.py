"""joinStream and leaveStream on both namespaces: who may follow a stream, and the audience
stay a join on `/live-stream` records and its last socket's leave closes."""

import pytest

from livestreams import services
from livestreams.models import LiveStreamBan, Participant, Participation
from livestreams.realtime.events import CHAT_NAMESPACE, LIVE_STREAM_NAMESPACE
from tests.factories import StaffFactory, UserFactory
from tests.livestreams.factories import LiveStreamFactory, LiveStreamGuestFactory
from tests.livestreams.realtime.conftest import token_of
from tests.livestreams.realtime.support import wait_until
from users.credits.models import CreditTransaction

pytestmark = pytest.mark.django_db(transaction=True)

BOTH = (LIVE_STREAM_NAMESPACE, CHAT_NAMESPACE)


def refusal(status_code: int, error: str) -> dict:
    return {"ok": False, "statusCode": status_code, "error": error, "errors": [error]}


def open_stays(stream, user=None):
    stays = Participation.objects.filter(live_stream=stream, left_at__isnull=True)
    return stays.filter(participant__user=user) if user else stays


def signed_in(sockets, user, namespaces=(LIVE_STREAM_NAMESPACE,)):
    return sockets().connect(namespaces=namespaces, auth={"token": token_of(user)})


# --- /live-stream: the audience stay ---------------------------------------------------------


def test_an_audience_join_records_a_stay_and_answers_the_count(sockets):
    stream, viewer = LiveStreamFactory(active=True), UserFactory()

    ack = signed_in(sockets, viewer).join(stream.pk)

    assert ack == {
        "ok": True,
        "liveStreamId": stream.pk,
        "status": "active",
        "role": "audience",
        "viewerCount": 1,
    }
    stay = open_stays(stream, viewer).get()
    assert stay.role == "audience"
    assert Participant.objects.get(live_stream=stream, user=viewer).role == "audience"


def test_joining_twice_keeps_one_stay(sockets):
    stream, viewer = LiveStreamFactory(active=True), UserFactory()
    client = signed_in(sockets, viewer)

    first, second = client.join(stream.pk), client.join(stream.pk)

    assert first["ok"] is second["ok"] is True
    assert second["viewerCount"] == 1
    assert open_stays(stream, viewer).count() == 1


def test_the_stay_closes_when_the_socket_disconnects(sockets):
    stream, viewer = LiveStreamFactory(active=True), UserFactory()
    client = signed_in(sockets, viewer)
    client.join(stream.pk)

    client.disconnect()

    assert wait_until(lambda: not open_stays(stream, viewer).exists())
    assert Participation.objects.get(live_stream=stream).left_at is not None


def test_events_named_connect_or_disconnect_sent_by_a_client_change_nothing(sockets):
    """python-socketio hands a client's event named "connect" or "disconnect" to the same
    handlers as the real ones; they must not reset the socket (and forget its stay)."""
    stream, viewer = LiveStreamFactory(active=True), UserFactory()
    client = signed_in(sockets, viewer)
    client.join(stream.pk)

    for event, data in (("connect", {}), ("connect", {"token": "bad"}), ("disconnect", "x")):
        ack = client.call(event, data)
        assert (ack["ok"], ack["statusCode"]) == (False, 404), event

    # Still the same socket, holding the same stay: leaving and disconnecting close it.
    assert client.call("joinStream", {"liveStreamId": stream.pk})["ok"] is True
    assert open_stays(stream, viewer).count() == 1
    client.disconnect()
    assert wait_until(lambda: not open_stays(stream, viewer).exists())


def test_leave_stream_closes_the_stay_and_leaving_again_is_harmless(sockets):
    stream, viewer = LiveStreamFactory(active=True), UserFactory()
    client = signed_in(sockets, viewer)
    client.join(stream.pk)

    assert client.call("leaveStream", {"liveStreamId": stream.pk}) == {
        "ok": True,
        "liveStreamId": stream.pk,
    }
    assert not open_stays(stream, viewer).exists()
    assert client.call("leaveStream", {"liveStreamId": stream.pk}) == {
        "ok": True,
        "liveStreamId": stream.pk,
    }
    assert Participation.objects.filter(live_stream=stream).count() == 1


def test_the_stay_stays_open_while_another_socket_of_the_person_is_in(sockets):
    stream, viewer = LiveStreamFactory(active=True), UserFactory()
    phone, tablet = signed_in(sockets, viewer), signed_in(sockets, viewer)
    phone.join(stream.pk)
    tablet.join(stream.pk)

    phone.disconnect()
    # The close would come from the server right after the disconnect; give it the time.
    assert not wait_until(lambda: not open_stays(stream, viewer).exists(), timeout=0.5)

    tablet.call("leaveStream", {"liveStreamId": stream.pk})
    assert not open_stays(stream, viewer).exists()
    assert Participation.objects.filter(live_stream=stream).count() == 1


def test_the_chat_namespace_records_no_stay(sockets):
    stream, viewer = LiveStreamFactory(active=True), UserFactory()
    Participant.objects.create(live_stream=stream, user=viewer, role="audience", uid=7)
    client = signed_in(sockets, viewer, namespaces=(CHAT_NAMESPACE,))

    ack = client.join(stream.pk, namespace=CHAT_NAMESPACE)

    assert ack["ok"] is True
    assert ack["role"] is None
    assert not Participation.objects.filter(live_stream=stream).exists()


def test_the_creator_and_a_guest_enter_the_room_without_a_stay(sockets):
    stream = LiveStreamFactory()  # scheduled: they may wait in the room before it goes live
    guest = LiveStreamGuestFactory(live_stream=stream).user

    for person, role in ((stream.creator, "host"), (guest, "guest")):
        for namespace in BOTH:
            client = signed_in(sockets, person, namespaces=(namespace,))
            ack = client.join(stream.pk, namespace=namespace)
            assert ack == {
                "ok": True,
                "liveStreamId": stream.pk,
                "status": "scheduled",
                "role": role,
                "viewerCount": 0,
            }
    assert not Participant.objects.filter(live_stream=stream).exists()


def test_a_paid_stream_charges_its_ticket_and_a_short_balance_is_402(sockets):
    stream, viewer = LiveStreamFactory(active=True, paid=True), UserFactory()

    ack = signed_in(sockets, viewer).join(stream.pk)

    assert ack["ok"] is False
    assert ack["statusCode"] == 402
    assert not Participant.objects.filter(live_stream=stream).exists()
    assert not CreditTransaction.objects.filter(live_stream=stream).exists()


# --- Refusals --------------------------------------------------------------------------------


BAD_PAYLOADS = [
    ({"liveStreamId": "not-an-id"}, 404, "Resource not found"),
    ({"liveStreamId": 123}, 400, "liveStreamId: Not a valid string."),
    ({}, 400, "liveStreamId: This field is required."),
    ("64d15f9e2e6c8f4d5a123456", 400, "Invalid data. Expected a dictionary, but got str."),
    (None, 400, "No data provided"),
]


def test_bad_stream_ids_are_refused(sockets):
    """As a stream id in a URL: not shaped like an id is 404; not a string at all is 400."""
    client = signed_in(sockets, UserFactory(), namespaces=BOTH)

    for namespace in BOTH:
        for payload, status_code, error in BAD_PAYLOADS:
            expected = refusal(status_code, error)
            for event in ("joinStream", "leaveStream"):
                assert client.call(event, payload, namespace=namespace) == expected, (
                    namespace,
                    event,
                    payload,
                )


def test_leaving_a_stream_the_socket_is_not_in_is_harmless(sockets):
    """No lookup: an id shaped like one is left, whether or not a stream has it."""
    client = signed_in(sockets, UserFactory())

    assert client.call("leaveStream", {"liveStreamId": "64d15f9e2e6c8f4d5a123456"}) == {
        "ok": True,
        "liveStreamId": "64d15f9e2e6c8f4d5a123456",
    }


def test_an_unknown_stream_is_404(sockets):
    client = signed_in(sockets, UserFactory(), namespaces=BOTH)

    for namespace in BOTH:
        assert client.join("64d15f9e2e6c8f4d5a123456", namespace=namespace) == refusal(
            404, "Resource not found"
        ), namespace


def test_a_deleted_stream_is_404(sockets):
    stream = LiveStreamFactory(active=True)
    stream.deleted_at = stream.started_at
    stream.save(update_fields=["deleted_at"])

    ack = signed_in(sockets, UserFactory()).join(stream.pk)

    assert ack == refusal(404, "Resource not found")


def test_messages_follow_the_sockets_language(sockets):
    client = sockets().connect(
        auth={"token": token_of(UserFactory())}, headers={"X-Language": "tr"}
    )

    assert client.join("64d15f9e2e6c8f4d5a123456") == refusal(404, "Kaynak bulunamadı")


def test_a_stream_that_is_not_live_is_409_for_the_audience(sockets):
    client = signed_in(sockets, UserFactory())
    anonymous = sockets().connect()

    for traits, error in (
        ({}, services.AUDIENCE_TOO_EARLY),
        ({"preparing": True}, services.AUDIENCE_TOO_EARLY),
        ({"ended": True}, services.STREAM_IS_OVER),
    ):
        stream = LiveStreamFactory(**traits)
        assert client.join(stream.pk) == refusal(409, str(error)), traits
        assert anonymous.join(stream.pk) == refusal(409, str(error)), traits
        assert not Participant.objects.filter(live_stream=stream).exists()


def test_a_banned_person_is_403_on_both_namespaces(sockets):
    stream, viewer = LiveStreamFactory(active=True), UserFactory()
    Participant.objects.create(live_stream=stream, user=viewer, role="audience", uid=7)
    LiveStreamBan.objects.create(live_stream=stream, user=viewer, banned_by=stream.creator)
    client = signed_in(sockets, viewer, namespaces=BOTH)

    for namespace in BOTH:
        assert client.join(stream.pk, namespace=namespace) == refusal(403, str(services.BANNED)), (
            namespace
        )
    assert not Participation.objects.filter(live_stream=stream).exists()


def test_anonymous_sockets_get_no_chat(sockets):
    stream = LiveStreamFactory(active=True)
    client = sockets().connect(namespaces=(CHAT_NAMESPACE,))

    assert client.join(stream.pk, namespace=CHAT_NAMESPACE) == refusal(
        401, "Authentication required"
    )


def test_the_chat_follows_the_history_read_rule(sockets):
    stream = LiveStreamFactory(active=True)
    stranger = signed_in(sockets, UserFactory(), namespaces=(CHAT_NAMESPACE,))
    staff = signed_in(sockets, StaffFactory(), namespaces=(CHAT_NAMESPACE,))

    assert stranger.join(stream.pk, namespace=CHAT_NAMESPACE) == refusal(
        403, str(services.NOT_CHAT_READER)
    )
    assert staff.join(stream.pk, namespace=CHAT_NAMESPACE)["ok"] is True


def test_an_audience_member_joins_the_chat_after_the_stream(sockets):
    stream, viewer = LiveStreamFactory(active=True), UserFactory()
    client = signed_in(sockets, viewer, namespaces=BOTH)

    assert client.join(stream.pk)["ok"] is True
    assert client.join(stream.pk, namespace=CHAT_NAMESPACE)["ok"] is True
