"""Demo live streams for `manage.py seed_demo` (after `users.demo`).

Streams in every interesting state, with thumbnails, guests and an audience. They are made
with `live_stream_create`, like the API's; their later history (going live, ending, being
cancelled) is written directly, since demo data has no Agora project to join through.
Idempotent: a stream is recognised by its creator and title, and never made twice.
"""

import io
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.utils import timezone
from PIL import Image, ImageDraw

from livestreams import agora, services
from livestreams.models import (
    LiveStream,
    LiveStreamStatus,
    LiveStreamType,
    Participant,
    ParticipantRole,
    Participation,
)
from users.models import User

# Used only when users.demo has not made its people (the same usernames, so it can later).
FALLBACK_USERS = [
    ("demo_ayse", "Ayşe", "Yılmaz"),
    ("demo_mehmet", "Mehmet", "Kaya"),
    ("demo_zeynep", "Zeynep", "Demir"),
    ("demo_can", "Can", "Şahin"),
    ("demo_elif", "Elif", "Çelik"),
    ("demo_emre", "Emre", "Öztürk"),
]

# creator, title, type, guest, state, interest, price, color, audience
DEMO_STREAMS = [
    (
        "demo_ayse",
        "Akustik akşam: gitar ve şarkılar",
        LiveStreamType.SOLO,
        None,
        LiveStreamStatus.ACTIVE,
        "music",
        None,
        (231, 76, 60),
        ["demo_mehmet", "demo_zeynep", "demo_can"],
    ),
    (
        "demo_mehmet",
        "Şefin mutfağı: İstanbul lezzetleri",
        LiveStreamType.DUOSELF,
        "demo_elif",
        LiveStreamStatus.SCHEDULED,
        "food",
        Decimal("9.99"),
        (46, 204, 113),
        [],
    ),
    (
        "demo_zeynep",
        "Sabah yogası ve nefes",
        LiveStreamType.DUOCROWD,
        "demo_ayse",
        LiveStreamStatus.PREPARING,
        "fitness",
        None,
        (52, 152, 219),
        [],
    ),
    (
        "demo_can",
        "Oyun gecesi turnuvası",
        LiveStreamType.SOLO,
        None,
        LiveStreamStatus.ENDED,
        "gaming",
        None,
        (155, 89, 182),
        ["demo_emre"],
    ),
    (
        "demo_emre",
        "Python ile API geliştirme",
        LiveStreamType.SOLO,
        None,
        LiveStreamStatus.CANCELLED_BY_HOST,
        "technology",
        None,
        (230, 126, 34),
        [],
    ),
    (
        "demo_elif",
        "Girişimcilik sohbeti",
        LiveStreamType.DUOSELF,
        "demo_emre",
        LiveStreamStatus.EXPIRED,
        "business",
        Decimal("4.50"),
        (241, 196, 15),
        [],
    ),
]


def _thumbnail(title: str, color: tuple[int, int, int]) -> SimpleUploadedFile:
    image = Image.new("RGB", (1280, 720), color)
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 520, 1220, 660), fill=(255, 255, 255))
    draw.text((90, 575), title, fill=color)
    draw.ellipse((560, 180, 720, 340), outline=(255, 255, 255), width=12)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return SimpleUploadedFile("thumbnail.jpg", buffer.getvalue(), content_type="image/jpeg")


def _people() -> dict[str, User]:
    usernames = [username for username, _name, _surname in FALLBACK_USERS]
    people = {user.username: user for user in User.objects.filter(username__in=usernames)}
    for username, name, surname in FALLBACK_USERS:
        if username not in people:
            people[username], _created = User.objects.get_or_create(
                username=username,
                defaults={"name": name, "surname": surname, "registration_completed": True},
            )
    return people


def _sit(live_stream: LiveStream, user: User, role: str, *, joined_at, left_at=None) -> None:
    participant = Participant.objects.create(
        live_stream=live_stream,
        user=user,
        role=role,
        uid=agora.candidate_uid(live_stream_id=live_stream.pk, user_id=user.pk),
    )
    Participation.objects.create(
        participant=participant,
        live_stream=live_stream,
        role=role,
        joined_at=joined_at,
        left_at=left_at,
        device_type="mobile_ios",
        device_model="iPhone 15",
        os_version="17.4",
        app_version="1.0.0",
        country="TR",
    )


def _live_through(live_stream: LiveStream, status: str, people, audience, guest) -> None:
    """Write the history a stream in `status` would have had."""
    now = timezone.now()
    if status == LiveStreamStatus.ACTIVE:
        started = now - timedelta(minutes=12)
        LiveStream.objects.filter(pk=live_stream.pk).update(
            status=status, started_at=started, planned_start_date=started,
            planned_end_date=started + timedelta(minutes=live_stream.duration_goal),
        )  # fmt: skip
        _sit(live_stream, live_stream.creator, ParticipantRole.HOST, joined_at=started)
        for index, username in enumerate(audience):
            _sit(
                live_stream,
                people[username],
                ParticipantRole.AUDIENCE,
                joined_at=started + timedelta(minutes=2 + index),
            )
    elif status == LiveStreamStatus.ENDED:
        started = now - timedelta(days=1, hours=2)
        ended = started + timedelta(minutes=live_stream.duration_goal)
        LiveStream.objects.filter(pk=live_stream.pk).update(
            status=status,
            started_at=started,
            ended_at=ended,
            planned_start_date=started,
            planned_end_date=ended,
            recording=True,
            recording_url="https://cdn.example.com/recordings/demo-oyun-gecesi.m3u8",
            is_active_replay_on_creator_profile=True,
            replay_credit_price=Decimal("4.99"),
        )
        _sit(
            live_stream, live_stream.creator, ParticipantRole.HOST, joined_at=started, left_at=ended
        )
        for username in audience:
            _sit(
                live_stream,
                people[username],
                ParticipantRole.AUDIENCE,
                joined_at=started + timedelta(minutes=5),
                left_at=ended,
            )
    elif status == LiveStreamStatus.EXPIRED:
        start = now - timedelta(days=2)
        LiveStream.objects.filter(pk=live_stream.pk).update(
            status=status,
            planned_start_date=start,
            planned_end_date=start + timedelta(minutes=live_stream.duration_goal),
        )
    elif status == LiveStreamStatus.CANCELLED_BY_HOST:
        services.live_stream_cancel(live_stream=live_stream, actor=live_stream.creator)
    elif status == LiveStreamStatus.PREPARING and guest is not None:
        _sit(live_stream, people[guest], ParticipantRole.GUEST, joined_at=now)


def seed(stdout) -> None:
    people = _people()
    made = 0
    for creator_name, title, kind, guest, status, interest, price, color, audience in DEMO_STREAMS:
        creator = people[creator_name]
        if LiveStream.objects.filter(Q(creator=creator) & Q(title=title)).exists():
            continue
        scheduled = status == LiveStreamStatus.SCHEDULED
        live_stream = services.live_stream_create(
            creator=creator,
            title=title,
            live_stream_type=kind,
            guest_ids=[people[guest].pk] if guest else [],
            thumbnail=_thumbnail(title, color),
            price=price,
            interest=interest,
            duration_goal=90 if scheduled else 60,
            motivation=f"{creator.name} ile {title.lower()}.",
            planned_start_date=timezone.now() + timedelta(days=1) if scheduled else None,
        )
        _live_through(live_stream, status, people, audience, guest)
        made += 1
    stdout.write(f"Live streams: {made} made, {len(DEMO_STREAMS) - made} already there.")
