"""Reminders (contract section 8): POST and DELETE /live-stream/{id}/reminder, and
`isReminderActive` on every LiveStream (true or false for the caller, null anonymous)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from livestreams.models import LiveStreamReminder, LiveStreamStatus
from tests.factories import UserFactory
from tests.helpers import assert_error, assert_success, failures_of, run_together
from tests.livestreams.factories import LiveStreamFactory, LiveStreamReminderFactory
from users.sessions import tokens_for_user

pytestmark = pytest.mark.django_db

BASE = "/api/v1/live-stream"
ALREADY_LIVE = "This live stream is already live; join it instead."
STREAM_IS_OVER = "This live stream is over: it has ended, expired or been cancelled."
OVER_STATUSES = [
    LiveStreamStatus.ENDED,
    LiveStreamStatus.EXPIRED,
    LiveStreamStatus.CANCELLED_BY_HOST,
    LiveStreamStatus.CANCELLED_BY_GUEST,
]


def reminder_url(stream) -> str:
    return f"{BASE}/{stream.pk}/reminder"


def reminders() -> list[tuple[str, str]]:
    return sorted(LiveStreamReminder.objects.values_list("user_id", "live_stream_id"))


# --- POST ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [LiveStreamStatus.SCHEDULED, LiveStreamStatus.PREPARING])
def test_a_reminder_can_be_set_on_a_stream_that_has_not_started(user_client, user, status):
    stream = LiveStreamFactory(status=status)

    data = assert_success(user_client.post(reminder_url(stream)))

    assert data == {"isReminderActive": True}
    assert reminders() == [(user.pk, stream.pk)]


def test_setting_a_reminder_twice_keeps_one(user_client, user, stream):
    assert_success(user_client.post(reminder_url(stream)))
    data = assert_success(user_client.post(reminder_url(stream)))

    assert data == {"isReminderActive": True}
    assert reminders() == [(user.pk, stream.pk)]


def test_a_live_stream_takes_no_reminder(user_client):
    stream = LiveStreamFactory(active=True)

    assert_error(user_client.post(reminder_url(stream)), 409, [ALREADY_LIVE])
    assert reminders() == []


@pytest.mark.parametrize("status", OVER_STATUSES)
def test_a_finished_stream_takes_no_reminder(user_client, status):
    stream = LiveStreamFactory(status=status)

    assert_error(user_client.post(reminder_url(stream)), 409, [STREAM_IS_OVER])
    assert reminders() == []


def test_a_no_show_is_expired_first_and_takes_no_reminder(user_client, settings):
    # Past its planned start by more than the grace: housekeeping would expire it.
    late = timezone.now() - timedelta(minutes=settings.LIVE_STREAM_GRACE_MINUTES + 1)
    stream = LiveStreamFactory(planned_start_date=late, planned_end_date=late + timedelta(hours=1))

    assert_error(user_client.post(reminder_url(stream)), 409, [STREAM_IS_OVER])
    stream.refresh_from_db()
    assert stream.status == LiveStreamStatus.EXPIRED
    assert reminders() == []


def test_a_scheduled_stream_whose_start_has_come_takes_a_reminder(user_client, user):
    stream = LiveStreamFactory(planned_start_date=timezone.now() - timedelta(minutes=1))

    assert assert_success(user_client.post(reminder_url(stream))) == {"isReminderActive": True}
    stream.refresh_from_db()
    assert stream.status == LiveStreamStatus.PREPARING
    assert reminders() == [(user.pk, stream.pk)]


@pytest.mark.parametrize("method", ["post", "delete"])
def test_unknown_malformed_or_deleted_streams_are_404(user_client, user, method):
    deleted = LiveStreamFactory(deleted_at=timezone.now())
    LiveStreamReminderFactory(live_stream=deleted, user=user)
    before = reminders()

    for url in (reminder_url(deleted), f"{BASE}/{'a' * 24}/reminder", f"{BASE}/nope/reminder"):
        assert_error(getattr(user_client, method)(url), 404, ["Resource not found"])
    assert reminders() == before


@pytest.mark.parametrize("method", ["post", "delete"])
def test_reminders_need_a_signed_in_caller(api_client, stream, method):
    assert_error(getattr(api_client, method)(reminder_url(stream)), 401)
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert_error(getattr(api_client, method)(reminder_url(stream)), 401)
    assert reminders() == []


@pytest.mark.parametrize("who", ["creator", "other", "staff"])
def test_anyone_signed_in_may_set_a_reminder(client_for, user, other_user, staff_user, who):
    stream = LiveStreamFactory(creator=user)
    person = {"creator": user, "other": other_user, "staff": staff_user}[who]

    assert assert_success(client_for(person).post(reminder_url(stream))) == {
        "isReminderActive": True
    }
    assert reminders() == [(person.pk, stream.pk)]


# --- DELETE ----------------------------------------------------------------------------------


def test_deleting_a_reminder_removes_only_the_callers(user_client, user, other_user, stream):
    LiveStreamReminderFactory(live_stream=stream, user=user)
    LiveStreamReminderFactory(live_stream=stream, user=other_user)

    data = assert_success(user_client.delete(reminder_url(stream)))

    assert data == {"isReminderActive": False}
    assert reminders() == [(other_user.pk, stream.pk)]


def test_deleting_a_reminder_that_is_not_there_is_still_200(user_client, stream):
    assert assert_success(user_client.delete(reminder_url(stream))) == {"isReminderActive": False}
    assert reminders() == []


@pytest.mark.parametrize("status", [LiveStreamStatus.ACTIVE, *OVER_STATUSES])
def test_a_reminder_can_be_removed_whatever_the_status(user_client, user, status):
    stream = LiveStreamFactory(status=status)
    LiveStreamReminderFactory(live_stream=stream, user=user)

    assert assert_success(user_client.delete(reminder_url(stream))) == {"isReminderActive": False}
    assert reminders() == []


# --- isReminderActive ------------------------------------------------------------------------


def test_is_reminder_active_is_the_callers_own(client_for, api_client, user, other_user):
    creator = UserFactory()
    stream = LiveStreamFactory(creator=creator)
    assert_success(client_for(user).post(reminder_url(stream)))
    upcoming = f"{BASE}/user/{creator.pk}/upcoming-live-streams"

    assert assert_success(client_for(user).get(f"{BASE}/{stream.pk}"))["isReminderActive"] is True
    assert (
        assert_success(client_for(other_user).get(f"{BASE}/{stream.pk}"))["isReminderActive"]
        is False
    )
    assert assert_success(client_for(user).get(BASE))[0]["isReminderActive"] is True
    assert assert_success(api_client.get(upcoming))[0]["isReminderActive"] is None

    assert_success(client_for(user).delete(reminder_url(stream)))

    assert assert_success(client_for(user).get(f"{BASE}/{stream.pk}"))["isReminderActive"] is False


def test_a_cancel_answers_the_stream_with_the_callers_reminder(client_for, user):
    stream = LiveStreamFactory(creator=user)
    LiveStreamReminderFactory(live_stream=stream, user=user)

    data = assert_success(client_for(user).post(f"{BASE}/{stream.pk}/cancel"))

    assert (data["status"], data["isReminderActive"]) == ("cancelled_by_host", True)


# --- Concurrency (PostgreSQL) ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_reminders_by_one_person_keep_one():
    from rest_framework.test import APIClient

    person = UserFactory()
    stream = LiveStreamFactory()
    token = tokens_for_user(user=person)["access_token"]

    def remind():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client.post(reminder_url(stream))

    results = run_together(*[remind] * 10)

    assert failures_of(results) == []
    assert [response.status_code for response in results] == [200] * 10
    assert {response.json()["data"]["isReminderActive"] for response in results} == {True}
    assert reminders() == [(person.pk, stream.pk)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_reminder_racing_a_cancel_is_set_before_it_or_refused():
    from rest_framework.test import APIClient

    creator, person = UserFactory(), UserFactory()
    stream = LiveStreamFactory(creator=creator)

    def client(user):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(user=user)['access_token']}")
        return api

    creator_client, person_client = client(creator), client(person)
    cancel, remind = run_together(
        lambda: creator_client.post(f"{BASE}/{stream.pk}/cancel"),
        lambda: person_client.post(reminder_url(stream)),
    )

    assert cancel.status_code == 200
    assert remind.status_code in {200, 409}
    if remind.status_code == 409:
        assert remind.json()["errors"] == [STREAM_IS_OVER]
        assert reminders() == []
    else:
        assert reminders() == [(person.pk, stream.pk)]
