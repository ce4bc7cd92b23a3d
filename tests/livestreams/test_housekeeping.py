"""`manage.py live_stream_housekeeping` under frozen time."""

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from livestreams.models import LiveStream, LiveStreamStatus
from tests.livestreams.factories import LiveStreamFactory, in_audience

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)


def run() -> str:
    out = io.StringIO()
    call_command("live_stream_housekeeping", stdout=out)
    return out.getvalue().strip()


def status_of(stream) -> str:
    return LiveStream.objects.get(pk=stream.pk).status


def starting(minutes_ago: float, status=LiveStreamStatus.SCHEDULED, **kwargs):
    start = NOW - timedelta(minutes=minutes_ago)
    return LiveStreamFactory(
        status=status,
        planned_start_date=start,
        planned_end_date=start + timedelta(minutes=60),
        **kwargs,
    )


def live_since(minutes_ago: float, duration: int = 60):
    start = NOW - timedelta(minutes=minutes_ago)
    return LiveStreamFactory(
        status=LiveStreamStatus.ACTIVE,
        started_at=start,
        planned_start_date=start,
        duration_goal=duration,
        planned_end_date=start + timedelta(minutes=duration),
    )


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize("status", [LiveStreamStatus.SCHEDULED, LiveStreamStatus.PREPARING])
def test_streams_that_never_went_live_expire_after_the_grace(status):
    late = starting(31, status)
    within_grace = starting(30, LiveStreamStatus.PREPARING)
    future = starting(-10, status)

    assert run() == "Prepared 0, expired 1 and ended 0 live streams."

    assert status_of(late) == LiveStreamStatus.EXPIRED
    assert status_of(within_grace) == LiveStreamStatus.PREPARING
    assert status_of(future) == status
    assert LiveStream.objects.get(pk=late.pk).updated_at == NOW


def test_scheduled_streams_whose_start_has_come_are_preparing():
    due_now = starting(0)
    due_earlier = starting(30)
    future = starting(-1)
    already_preparing = starting(10, LiveStreamStatus.PREPARING)
    stay = in_audience(due_now)

    assert run() == "Prepared 2, expired 0 and ended 0 live streams."

    for stream in (due_now, due_earlier):
        changed = LiveStream.objects.get(pk=stream.pk)
        assert (changed.status, changed.updated_at) == (LiveStreamStatus.PREPARING, NOW)
    assert status_of(future) == LiveStreamStatus.SCHEDULED
    assert status_of(already_preparing) == LiveStreamStatus.PREPARING
    stay.refresh_from_db()
    assert stay.left_at is None


def test_a_prepared_stream_expires_once_the_grace_is_over():
    stream = starting(0)
    assert run() == "Prepared 1, expired 0 and ended 0 live streams."

    with time_machine.travel(NOW + timedelta(minutes=31), tick=False):
        assert run() == "Prepared 0, expired 1 and ended 0 live streams."

    assert status_of(stream) == LiveStreamStatus.EXPIRED


def test_live_streams_that_overran_are_ended():
    overran = live_since(60 + 31)
    within_grace = live_since(60 + 30)
    stay = in_audience(overran)

    assert run() == "Prepared 0, expired 0 and ended 1 live streams."

    ended = LiveStream.objects.get(pk=overran.pk)
    assert ended.status == LiveStreamStatus.ENDED
    assert ended.ended_at == NOW
    assert status_of(within_grace) == LiveStreamStatus.ACTIVE
    stay.refresh_from_db()
    assert stay.left_at == NOW


def test_expired_streams_leave_nobody_inside():
    late = starting(45, LiveStreamStatus.PREPARING)
    stay = in_audience(late)

    run()

    stay.refresh_from_db()
    assert stay.left_at == NOW


def test_finished_streams_are_left_alone():
    untouched = [
        starting(500, status)
        for status in (
            LiveStreamStatus.ENDED,
            LiveStreamStatus.EXPIRED,
            LiveStreamStatus.CANCELLED_BY_HOST,
            LiveStreamStatus.CANCELLED_BY_GUEST,
        )
    ]

    assert run() == "Prepared 0, expired 0 and ended 0 live streams."
    for stream in untouched:
        assert status_of(stream) == stream.status


def test_running_twice_changes_nothing_more():
    starting(31)
    starting(10)
    live_since(200)
    assert run() == "Prepared 1, expired 1 and ended 1 live streams."
    snapshot = list(LiveStream.objects.values_list("pk", "status", "updated_at", "ended_at"))

    assert run() == "Prepared 0, expired 0 and ended 0 live streams."
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        assert run() == "Prepared 0, expired 0 and ended 0 live streams."

    assert (
        list(LiveStream.objects.values_list("pk", "status", "updated_at", "ended_at")) == snapshot
    )


def test_the_grace_comes_from_the_settings(settings):
    settings.LIVE_STREAM_GRACE_MINUTES = 5
    late = starting(6)
    overran = live_since(66)

    assert run() == "Prepared 0, expired 1 and ended 1 live streams."
    assert status_of(late) == LiveStreamStatus.EXPIRED
    assert status_of(overran) == LiveStreamStatus.ENDED


def test_deleted_streams_are_neither_changed_nor_counted():
    gone = {"deleted_at": NOW - timedelta(hours=1)}
    late = starting(31, **gone)
    due = starting(0, **gone)
    overran = LiveStreamFactory(
        status=LiveStreamStatus.ACTIVE,
        planned_start_date=NOW - timedelta(hours=3),
        planned_end_date=NOW - timedelta(hours=2),
        **gone,
    )
    before = list(LiveStream.objects.values_list("pk", "status", "updated_at", "ended_at"))

    assert run() == "Prepared 0, expired 0 and ended 0 live streams."

    assert list(LiveStream.objects.values_list("pk", "status", "updated_at", "ended_at")) == before
    assert {late.pk, due.pk, overran.pk} == {pk for pk, *_rest in before}


def test_stays_left_open_in_a_deleted_no_show_are_closed_uncounted():
    late = starting(31, deleted_at=NOW - timedelta(hours=1))
    stay = in_audience(late)

    assert run() == "Prepared 0, expired 0 and ended 0 live streams."

    assert status_of(late) == LiveStreamStatus.SCHEDULED
    stay.refresh_from_db()
    assert stay.left_at == NOW


def test_the_summary_follows_the_language(settings):
    from django.utils import translation

    starting(31)
    starting(5)
    with translation.override("tr"):
        assert run() == (
            "1 canlı yayın hazırlığa geçti, 1 canlı yayının süresi doldu, 0 canlı yayın bitirildi."
        )
