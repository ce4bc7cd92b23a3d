from datetime import timedelta

import factory
from django.utils import timezone

from livestreams.models import (
    AccessType,
    LiveStream,
    LiveStreamGuest,
    LiveStreamReminder,
    LiveStreamStatus,
    LiveStreamType,
    Participant,
    ParticipantRole,
    Participation,
)
from livestreams.services import channel_name_for
from tests.factories import UserFactory


class LiveStreamFactory(factory.django.DjangoModelFactory):
    """A stream as the services would have made it; `status` and times to taste."""

    class Meta:
        model = LiveStream

    title = factory.Sequence(lambda n: f"Yayın {n}")
    live_stream_type = LiveStreamType.SOLO
    channel_name = factory.LazyAttribute(lambda stream: channel_name_for(stream.title))
    creator = factory.SubFactory(UserFactory)
    status = LiveStreamStatus.SCHEDULED
    access_type = AccessType.FREE
    price = None
    interest = "music"
    duration_goal = 60
    planned_start_date = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
    planned_end_date = factory.LazyAttribute(
        lambda stream: stream.planned_start_date + timedelta(minutes=stream.duration_goal)
    )

    class Params:
        paid = factory.Trait(access_type=AccessType.PAID, price=9.99)
        active = factory.Trait(
            status=LiveStreamStatus.ACTIVE,
            planned_start_date=factory.LazyFunction(timezone.now),
            started_at=factory.LazyFunction(timezone.now),
        )
        preparing = factory.Trait(
            status=LiveStreamStatus.PREPARING,
            planned_start_date=factory.LazyFunction(timezone.now),
        )
        ended = factory.Trait(
            status=LiveStreamStatus.ENDED,
            planned_start_date=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2)),
            started_at=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2)),
            ended_at=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1)),
        )


class LiveStreamGuestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiveStreamGuest

    live_stream = factory.SubFactory(LiveStreamFactory)
    user = factory.SubFactory(UserFactory)


class LiveStreamReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiveStreamReminder

    live_stream = factory.SubFactory(LiveStreamFactory)
    user = factory.SubFactory(UserFactory)


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    live_stream = factory.SubFactory(LiveStreamFactory, active=True)
    user = factory.SubFactory(UserFactory)
    role = ParticipantRole.AUDIENCE
    uid = factory.Sequence(lambda n: 1000 + n)


class ParticipationFactory(factory.django.DjangoModelFactory):
    """An open stay (`left_at=None`) unless told otherwise."""

    class Meta:
        model = Participation

    participant = factory.SubFactory(ParticipantFactory)
    live_stream = factory.SelfAttribute("participant.live_stream")
    role = factory.SelfAttribute("participant.role")
    left_at = None


def in_audience(live_stream, user=None, **kwargs) -> Participation:
    """`user` (a new one by default) sitting in the audience of `live_stream` now."""
    participant = ParticipantFactory(
        live_stream=live_stream, user=user or UserFactory(), role=ParticipantRole.AUDIENCE
    )
    return ParticipationFactory(participant=participant, **kwargs)
