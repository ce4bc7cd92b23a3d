"""Server events: what REST requests, the admin's services and bans send to a stream's room."""

from functools import partial
from itertools import pairwise

import pytest

from livestreams import services
from livestreams.models import LiveStream, Participation
from livestreams.realtime import events
from livestreams.realtime.events import CHAT_NAMESPACE, LIVE_STREAM_NAMESPACE
from tests.factories import UserFactory
from tests.helpers import assert_success, run_together
from tests.livestreams.factories import LiveStreamFactory
from tests.livestreams.realtime.conftest import token_of
from tests.livestreams.realtime.support import VIEWER_COUNT_INTERVAL_MS, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

BOTH = (LIVE_STREAM_NAMESPACE, CHAT_NAMESPACE)
JOIN = "/api/v1/live-stream/join"


def follower(sockets, live_stream, user=None, *, namespaces=BOTH, url=None):
    """A socket (of `user`, or of the stream's creator) in the stream's rooms."""
    client = sockets(url=url).connect(
        namespaces=namespaces, auth={"token": token_of(user or live_stream.creator)}
    )
    for namespace in namespaces:
        assert client.join(live_stream.pk, namespace=namespace)["ok"] is True
    return client


def rest_join(rest, live_stream, user):
    return assert_success(rest.post(JOIN, {"liveStreamId": live_stream.pk}, token=token_of(user)))


def counts_received(client, *, within: float) -> list[int]:
    return [
        data["viewerCount"]
        for name, data, _at in client.events(within=within)
        if name == "viewerCount"
    ]


def test_a_chat_message_posted_over_rest_arrives_as_new_message(sockets, rest):
    stream = LiveStreamFactory(active=True)
    viewer = UserFactory()
    client = follower(sockets, stream, viewer, namespaces=BOTH)

    response = rest.post(
        f"/api/v1/live-stream/{stream.pk}/chat/messages",
        {"content": "Merhaba!"},
        token=token_of(stream.creator),
    )

    message = assert_success(response, 201)
    assert client.wait_for("newMessage", namespace=CHAT_NAMESPACE) == message
    assert message["content"] == "Merhaba!"
    # Chat goes to the chat namespace only.
    assert "newMessage" not in [name for name, *_ in client.events()]


def test_an_audience_join_over_rest_arrives_as_the_exact_viewer_count(sockets, rest):
    stream = LiveStreamFactory(active=True)
    client = follower(sockets, stream, namespaces=(LIVE_STREAM_NAMESPACE,))

    rest_join(rest, stream, UserFactory())

    assert client.wait_for("viewerCount") == {"liveStreamId": stream.pk, "viewerCount": 1}

    rest_join(rest, stream, UserFactory())

    assert client.wait_for("viewerCount") == {"liveStreamId": stream.pk, "viewerCount": 2}
    assert Participation.objects.open_audience(stream).count() == 2


def test_a_burst_of_joins_is_counted_at_most_once_per_interval_ending_on_the_last_count(
    sockets, rest
):
    stream = LiveStreamFactory(active=True)
    client = follower(sockets, stream, namespaces=(LIVE_STREAM_NAMESPACE,))

    tokens = [token_of(UserFactory()) for _ in range(6)]

    responses = run_together(
        *(partial(rest.post, JOIN, {"liveStreamId": stream.pk}, token=token) for token in tokens)
    )

    received = client.wait_for_all("viewerCount", until=lambda data: data["viewerCount"] == 6)
    interval = VIEWER_COUNT_INTERVAL_MS / 1000
    times = [at for _data, at in received]
    gaps = [later - earlier for earlier, later in pairwise(times)]
    # Fewer counts than joins, spaced by the interval (with a little leeway for delivery).
    assert len(received) < 6
    assert all(gap >= 0.8 * interval for gap in gaps), gaps
    assert [response.status_code for response in responses] == [200] * 6
    # The last count is the audience now, and nothing follows it.
    assert Participation.objects.open_audience(stream).count() == 6
    assert counts_received(client, within=3 * interval) == []


def test_a_socket_leaving_sends_the_lower_count(sockets):
    stream = LiveStreamFactory(active=True)
    creator = follower(sockets, stream, namespaces=(LIVE_STREAM_NAMESPACE,))
    viewer = follower(sockets, stream, UserFactory(), namespaces=(LIVE_STREAM_NAMESPACE,))
    creator.wait_for("viewerCount", match=lambda data: data["viewerCount"] == 1)

    viewer.disconnect()

    assert creator.wait_for("viewerCount") == {"liveStreamId": stream.pk, "viewerCount": 0}


def test_ending_the_stream_over_rest_arrives_as_stream_status(sockets, rest):
    stream = LiveStreamFactory(active=True)
    viewer = follower(sockets, stream, UserFactory(), namespaces=(LIVE_STREAM_NAMESPACE,))

    assert_success(
        rest.post(f"/api/v1/live-stream/{stream.pk}/end", token=token_of(stream.creator))
    )

    assert viewer.wait_for("streamStatus") == {"liveStreamId": stream.pk, "status": "ended"}
    assert viewer.wait_for("viewerCount") == {"liveStreamId": stream.pk, "viewerCount": 0}


def test_the_admin_ending_the_stream_arrives_as_stream_status(sockets, needs_redis):
    """`live_stream_end(actor=None)` is what the operator admin calls, in a process with no
    socket server: the event travels through Redis."""
    stream = LiveStreamFactory(active=True)
    viewer = follower(sockets, stream, UserFactory(), namespaces=(LIVE_STREAM_NAMESPACE,))

    services.live_stream_end(live_stream=LiveStream.objects.get(pk=stream.pk), actor=None)

    assert viewer.wait_for("streamStatus") == {"liveStreamId": stream.pk, "status": "ended"}
    assert viewer.wait_for("viewerCount") == {"liveStreamId": stream.pk, "viewerCount": 0}
    # The stay the socket held was closed by the end; its later disconnect changes nothing.
    viewer.disconnect()
    assert Participation.objects.filter(live_stream=stream, left_at__isnull=True).count() == 0


def test_an_emit_from_this_process_reaches_the_room(sockets, needs_redis):
    stream = LiveStreamFactory(active=True)
    client = follower(sockets, stream, namespaces=(LIVE_STREAM_NAMESPACE,))

    events.emit(
        "fundingUpdated",
        {"liveStreamId": stream.pk, "collectedFunding": 5, "fundingPercentage": 50},
        namespace=LIVE_STREAM_NAMESPACE,
        room=events.stream_room(stream.pk),
    )

    assert client.wait_for("fundingUpdated") == {
        "liveStreamId": stream.pk,
        "collectedFunding": 5,
        "fundingPercentage": 50,
    }


def test_events_reach_only_the_streams_room(sockets, rest):
    stream, other_stream = LiveStreamFactory(active=True), LiveStreamFactory(active=True)
    elsewhere = follower(sockets, other_stream, namespaces=(LIVE_STREAM_NAMESPACE,))
    here = follower(sockets, stream, namespaces=(LIVE_STREAM_NAMESPACE,))

    rest_join(rest, stream, UserFactory())

    here.wait_for("viewerCount", match=lambda data: data["viewerCount"] == 1)
    assert elsewhere.events(within=2 * VIEWER_COUNT_INTERVAL_MS / 1000) == []


def test_a_socket_that_left_the_stream_gets_no_more_of_its_events(sockets, rest):
    stream = LiveStreamFactory(active=True)
    watcher = follower(sockets, stream, namespaces=(LIVE_STREAM_NAMESPACE,))
    leaver = follower(sockets, stream, UserFactory(), namespaces=(LIVE_STREAM_NAMESPACE,))
    leaver.call("leaveStream", {"liveStreamId": stream.pk})
    leaver.events(within=2 * VIEWER_COUNT_INTERVAL_MS / 1000)  # what came before the leave

    assert_success(
        rest.post(f"/api/v1/live-stream/{stream.pk}/end", token=token_of(stream.creator))
    )

    watcher.wait_for("streamStatus")
    assert leaver.events(within=0.3) == []


# --- Bans ------------------------------------------------------------------------------------


def test_a_ban_arrives_as_banned_and_the_socket_leaves_the_room(sockets, rest):
    stream, banned_user = LiveStreamFactory(active=True), UserFactory()
    banned_client = follower(sockets, stream, banned_user, namespaces=BOTH)
    witness = follower(sockets, stream, UserFactory(), namespaces=BOTH)
    assert Participation.objects.filter(
        live_stream=stream, participant__user=banned_user, left_at__isnull=True
    ).exists()

    response = rest.post(
        f"/api/v1/live-stream/{stream.pk}/ban",
        {"userId": banned_user.pk},
        token=token_of(stream.creator),
    )

    assert assert_success(response) == {"userId": banned_user.pk, "banned": True}
    for namespace in BOTH:
        assert banned_client.wait_for("banned", namespace=namespace) == {"liveStreamId": stream.pk}
    assert not Participation.objects.filter(
        live_stream=stream, participant__user=banned_user, left_at__isnull=True
    ).exists()
    # The witness (not banned) heard nothing of it.
    assert [name for name, *_ in witness.events(namespace=CHAT_NAMESPACE) if name == "banned"] == []

    # The banned socket is out of the room: a later message reaches the witness only.
    banned_client.events(namespace=CHAT_NAMESPACE)
    banned_client.events(namespace=LIVE_STREAM_NAMESPACE)
    assert_success(
        rest.post(
            f"/api/v1/live-stream/{stream.pk}/chat/messages",
            {"content": "still here?"},
            token=token_of(stream.creator),
        ),
        201,
    )
    witness.wait_for("newMessage", namespace=CHAT_NAMESPACE)
    assert_success(
        rest.post(f"/api/v1/live-stream/{stream.pk}/end", token=token_of(stream.creator))
    )
    witness.wait_for("streamStatus")
    assert banned_client.events(namespace=CHAT_NAMESPACE, within=0.3) == []
    assert banned_client.events(namespace=LIVE_STREAM_NAMESPACE) == []


def test_a_banned_socket_disconnecting_later_changes_no_stay(sockets, rest):
    stream, banned_user = LiveStreamFactory(active=True), UserFactory()
    banned_client = follower(sockets, stream, banned_user, namespaces=(LIVE_STREAM_NAMESPACE,))
    rest.post(
        f"/api/v1/live-stream/{stream.pk}/ban",
        {"userId": banned_user.pk},
        token=token_of(stream.creator),
    )
    banned_client.wait_for("banned")
    left_at = Participation.objects.get(live_stream=stream).left_at

    banned_client.disconnect()

    assert not wait_until(
        lambda: Participation.objects.get(live_stream=stream).left_at != left_at, timeout=0.5
    )
    assert Participation.objects.filter(live_stream=stream).count() == 1
