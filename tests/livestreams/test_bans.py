"""The creator's bans: POST /api/v1/live-stream/{id}/ban and DELETE .../ban/{userId}, and
what a ban refuses afterwards (joins, token renewals, chat)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

import pytest
import time_machine

from config.api.errors import Forbidden
from livestreams import services
from livestreams.models import LiveStreamBan, LiveStreamStatus, Participant, Participation
from tests.factories import UserFactory
from tests.helpers import assert_error, assert_success, run_together
from tests.livestreams.chat_helpers import (
    ban_url,
    chat_snapshot,
    make_cast,
    messages_url,
    tap_events,
    unban_url,
)
from tests.livestreams.factories import LiveStreamFactory, in_audience
from tests.livestreams.helpers import balance_of, give_credits, money_snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("agora")]

NOW = datetime(2027, 1, 1, 12, 0, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
JOIN = "/api/v1/live-stream/join"
JOIN_AS_GUEST = "/api/v1/live-stream/join-as-guest"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def cast(user):
    return make_cast(user)


def ban(client, stream, user_id, **kwargs):
    return client.post(ban_url(stream), {"userId": user_id}, format="json", **kwargs)


def open_stays(user) -> list:
    return list(Participation.objects.filter(participant__user=user, left_at__isnull=True))


def token_url(stream) -> str:
    return f"/api/v1/live-stream/{stream.pk}/token"


# --- Banning: who may ------------------------------------------------------------------------


def test_the_creator_bans_a_viewer_and_closes_their_stay(cast, client_for):
    stay = open_stays(cast.viewer)[0]
    other = in_audience(cast.stream)

    with time_machine.travel(LATER, tick=False):
        data = assert_success(ban(client_for(cast.creator), cast.stream, cast.viewer.pk))

    assert data == {"userId": cast.viewer.pk, "banned": True}
    row = LiveStreamBan.objects.get()
    assert (row.live_stream_id, row.user_id, row.banned_by_id, row.created_at) == (
        cast.stream.pk,
        cast.viewer.pk,
        cast.creator.pk,
        LATER,
    )
    stay.refresh_from_db()
    other.refresh_from_db()
    assert stay.left_at == LATER
    assert other.left_at is None  # nobody else's stay
    assert Participant.objects.filter(user=cast.viewer).exists()  # their history stays


@pytest.mark.parametrize("who", ["guest", "viewer", "stranger", "staff"])
def test_only_the_creator_may_ban(cast, client_for, who):
    before = chat_snapshot()

    response = ban(client_for(cast.of(who)), cast.stream, cast.left.pk)

    assert_error(response, 403, [str(services.NOT_CREATOR)])
    assert chat_snapshot() == before


def test_an_anonymous_caller_may_not_ban(cast, api_client):
    assert_error(ban(api_client, cast.stream, cast.viewer.pk), 401, ["Authentication required"])
    assert not LiveStreamBan.objects.exists()


def test_a_stranger_is_refused_before_the_body_is_read(cast, client_for):
    response = client_for(cast.stranger).post(ban_url(cast.stream), {}, format="json")

    assert_error(response, 403, [str(services.NOT_CREATOR)])


def test_banning_twice_answers_the_same_and_keeps_the_first_ban(cast, client_for):
    creator = client_for(cast.creator)
    first = assert_success(ban(creator, cast.stream, cast.viewer.pk))

    with time_machine.travel(LATER, tick=False), tap_events() as tap:
        second = assert_success(ban(creator, cast.stream, cast.viewer.pk))

    assert second == first == {"userId": cast.viewer.pk, "banned": True}
    assert list(LiveStreamBan.objects.values_list("user_id", "created_at")) == [
        (cast.viewer.pk, NOW)
    ]
    assert tap.callbacks == []  # no second `banned`, no viewer count


def test_someone_who_never_joined_can_be_banned_ahead(cast, client_for):
    data = assert_success(ban(client_for(cast.creator), cast.stream, cast.stranger.pk))

    assert data == {"userId": cast.stranger.pk, "banned": True}
    assert LiveStreamBan.objects.filter(user=cast.stranger).exists()


@pytest.mark.parametrize(
    "status",
    [LiveStreamStatus.SCHEDULED, LiveStreamStatus.PREPARING, LiveStreamStatus.ENDED],
)
def test_a_ban_holds_whatever_the_streams_status(cast, client_for, status):
    cast.stream.status = status
    cast.stream.save(update_fields=["status"])

    assert_success(ban(client_for(cast.creator), cast.stream, cast.stranger.pk))

    assert LiveStreamBan.objects.filter(user=cast.stranger).exists()


# --- Banning: bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "userId: This field is required."),
        ({"userId": None}, "userId: This field may not be null."),
        ({"userId": ""}, "userId: This field may not be blank."),
        ({"userId": "abc"}, "userId: Must be a 24-character hexadecimal id."),
        ({"userId": "64D15F9E2E6C8F4D5A123456"}, "userId: Must be a 24-character hexadecimal id."),
        ({"userId": 123}, "userId: Must be a 24-character hexadecimal id."),
        ({"userId": ["6" * 24]}, "userId: Must be a 24-character hexadecimal id."),
    ],
)
def test_a_bad_user_id_is_a_400(cast, client_for, body, message):
    before = chat_snapshot()

    response = client_for(cast.creator).post(ban_url(cast.stream), body, format="json")

    assert_error(response, 400, [message])
    assert chat_snapshot() == before


def test_an_unknown_user_is_a_404(cast, client_for):
    before = chat_snapshot()

    assert_error(ban(client_for(cast.creator), cast.stream, "6" * 24), 404, ["Resource not found"])

    assert chat_snapshot() == before


@pytest.mark.parametrize(
    ("who", "message"),
    [("creator", services.CANNOT_BAN_YOURSELF), ("guest", services.CANNOT_BAN_GUEST)],
)
def test_the_creator_and_invited_guests_cannot_be_banned(cast, client_for, who, message):
    before = chat_snapshot()

    response = ban(client_for(cast.creator), cast.stream, cast.of(who).pk)

    assert_error(response, 400, [f"userId: {message}"])
    assert chat_snapshot() == before


@pytest.mark.parametrize("stream_id", ["abc", "64D15F9E2E6C8F4D5A123456", "6" * 24])
def test_an_unknown_or_ill_shaped_stream_is_a_404(cast, client_for, stream_id):
    response = client_for(cast.creator).post(
        f"/api/v1/live-stream/{stream_id}/ban", {"userId": cast.viewer.pk}, format="json"
    )

    assert_error(response, 404, ["Resource not found"])
    assert not LiveStreamBan.objects.exists()


def test_a_deleted_stream_is_a_404(cast, client_for):
    cast.stream.deleted_at = NOW
    cast.stream.save(update_fields=["deleted_at"])

    assert_error(ban(client_for(cast.creator), cast.stream, cast.viewer.pk), 404)
    assert not LiveStreamBan.objects.exists()
    assert len(open_stays(cast.viewer)) == 1


# --- Banning: the events ---------------------------------------------------------------------


def test_a_ban_tells_the_persons_sockets_and_updates_the_viewer_count(cast, client_for):
    with tap_events() as tap:
        assert_success(ban(client_for(cast.creator), cast.stream, cast.viewer.pk))

    assert len(tap.callbacks) == 2  # the viewer count (a stay closed) and `banned`
    tap.require_redis()
    member_room = f"stream:{cast.stream.pk}:user:{cast.viewer.pk}"
    assert sorted(
        (sent.event, sent.namespace, sent.room) for sent in tap.for_stream(cast.stream)
    ) == [
        ("banned", "/live-stream", member_room),
        ("banned", "/stream-chat", member_room),
    ]
    assert all(sent.data == {"liveStreamId": cast.stream.pk} for sent in tap.sent)
    assert tap.viewer_counts == {cast.stream.pk}


def test_banning_someone_not_in_the_stream_changes_no_viewer_count(cast, client_for):
    with tap_events() as tap:
        assert_success(ban(client_for(cast.creator), cast.stream, cast.left.pk))

    assert len(tap.callbacks) == 1  # `banned` only
    tap.require_redis()
    assert tap.viewer_counts == set()


# --- What a ban refuses ----------------------------------------------------------------------


@pytest.fixture
def banned(cast):
    """The viewer, banned by the creator (their stay closed)."""
    services.live_stream_ban(live_stream=cast.stream, actor=cast.creator, user_id=cast.viewer.pk)
    return cast.viewer


def test_a_banned_person_cannot_join_again(cast, client_for, banned):
    before = chat_snapshot()

    response = client_for(banned).post(JOIN, {"liveStreamId": cast.stream.pk}, format="json")

    assert_error(response, 403, [str(services.BANNED)])
    assert chat_snapshot() == before


def test_a_banned_person_is_charged_nothing_for_a_paid_stream(client_for):
    stream = LiveStreamFactory(active=True, paid=True, price=Decimal("9.99"))
    person = give_credits(UserFactory(), "20.00")
    services.live_stream_ban(live_stream=stream, actor=stream.creator, user_id=person.pk)
    before = money_snapshot(), chat_snapshot()

    response = client_for(person).post(JOIN, {"liveStreamId": stream.pk}, format="json")

    assert_error(response, 403, [str(services.BANNED)])
    assert (money_snapshot(), chat_snapshot()) == before
    assert balance_of(person) == Decimal("20.00")


def test_a_banned_person_gets_no_fresh_token(cast, client_for, banned):
    before = chat_snapshot()

    response = client_for(banned).post(token_url(cast.stream))

    assert_error(response, 403, [str(services.BANNED)])
    assert chat_snapshot() == before


def test_a_banned_person_with_a_stay_still_open_gets_no_token_nor_a_charge(client_for):
    """A ban made while the stay stays open (the operator's, say) still refuses the token,
    before a ticket that the stream now wants could be charged."""
    stream = LiveStreamFactory(active=True)
    person = give_credits(UserFactory(), "20.00")
    in_audience(stream, person)
    LiveStreamBan.objects.create(live_stream=stream, user=person)
    stream.access_type, stream.price = "paid", Decimal("5.00")
    stream.save(update_fields=["access_type", "price"])
    before = money_snapshot()

    response = client_for(person).post(token_url(stream))

    assert_error(response, 403, [str(services.BANNED)])
    assert money_snapshot() == before


def test_a_banned_person_cannot_chat_nor_read_the_chat(cast, client_for, banned):
    client = client_for(banned)
    before = chat_snapshot()

    posted = client.post(messages_url(cast.stream), {"content": "Merhaba"}, format="json")
    read = client.get(messages_url(cast.stream))

    assert_error(posted, 403, [str(services.BANNED)])
    assert_error(read, 403, [str(services.BANNED)])
    assert chat_snapshot() == before


def test_a_ban_holds_only_in_its_stream(cast, client_for, banned):
    other = LiveStreamFactory(active=True)

    response = client_for(banned).post(JOIN, {"liveStreamId": other.pk}, format="json")

    assert assert_success(response)["role"] == "audience"


def test_a_banned_person_is_refused_the_socket_join_too(cast, banned, no_agora):
    with pytest.raises(Forbidden) as refused:
        services.live_stream_watch(live_stream=cast.stream, user=banned)

    assert refused.value.message == services.BANNED
    assert open_stays(banned) == []


def test_the_guest_and_the_creator_still_join_and_chat(cast, client_for, banned):
    assert_success(
        client_for(cast.guest).post(JOIN_AS_GUEST, {"liveStreamId": cast.stream.pk}, format="json")
    )
    assert_success(client_for(cast.creator).post(messages_url(cast.stream), {"content": "x"}), 201)


# --- Lifting a ban ---------------------------------------------------------------------------


def test_the_creator_lifts_a_ban_and_the_person_may_join_and_chat_again(cast, client_for, banned):
    data = assert_success(client_for(cast.creator).delete(unban_url(cast.stream, banned)))

    assert data == {"userId": banned.pk, "banned": False}
    assert not LiveStreamBan.objects.exists()
    assert open_stays(banned) == []  # nothing reopens by itself
    client = client_for(banned)
    joined = assert_success(client.post(JOIN, {"liveStreamId": cast.stream.pk}, format="json"))
    assert joined["role"] == "audience"
    assert len(open_stays(banned)) == 1
    assert_success(
        client.post(messages_url(cast.stream), {"content": "Döndüm"}, format="json"), 201
    )


def test_lifting_a_ban_that_does_not_exist_answers_the_same(cast, client_for):
    data = assert_success(client_for(cast.creator).delete(unban_url(cast.stream, cast.viewer)))

    assert data == {"userId": cast.viewer.pk, "banned": False}
    assert len(open_stays(cast.viewer)) == 1


def test_lifting_a_ban_twice_answers_the_same(cast, client_for, banned):
    creator = client_for(cast.creator)

    first = assert_success(creator.delete(unban_url(cast.stream, banned)))
    second = assert_success(creator.delete(unban_url(cast.stream, banned)))

    assert first == second == {"userId": banned.pk, "banned": False}


@pytest.mark.parametrize("who", ["guest", "viewer", "left", "stranger", "staff"])
def test_only_the_creator_may_lift_a_ban(cast, client_for, banned, who):
    before = chat_snapshot()

    response = client_for(cast.of(who)).delete(unban_url(cast.stream, banned))

    assert_error(response, 403, [str(services.NOT_CREATOR)])
    assert chat_snapshot() == before


def test_an_anonymous_caller_may_not_lift_a_ban(cast, api_client, banned):
    assert_error(api_client.delete(unban_url(cast.stream, banned)), 401)
    assert LiveStreamBan.objects.count() == 1


@pytest.mark.parametrize("user_id", ["abc", "64D15F9E2E6C8F4D5A123456", "6" * 24, "1" * 25])
def test_lifting_the_ban_of_an_unknown_or_ill_shaped_user_is_a_404(
    cast, client_for, banned, user_id
):
    response = client_for(cast.creator).delete(unban_url(cast.stream, user_id))

    assert_error(response, 404, ["Resource not found"])
    assert LiveStreamBan.objects.count() == 1


@pytest.mark.parametrize("stream_id", ["abc", "6" * 24])
def test_lifting_a_ban_in_an_unknown_stream_is_a_404(cast, client_for, banned, stream_id):
    response = client_for(cast.creator).delete(f"/api/v1/live-stream/{stream_id}/ban/{banned.pk}")

    assert_error(response, 404, ["Resource not found"])
    assert LiveStreamBan.objects.count() == 1


def test_the_operator_may_ban_and_lift_through_the_service(cast):
    services.live_stream_ban(live_stream=cast.stream, actor=None, user_id=cast.viewer.pk)

    assert LiveStreamBan.objects.get().banned_by is None
    assert services.live_stream_unban(live_stream=cast.stream, actor=None, user_id=cast.viewer.pk)
    assert not LiveStreamBan.objects.exists()


# --- Races (PostgreSQL) ----------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_ban_racing_a_join_never_leaves_the_banned_person_in_the_stream(client_for):
    for _ in range(5):
        stream = LiveStreamFactory(active=True)
        person = UserFactory()
        creator, viewer = client_for(stream.creator), client_for(person)

        banning, joining = run_together(
            partial(ban, creator, stream, person.pk),
            partial(viewer.post, JOIN, {"liveStreamId": stream.pk}, format="json"),
        )

        assert banning.status_code == 200
        assert joining.status_code in (200, 403)
        assert LiveStreamBan.objects.filter(live_stream=stream, user=person).exists()
        assert not Participation.objects.filter(
            live_stream=stream, participant__user=person, left_at__isnull=True
        ).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_bans_at_once_make_one(client_for):
    stream = LiveStreamFactory(active=True)
    person = UserFactory()
    creator = client_for(stream.creator)

    responses = run_together(*(partial(ban, creator, stream, person.pk) for _ in range(4)))

    assert [response.status_code for response in responses] == [200] * 4
    assert LiveStreamBan.objects.filter(live_stream=stream, user=person).count() == 1
