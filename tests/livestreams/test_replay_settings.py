"""PATCH /api/v1/live-stream/{id}/replay-settings (creator only)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from config.api.fields import StrictBooleanField
from livestreams.api.serializers import ReplaySettingsSerializer
from livestreams.models import LiveStreamStatus
from tests.factories import UserFactory
from tests.helpers import assert_error, assert_success
from tests.livestreams.factories import LiveStreamFactory
from tests.livestreams.helpers import assert_live_stream_shape

pytestmark = pytest.mark.django_db


def url(stream) -> str:
    return f"/api/v1/live-stream/{stream.pk}/replay-settings"


def settings_of(stream) -> tuple:
    stream.refresh_from_db()
    return stream.is_active_replay_on_creator_profile, stream.replay_credit_price, stream.updated_at


@pytest.fixture
def ended(user):
    return LiveStreamFactory(
        creator=user,
        status=LiveStreamStatus.ENDED,
        recording=True,
        recording_url="https://cdn.example.com/r/1.m3u8",
    )


def test_the_creator_activates_a_priced_replay(user_client, ended):
    body = {"isActiveReplayOnCreatorProfile": True, "replayCreditPrice": 12.5}

    data = assert_success(user_client.patch(url(ended), body, format="json"))

    assert_live_stream_shape(data)
    assert data["isActiveReplayOnCreatorProfile"] is True
    assert data["replayCreditPrice"] == 12.5
    assert data["replayAccess"]["status"] == "owner"
    assert data["replayAccess"]["price"] == 12.5
    assert settings_of(ended)[:2] == (True, Decimal("12.50"))


def test_others_then_see_the_replay_as_available(user_client, other_client, ended):
    assert_success(
        user_client.patch(
            url(ended),
            {"isActiveReplayOnCreatorProfile": True, "replayCreditPrice": "3"},
            format="json",
        )
    )

    data = assert_success(other_client.get(f"/api/v1/live-stream/{ended.pk}"))

    assert data["replayAccess"]["status"] == "available"
    assert data["replayAccess"]["price"] == 3


def test_only_the_keys_sent_change(user_client, ended):
    ended.is_active_replay_on_creator_profile = True
    ended.replay_credit_price = Decimal("5")
    ended.save()

    data = assert_success(user_client.patch(url(ended), {"replayCreditPrice": None}, format="json"))

    assert data["isActiveReplayOnCreatorProfile"] is True
    assert data["replayCreditPrice"] is None
    assert settings_of(ended)[:2] == (True, None)


def test_both_may_be_null(user_client, ended):
    body = {"isActiveReplayOnCreatorProfile": None, "replayCreditPrice": None}

    data = assert_success(user_client.patch(url(ended), body, format="json"))

    assert data["isActiveReplayOnCreatorProfile"] is None
    assert data["replayCreditPrice"] is None


@pytest.mark.parametrize("who", ["other", "guest", "staff"])
def test_only_the_creator_sets_replays(client_for, duo_stream, guest, staff_user, who):
    caller = {"other": UserFactory(), "guest": guest, "staff": staff_user}[who]
    before = settings_of(duo_stream)

    response = client_for(caller).patch(
        url(duo_stream), {"isActiveReplayOnCreatorProfile": True}, format="json"
    )

    assert_error(response, 403, ["Only the creator of this live stream can do this."])
    assert settings_of(duo_stream) == before


@pytest.mark.parametrize(
    "body",
    [
        {"isActiveReplayOnCreatorProfile": "yes"},
        {"replayCreditPrice": -5},
        {"replayCreditPrice": "abc"},
        {},
    ],
)
@pytest.mark.parametrize("who", ["other", "guest", "staff"])
def test_permission_comes_before_validation(client_for, duo_stream, guest, staff_user, who, body):
    caller = {"other": UserFactory(), "guest": guest, "staff": staff_user}[who]
    before = settings_of(duo_stream)

    response = client_for(caller).patch(url(duo_stream), body, format="json")

    assert_error(response, 403, ["Only the creator of this live stream can do this."])
    assert settings_of(duo_stream) == before


def test_anonymous_callers_change_nothing(api_client, ended):
    before = settings_of(ended)

    response = api_client.patch(url(ended), {"isActiveReplayOnCreatorProfile": True}, format="json")

    assert_error(response, 401, ["Authentication required"])
    assert settings_of(ended) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Send isActiveReplayOnCreatorProfile, replayCreditPrice or both."),
        ({"other": 1}, "Send isActiveReplayOnCreatorProfile, replayCreditPrice or both."),
        (
            {"isActiveReplayOnCreatorProfile": "yes"},
            "isActiveReplayOnCreatorProfile: Must be a valid boolean.",
        ),
        (
            {"isActiveReplayOnCreatorProfile": 1},
            "isActiveReplayOnCreatorProfile: Must be a valid boolean.",
        ),
        (
            {"isActiveReplayOnCreatorProfile": "true"},
            "isActiveReplayOnCreatorProfile: Must be a valid boolean.",
        ),
        (
            {"replayCreditPrice": 0},
            "replayCreditPrice: Ensure this value is greater than or equal to 0.01.",
        ),
        (
            {"replayCreditPrice": -5},
            "replayCreditPrice: Ensure this value is greater than or equal to 0.01.",
        ),
        (
            {"replayCreditPrice": 1.234},
            "replayCreditPrice: Ensure that there are no more than 2 decimal places.",
        ),
        (
            {"replayCreditPrice": 100001},
            "replayCreditPrice: Ensure this value is less than or equal to 100000.",
        ),
        ({"replayCreditPrice": "abc"}, "replayCreditPrice: A valid number is required."),
        ({"replayCreditPrice": True}, "replayCreditPrice: A valid number is required."),
        ({"replayCreditPrice": [1]}, "replayCreditPrice: A valid number is required."),
    ],
)
def test_bad_values_are_400s_that_change_nothing(user_client, ended, body, message):
    before = settings_of(ended)

    errors = assert_error(user_client.patch(url(ended), body, format="json"), 400)

    assert errors == [message]
    assert settings_of(ended) == before


def test_the_replay_switch_is_the_shared_strict_boolean():
    field = ReplaySettingsSerializer().fields["is_active_replay_on_creator_profile"]

    assert type(field) is StrictBooleanField
    assert field.allow_null is True
    assert field.required is False


@pytest.mark.parametrize("live_stream_id", ["64d15f9e2e6c8f4d5a123456", "xyz"])
def test_unknown_streams_are_404(user_client, live_stream_id):
    response = user_client.patch(
        f"/api/v1/live-stream/{live_stream_id}/replay-settings",
        {"replayCreditPrice": 1},
        format="json",
    )

    assert_error(response, 404, ["Resource not found"])


def test_a_deleted_stream_is_404(user_client, ended):
    ended.deleted_at = timezone.now()
    ended.save()

    response = user_client.patch(url(ended), {"replayCreditPrice": 1}, format="json")

    assert_error(response, 404, ["Resource not found"])
