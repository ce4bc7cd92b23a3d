"""Every feed of contract section 8 runs a fixed number of queries, whatever the page size,
and every endpoint answers anonymous callers, bad tokens, users and staff as the contract
says (optional auth: anonymous served; signed in: 401)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from livestreams.models import LiveStreamStatus, LiveStreamType, ParticipantRole
from tests.factories import UserFactory
from tests.helpers import assert_error, assert_success
from tests.livestreams.factories import (
    LiveStreamFactory,
    LiveStreamGuestFactory,
    LiveStreamReminderFactory,
    ParticipantFactory,
    ParticipationFactory,
    in_audience,
)

pytestmark = pytest.mark.django_db

V1 = "/api/v1/live-stream"
V2 = "/api/v2/live-stream"


def busy(stream, *, audience: int = 2):
    """A guest invited (and joined, if the stream went live), an audience, a reminder."""
    invitation = LiveStreamGuestFactory(live_stream=stream)
    if stream.started_at:
        guest = ParticipantFactory(
            live_stream=stream, user=invitation.user, role=ParticipantRole.GUEST
        )
        ParticipationFactory(participant=guest, left_at=stream.ended_at)
        for _ in range(audience):
            in_audience(stream, left_at=stream.ended_at)
    LiveStreamReminderFactory(live_stream=stream)
    return stream


def live(**kwargs):
    return busy(LiveStreamFactory(active=True, interest="music", **kwargs))


def scheduled(**kwargs):
    return busy(LiveStreamFactory(interest="music", **kwargs))


def ended(**kwargs):
    now = timezone.now()
    return busy(
        LiveStreamFactory(
            status=LiveStreamStatus.ENDED,
            interest="music",
            planned_start_date=now - timedelta(hours=2),
            started_at=now - timedelta(hours=2),
            ended_at=now - timedelta(hours=1),
            **kwargs,
        )
    )


def crowdfunded(**kwargs):
    return scheduled(live_stream_type=LiveStreamType.DUOCROWD, funding_goal=Decimal("50"))


def invited(caller):
    stream = scheduled(live_stream_type=LiveStreamType.DUOSELF)
    LiveStreamGuestFactory(live_stream=stream, user=caller)
    return stream


def hosted(caller):
    stream = ended(creator=caller)
    ParticipantFactory(live_stream=stream, user=caller, role=ParticipantRole.HOST)
    return stream


def watched(caller):
    stream = ended()
    in_audience(stream, caller, left_at=stream.ended_at)
    return stream


def audience_of_creator(caller):
    stream = ended(creator=UserFactory())
    return stream


# Session user, count, page, guest prefetch, broadcaster prefetch.
PAGED = 5
# Session user, the target user, count, page, guest prefetch, broadcaster prefetch.
PAGED_FOR_USER = 6
# Session user, page, guest prefetch, broadcaster prefetch (no count: a bounded ranking).
TOP = 4

# name: (url, seed(caller, target) making one listed item, queries, how many a page holds)
FEEDS = {
    "featured": (f"{V1}/featured", lambda caller, target: live(), TOP),
    "catch-streamers": (f"{V1}/catch-streamers", lambda caller, target: live(), TOP),
    # Session user, the ranking, its users.
    "most-watched-creators": (
        f"{V1}/most-watched-creators",
        lambda caller, target: audience_of_creator(caller),
        3,
    ),
    "whats-live-now": (f"{V1}/whats-live-now", lambda caller, target: live(), PAGED),
    "for-you/live": (f"{V1}/for-you/live", lambda caller, target: live(), PAGED),
    "for-you/scheduled": (f"{V1}/for-you/scheduled", lambda caller, target: scheduled(), PAGED),
    "for-you/crowdfunding": (
        f"{V1}/for-you/crowdfunding",
        lambda caller, target: crowdfunded(),
        PAGED,
    ),
    "guest-streams": (f"{V1}/guest-streams", lambda caller, target: invited(caller), PAGED),
    "my-past-streams": (
        f"{V1}/my-past-streams",
        lambda caller, target: ended(creator=caller),
        PAGED,
    ),
    "user-past-streams": (
        f"{V1}/user/{{target}}/past-streams",
        lambda caller, target: ended(creator=target),
        PAGED_FOR_USER,
    ),
    "my-upcoming-streams": (
        f"{V1}/my-upcoming-streams",
        lambda caller, target: scheduled(creator=caller),
        PAGED,
    ),
    "user-upcoming": (
        f"{V1}/user/{{target}}/upcoming-live-streams",
        lambda caller, target: scheduled(creator=target),
        PAGED_FOR_USER,
    ),
    "v2-user-upcoming": (
        f"{V2}/user/{{target}}/upcoming-live-streams",
        lambda caller, target: scheduled(creator=target),
        PAGED_FOR_USER,
    ),
    "my-broadcasted-streams": (
        f"{V1}/my-broadcasted-streams",
        lambda caller, target: hosted(caller),
        PAGED,
    ),
    "my-watched-streams": (
        f"{V1}/my-watched-streams",
        lambda caller, target: watched(caller),
        PAGED,
    ),
}


def items_of(data) -> list:
    return data["list"] if isinstance(data, dict) else data


@pytest.mark.parametrize("size", [2, 10])
@pytest.mark.parametrize("name", sorted(FEEDS))
def test_each_feed_runs_a_fixed_number_of_queries(
    client_for, django_assert_max_num_queries, name, size
):
    url, seed, queries = FEEDS[name]
    caller = UserFactory(interests=["music"])
    target = UserFactory()
    for _ in range(size):
        seed(caller, target)
    client = client_for(caller)

    with django_assert_max_num_queries(queries):
        data = assert_success(client.get(url.format(target=target.pk), {"limit": size}))

    assert len(items_of(data)) == size


@pytest.mark.parametrize("guests", [1, 3])
def test_the_active_stream_runs_a_fixed_number_of_queries(
    client_for, django_assert_max_num_queries, guests
):
    caller = UserFactory()
    stream = LiveStreamFactory(creator=caller, active=True)
    for _ in range(guests):
        busy(stream, audience=5)

    mine, someone = client_for(caller), client_for(UserFactory())

    # Session user, the stream, guest prefetch, broadcaster prefetch.
    with django_assert_max_num_queries(4):
        assert assert_success(mine.get(f"{V1}/my-active-stream"))["id"] == stream.pk
    # And the user looked up by id.
    with django_assert_max_num_queries(5):
        data = assert_success(someone.get(f"{V1}/user/{caller.pk}/active-stream"))
    assert len(data["guests"]) == guests


@pytest.mark.parametrize("name", ["featured", "catch-streamers", "most-watched-creators"])
def test_anonymous_rankings_read_no_session(api_client, django_assert_max_num_queries, name):
    url, seed, queries = FEEDS[name]
    for _ in range(3):
        seed(None, None)

    with django_assert_max_num_queries(queries - 1):
        assert len(assert_success(api_client.get(url))) == 3


# --- Who may call what -----------------------------------------------------------------------

OPTIONAL = "optional"
SIGNED_IN = "signed in"
ENDPOINTS = [
    ("featured", OPTIONAL),
    ("catch-streamers", OPTIONAL),
    ("most-watched-creators", OPTIONAL),
    ("whats-live-now", SIGNED_IN),
    ("for-you/live", SIGNED_IN),
    ("for-you/scheduled", SIGNED_IN),
    ("for-you/crowdfunding", SIGNED_IN),
    ("guest-streams", SIGNED_IN),
    ("my-past-streams", SIGNED_IN),
    ("user/{target}/past-streams", OPTIONAL),
    ("my-upcoming-streams", SIGNED_IN),
    ("user/{target}/upcoming-live-streams", OPTIONAL),
    ("v2:user/{target}/upcoming-live-streams", OPTIONAL),
    ("my-broadcasted-streams", SIGNED_IN),
    ("my-watched-streams", SIGNED_IN),
    ("my-active-stream", SIGNED_IN),
    ("user/{target}/active-stream", OPTIONAL),
]


def endpoint_url(path: str, target) -> str:
    base, path = (V2, path[3:]) if path.startswith("v2:") else (V1, path)
    return f"{base}/{path.format(target=target.pk)}"


@pytest.mark.parametrize(("path", "auth"), ENDPOINTS)
@pytest.mark.parametrize("who", ["anonymous", "bad token", "user", "target", "staff"])
def test_the_permission_matrix(api_client, client_for, staff_user, path, auth, who):
    target = UserFactory()
    url = endpoint_url(path, target)
    if who == "bad token":
        api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    client = {
        "anonymous": api_client,
        "bad token": api_client,
        "user": client_for(UserFactory()) if who == "user" else None,
        "target": client_for(target) if who == "target" else None,
        "staff": client_for(staff_user) if who == "staff" else None,
    }[who]

    response = client.get(url)

    if who == "bad token" or (who == "anonymous" and auth == SIGNED_IN):
        assert_error(response, 401)
    else:
        assert_success(response)
