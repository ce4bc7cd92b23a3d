"""Two server processes on one Redis: events, bans, stays and counts cross between them."""

import pytest

from livestreams.models import Participation
from livestreams.realtime import events
from livestreams.realtime.events import CHAT_NAMESPACE, LIVE_STREAM_NAMESPACE
from tests.factories import UserFactory
from tests.helpers import assert_success
from tests.livestreams.factories import LiveStreamFactory
from tests.livestreams.realtime.conftest import token_of
from tests.livestreams.realtime.support import VIEWER_COUNT_INTERVAL_MS, Rest, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("needs_redis")]

BOTH = (LIVE_STREAM_NAMESPACE, CHAT_NAMESPACE)


def follower(sockets, server, live_stream, user=None, *, namespaces=(LIVE_STREAM_NAMESPACE,)):
    client = sockets(url=server.url).connect(
        namespaces=namespaces, auth={"token": token_of(user or live_stream.creator)}
    )
    for namespace in namespaces:
        assert client.join(live_stream.pk, namespace=namespace)["ok"] is True
    return client


def test_a_rest_request_on_one_process_reaches_a_socket_on_the_other(
    sockets, server, second_server
):
    stream = LiveStreamFactory(active=True)
    client = follower(sockets, server, stream, UserFactory())

    response = Rest(second_server.url).post(
        f"/api/v1/live-stream/{stream.pk}/end", token=token_of(stream.creator)
    )

    assert_success(response)
    assert client.wait_for("streamStatus") == {"liveStreamId": stream.pk, "status": "ended"}


def test_an_emit_from_this_process_reaches_sockets_on_both(sockets, server, second_server):
    stream = LiveStreamFactory(active=True)
    first = follower(sockets, server, stream)
    second = follower(sockets, second_server, stream)

    events.emit(
        "streamStatus",
        {"liveStreamId": stream.pk, "status": "active"},
        namespace=LIVE_STREAM_NAMESPACE,
        room=events.stream_room(stream.pk),
    )

    for client in (first, second):
        assert client.wait_for("streamStatus") == {"liveStreamId": stream.pk, "status": "active"}


def test_each_count_is_sent_once_whichever_process_sends_it(sockets, server, second_server):
    stream = LiveStreamFactory(active=True)
    watchers = [follower(sockets, server, stream), follower(sockets, second_server, stream)]

    Rest(second_server.url).post(
        "/api/v1/live-stream/join", {"liveStreamId": stream.pk}, token=token_of(UserFactory())
    )

    for watcher in watchers:
        assert watcher.wait_for("viewerCount") == {"liveStreamId": stream.pk, "viewerCount": 1}
        later = watcher.events(within=2 * VIEWER_COUNT_INTERVAL_MS / 1000)
        assert [name for name, *_ in later if name == "viewerCount"] == []


def test_a_ban_on_one_process_takes_the_sockets_on_the_other_out(sockets, server, second_server):
    stream, banned_user = LiveStreamFactory(active=True), UserFactory()
    banned_client = follower(sockets, server, stream, banned_user, namespaces=BOTH)
    witness = follower(sockets, server, stream, namespaces=BOTH)
    rest = Rest(second_server.url)

    rest.post(
        f"/api/v1/live-stream/{stream.pk}/ban",
        {"userId": banned_user.pk},
        token=token_of(stream.creator),
    )

    for namespace in BOTH:
        assert banned_client.wait_for("banned", namespace=namespace) == {"liveStreamId": stream.pk}
    banned_client.events(namespace=CHAT_NAMESPACE)
    banned_client.events(namespace=LIVE_STREAM_NAMESPACE)
    rest.post(f"/api/v1/live-stream/{stream.pk}/end", token=token_of(stream.creator))
    witness.wait_for("streamStatus")
    assert banned_client.events(within=0.3) == []


def test_the_stay_closes_when_the_last_socket_leaves_whichever_process_holds_it(
    sockets, server, second_server
):
    stream, viewer = LiveStreamFactory(active=True), UserFactory()
    phone = follower(sockets, server, stream, viewer)
    tablet = follower(sockets, second_server, stream, viewer)
    open_stay = Participation.objects.filter(live_stream=stream, left_at__isnull=True)

    phone.disconnect()
    assert not wait_until(lambda: not open_stay.exists(), timeout=0.5)

    tablet.disconnect()
    assert wait_until(lambda: not open_stay.exists())
    assert Participation.objects.filter(live_stream=stream).count() == 1
