"""`livestreams.demo.seed`: streams in several states, with thumbnails and guests."""

import io

import pytest

from livestreams import demo
from livestreams.models import LiveStream, LiveStreamStatus, Participation
from users.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_makes_streams_in_every_state_with_thumbnails_and_guests():
    out = io.StringIO()

    demo.seed(out)

    streams = LiveStream.objects.all()
    assert streams.count() == len(demo.DEMO_STREAMS)
    assert set(streams.values_list("status", flat=True)) == {
        LiveStreamStatus.ACTIVE,
        LiveStreamStatus.SCHEDULED,
        LiveStreamStatus.PREPARING,
        LiveStreamStatus.ENDED,
        LiveStreamStatus.CANCELLED_BY_HOST,
        LiveStreamStatus.EXPIRED,
    }
    assert all(stream.thumbnail for stream in streams)
    assert LiveStream.objects.filter(guests__isnull=False).distinct().count() == 3
    active = LiveStream.objects.get(status=LiveStreamStatus.ACTIVE)
    assert Participation.objects.filter(live_stream=active, left_at__isnull=True).count() == 4
    assert "Live streams: 6 made, 0 already there." in out.getvalue()


def test_the_demo_is_idempotent():
    demo.seed(io.StringIO())
    counts = (User.objects.count(), LiveStream.objects.count(), Participation.objects.count())
    out = io.StringIO()

    demo.seed(out)

    assert (User.objects.count(), LiveStream.objects.count(), Participation.objects.count()) == (
        counts
    )
    assert "Live streams: 0 made, 6 already there." in out.getvalue()


def test_the_demo_uses_the_users_demo_people_when_they_exist():
    ayse = User.objects.create(username="demo_ayse", name="Ayşe", surname="Yılmaz")

    demo.seed(io.StringIO())

    assert LiveStream.objects.get(status=LiveStreamStatus.ACTIVE).creator == ayse


def test_the_demo_streams_read_well_through_the_api(client_for):
    demo.seed(io.StringIO())
    viewer = User.objects.get(username="demo_emre")

    response = client_for(viewer).get("/api/v1/live-stream")

    assert response.status_code == 200
    assert len(response.json()["data"]) == 6
