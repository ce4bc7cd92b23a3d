"""Hiding chat messages: DELETE /api/v1/live-stream/{streamId}/chat/messages/{messageId}, and
the operators' chat and ban pages in the admin."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.test import Client

from livestreams import services
from livestreams.models import ChatMessage, LiveStreamBan, LiveStreamStatus
from tests.factories import UserFactory
from tests.helpers import assert_error, assert_success
from tests.livestreams.chat_helpers import (
    chat_snapshot,
    make_cast,
    message_url,
    messages_url,
    tap_events,
)
from tests.livestreams.factories import LiveStreamFactory, in_audience

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 1, 12, 0, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def cast(user):
    return make_cast(user)


def say(stream, sender, content: str, *, minutes_ago: int = 0) -> ChatMessage:
    with time_machine.travel(NOW - timedelta(minutes=minutes_ago), tick=False):
        message = services.chat_message_post(live_stream=stream, user=sender, content=content)
    cache.clear()  # the rate limit: the tests post many messages "at once"
    return message


@pytest.fixture
def message(cast):
    """The viewer's message in the stream."""
    return say(cast.stream, cast.viewer, "Kaba bir söz", minutes_ago=1)


def hidden_state(message) -> tuple:
    message.refresh_from_db()
    return message.hidden_at, message.hidden_by_id


# --- Who may hide ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["viewer", "creator", "staff"])
def test_the_sender_the_creator_and_staff_hide_a_message(cast, client_for, message, who):
    actor = cast.of(who)

    with time_machine.travel(LATER, tick=False):
        data = assert_success(client_for(actor).delete(message_url(cast.stream, message)))

    assert data == {"_id": message.pk, "deleted": True}
    assert hidden_state(message) == (LATER, actor.pk)
    assert message.updated_at == LATER
    assert message.content == "Kaba bir söz"  # kept for moderation


@pytest.mark.parametrize("who", ["guest", "left", "stranger"])
def test_nobody_else_may_hide_it(cast, client_for, message, who):
    before = chat_snapshot()

    response = client_for(cast.of(who)).delete(message_url(cast.stream, message))

    assert_error(response, 403, [str(services.NOT_YOUR_MESSAGE)])
    assert chat_snapshot() == before


def test_another_audience_member_may_not_hide_it(cast, client_for, message):
    other = in_audience(cast.stream).participant.user
    before = chat_snapshot()

    response = client_for(other).delete(message_url(cast.stream, message))

    assert_error(response, 403, [str(services.NOT_YOUR_MESSAGE)])
    assert chat_snapshot() == before


def test_an_anonymous_caller_may_not_hide_it(cast, api_client, message):
    before = chat_snapshot()

    response = api_client.delete(message_url(cast.stream, message))

    assert_error(response, 401, ["Authentication required"])
    assert chat_snapshot() == before


def test_the_creator_of_another_stream_may_not_hide_it(cast, client_for, message):
    other_creator = LiveStreamFactory(active=True).creator

    response = client_for(other_creator).delete(message_url(cast.stream, message))

    assert_error(response, 403)
    assert hidden_state(message) == (None, None)


def test_a_message_is_hidden_whatever_the_streams_status(cast, client_for, message):
    services.live_stream_end(live_stream=cast.stream, actor=cast.creator)

    assert_success(client_for(cast.viewer).delete(message_url(cast.stream, message)))

    assert hidden_state(message) == (NOW, cast.viewer.pk)


def test_a_banned_sender_still_hides_their_own_message(cast, client_for, message):
    services.live_stream_ban(live_stream=cast.stream, actor=cast.creator, user_id=cast.viewer.pk)

    assert_success(client_for(cast.viewer).delete(message_url(cast.stream, message)))

    assert hidden_state(message) == (NOW, cast.viewer.pk)


# --- Twice, and the event --------------------------------------------------------------------


def test_hiding_twice_answers_the_same_and_keeps_the_first_hiding(cast, client_for, message):
    first = assert_success(client_for(cast.viewer).delete(message_url(cast.stream, message)))

    with time_machine.travel(LATER, tick=False), tap_events() as tap:
        second = assert_success(client_for(cast.creator).delete(message_url(cast.stream, message)))

    assert second == first == {"_id": message.pk, "deleted": True}
    assert hidden_state(message) == (NOW, cast.viewer.pk)
    assert tap.callbacks == []  # no second messageDeleted


def test_hiding_tells_every_client_of_the_stream(cast, client_for, message):
    with tap_events() as tap:
        assert_success(client_for(cast.creator).delete(message_url(cast.stream, message)))

    assert len(tap.callbacks) == 1
    tap.require_redis()
    [sent] = tap.for_stream(cast.stream)
    assert (sent.event, sent.namespace, sent.room) == (
        "messageDeleted",
        "/stream-chat",
        f"stream:{cast.stream.pk}",
    )
    assert sent.data == {"liveStreamId": cast.stream.pk, "messageId": message.pk}


def test_a_refused_hiding_sends_nothing(cast, client_for, message):
    with tap_events() as tap:
        assert_error(client_for(cast.stranger).delete(message_url(cast.stream, message)), 403)

    assert tap.callbacks == []


def test_a_hidden_message_never_comes_back_in_the_history(cast, client_for, message):
    kept = say(cast.stream, cast.creator, "Kurallara uyalım")
    assert_success(client_for(cast.creator).delete(message_url(cast.stream, message)))
    assert_success(client_for(cast.creator).delete(message_url(cast.stream, message)))

    for who in ("creator", "viewer", "staff"):
        data = assert_success(client_for(cast.of(who)).get(messages_url(cast.stream)))
        assert [item["_id"] for item in data["messages"]] == [kept.pk], who
        assert data["total"] == 1


# --- Bad ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize("message_id", ["abc", "64D15F9E2E6C8F4D5A123456", "6" * 24, "1" * 25])
def test_an_unknown_or_ill_shaped_message_id_is_a_404(cast, client_for, message, message_id):
    before = chat_snapshot()

    response = client_for(cast.creator).delete(message_url(cast.stream, message_id))

    assert_error(response, 404, ["Resource not found"])
    assert chat_snapshot() == before


def test_a_message_of_another_stream_is_a_404(cast, client_for, message):
    other_stream = LiveStreamFactory(creator=cast.creator)
    before = chat_snapshot()

    response = client_for(cast.creator).delete(message_url(other_stream, message))

    assert_error(response, 404, ["Resource not found"])
    assert chat_snapshot() == before


@pytest.mark.parametrize("stream_id", ["abc", "6" * 24])
def test_an_unknown_or_ill_shaped_stream_id_is_a_404(cast, client_for, message, stream_id):
    response = client_for(cast.creator).delete(
        f"/api/v1/live-stream/{stream_id}/chat/messages/{message.pk}"
    )

    assert_error(response, 404, ["Resource not found"])
    assert hidden_state(message) == (None, None)


def test_a_message_of_a_deleted_stream_is_a_404(cast, client_for, message):
    cast.stream.status = LiveStreamStatus.ENDED
    cast.stream.deleted_at = NOW
    cast.stream.save(update_fields=["status", "deleted_at"])

    response = client_for(cast.creator).delete(message_url(cast.stream, message))

    assert_error(response, 404)
    assert hidden_state(message) == (None, None)


# --- The admin: chat messages ----------------------------------------------------------------

MESSAGES = "/admin/livestreams/chatmessage/"
BANS = "/admin/livestreams/livestreamban/"


@pytest.fixture
def admin_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


def staff_client_with(*codenames: str) -> Client:
    """A staff member (not a superuser) holding only the permissions named."""
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(staff)
    return client


def listed(response) -> list[str]:
    return [row.pk for row in response.context["cl"].result_list]


def notices(response) -> list[tuple[str, str]]:
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def offered_actions(response) -> set[str]:
    return set(re.findall(r'<option value="(\w+)"', response.content.decode())) - {""}


@pytest.fixture
def chat(cast):
    """Three messages of the stream, one of them hidden, and one of another stream."""
    other_stream = LiveStreamFactory(active=True, title="Başka")
    in_audience(other_stream, cast.viewer)
    messages = {
        "rude": say(cast.stream, cast.viewer, "Kaba bir söz", minutes_ago=3),
        "kind": say(cast.stream, cast.guest, "Hoş geldiniz", minutes_ago=2),
        "gone": say(cast.stream, cast.viewer, "Silinmiş söz", minutes_ago=1),
        "elsewhere": say(other_stream, cast.viewer, "Başka yayında"),
    }
    services.chat_message_hide(message=messages["gone"], actor=cast.creator)
    return messages


def test_the_chat_list_shows_every_message_newest_first(admin_client, cast, chat):
    response = admin_client.get(MESSAGES)

    assert response.status_code == 200
    assert listed(response) == [chat[name].pk for name in ("elsewhere", "gone", "kind", "rude")]
    content = response.content.decode()
    assert "Kaba bir söz" in content
    assert f"?live_stream={cast.stream.pk}" in content
    assert f"?sender={cast.viewer.pk}" in content


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"hidden": "yes"}, ["gone"]),
        ({"hidden": "no"}, ["elsewhere", "kind", "rude"]),
        ({"q": "kaba"}, ["rude"]),
        ({"q": "konuk"}, ["kind"]),  # the sender's username
        ({"q": "Başka"}, ["elsewhere"]),  # the stream's title
    ],
)
def test_the_chat_list_filters_and_searches(admin_client, chat, params, expected):
    response = admin_client.get(MESSAGES, params)

    assert listed(response) == [chat[name].pk for name in expected]


def test_the_chat_list_is_one_click_from_a_streams_or_a_senders_messages(admin_client, cast, chat):
    by_stream = admin_client.get(MESSAGES, {"live_stream": cast.stream.pk})
    by_sender = admin_client.get(MESSAGES, {"sender": cast.viewer.pk})
    by_id = admin_client.get(MESSAGES, {"q": cast.stream.pk})

    assert listed(by_stream) == [chat[name].pk for name in ("gone", "kind", "rude")]
    assert listed(by_sender) == [chat[name].pk for name in ("elsewhere", "gone", "rude")]
    assert listed(by_id) == listed(by_stream)


@pytest.mark.parametrize("size", [2, 30])
def test_the_chat_list_runs_a_fixed_number_of_queries(
    admin_client, cast, django_assert_num_queries, size
):
    for number in range(size):
        sender = UserFactory(username=f"yazan_{number}")
        in_audience(cast.stream, sender)
        say(cast.stream, sender, f"mesaj {number}")

    # Session, staff user, the count, and the page of messages joined to their senders and
    # streams.
    with django_assert_num_queries(4):
        response = admin_client.get(MESSAGES)

    assert len(listed(response)) == size


def test_a_message_is_read_only_even_for_a_superuser(admin_client, chat):
    message = chat["rude"]
    page = f"{MESSAGES}{message.pk}/change/"
    before = chat_snapshot()

    response = admin_client.get(page)
    saved = admin_client.post(page, {"content": "değişti"})
    added = admin_client.post(f"{MESSAGES}add/", {})
    deleted = admin_client.post(f"{MESSAGES}{message.pk}/delete/", {"post": "yes"})

    assert response.status_code == 200
    content = response.content.decode()
    assert "Kaba bir söz" in content
    assert 'name="_save"' not in content
    assert (saved.status_code, added.status_code, deleted.status_code) == (403, 403, 403)
    assert "delete_selected" not in offered_actions(admin_client.get(MESSAGES))
    assert chat_snapshot() == before


def test_hide_hides_the_selected_messages_through_the_service(admin_client, staff_user, chat):
    selected = [chat["rude"].pk, chat["elsewhere"].pk]

    with time_machine.travel(LATER, tick=False), tap_events() as tap:
        response = admin_client.post(
            MESSAGES, {"action": "hide_messages", "_selected_action": selected}, follow=True
        )

    assert response.status_code == 200
    assert notices(response) == [("success", "2 messages hidden.")]
    for name in ("rude", "elsewhere"):
        assert hidden_state(chat[name]) == (LATER, staff_user.pk)
    assert hidden_state(chat["kind"]) == (None, None)
    assert len(tap.callbacks) == 2  # one messageDeleted per message
    if tap.has_redis:
        sent = {sent.data["messageId"] for sent in tap.sent if sent.event == "messageDeleted"}
        assert sent == set(selected)


def test_hide_leaves_hidden_messages_as_they_were(admin_client, cast, chat):
    gone_before = hidden_state(chat["gone"])

    with tap_events() as tap:
        only_hidden = admin_client.post(
            MESSAGES,
            {"action": "hide_messages", "_selected_action": [chat["gone"].pk]},
            follow=True,
        )
        mixed = admin_client.post(
            MESSAGES,
            {"action": "hide_messages", "_selected_action": [chat["gone"].pk, chat["kind"].pk]},
            follow=True,
        )

    assert notices(only_hidden) == [("warning", "The selected messages were already hidden.")]
    assert notices(mixed) == [("success", "1 message hidden.")]
    assert hidden_state(chat["gone"]) == gone_before
    assert len(tap.callbacks) == 1


def test_a_view_only_operator_is_offered_no_action_and_a_forged_one_runs_nothing(chat):
    client = staff_client_with("view_chatmessage")
    before = chat_snapshot()

    page = client.get(MESSAGES)
    forged = client.post(
        MESSAGES, {"action": "hide_messages", "_selected_action": [chat["rude"].pk]}
    )

    assert page.status_code == 200
    assert page.context["action_form"] is None
    assert forged.status_code == 200
    assert notices(forged) == []
    assert chat_snapshot() == before


def test_an_operator_with_the_change_permission_hides_messages(chat):
    client = staff_client_with("view_chatmessage", "change_chatmessage")

    page = client.get(MESSAGES)
    response = client.post(
        MESSAGES, {"action": "hide_messages", "_selected_action": [chat["rude"].pk]}, follow=True
    )

    assert offered_actions(page) == {"hide_messages"}
    assert notices(response) == [("success", "1 message hidden.")]
    assert hidden_state(chat["rude"])[0] == NOW


def test_operators_without_the_view_permission_and_app_users_see_no_chat(chat, user):
    without = staff_client_with("view_livestream")
    app_user = Client()
    app_user.force_login(user)

    assert without.get(MESSAGES).status_code == 403
    assert without.get(BANS).status_code == 403
    assert app_user.get(MESSAGES).status_code == 302  # to the admin's login page


# --- The admin: bans -------------------------------------------------------------------------


@pytest.fixture
def bans(cast):
    services.live_stream_ban(live_stream=cast.stream, actor=cast.creator, user_id=cast.viewer.pk)
    services.live_stream_ban(live_stream=cast.stream, actor=cast.creator, user_id=cast.left.pk)
    return list(LiveStreamBan.objects.order_by("-created_at", "-id"))


def test_the_ban_list_shows_who_is_banned_from_which_stream(admin_client, cast, bans):
    response = admin_client.get(BANS)

    assert response.status_code == 200
    assert {ban.user_id for ban in response.context["cl"].result_list} == {
        cast.viewer.pk,
        cast.left.pk,
    }
    content = response.content.decode()
    assert "izleyici" in content
    assert "Sohbet" in content
    assert 'name="action"' not in content


def test_the_ban_list_searches_by_username_and_ids(admin_client, cast, bans):
    by_username = admin_client.get(BANS, {"q": "ayrilan"})
    by_user_id = admin_client.get(BANS, {"q": cast.viewer.pk})
    by_stream_id = admin_client.get(BANS, {"q": cast.stream.pk})

    assert [ban.user_id for ban in by_username.context["cl"].result_list] == [cast.left.pk]
    assert [ban.user_id for ban in by_user_id.context["cl"].result_list] == [cast.viewer.pk]
    assert len(by_stream_id.context["cl"].result_list) == 2


def test_a_ban_is_read_only_even_for_a_superuser(admin_client, bans):
    ban = bans[0]
    page = f"{BANS}{ban.pk}/change/"
    before = chat_snapshot()

    response = admin_client.get(page)
    saved = admin_client.post(page, {})
    added = admin_client.post(f"{BANS}add/", {})
    deleted = admin_client.post(f"{BANS}{ban.pk}/delete/", {"post": "yes"})

    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert (saved.status_code, added.status_code, deleted.status_code) == (403, 403, 403)
    assert chat_snapshot() == before


@pytest.mark.parametrize("size", [2, 30])
def test_the_ban_list_runs_a_fixed_number_of_queries(
    admin_client, cast, django_assert_num_queries, size
):
    for number in range(size):
        person = UserFactory(username=f"yasakli_{number}")
        services.live_stream_ban(live_stream=cast.stream, actor=cast.creator, user_id=person.pk)

    # Session, staff user, the count, and the page of bans joined to their users, streams
    # and who banned.
    with django_assert_num_queries(4):
        response = admin_client.get(BANS)

    assert len(response.context["cl"].result_list) == size
