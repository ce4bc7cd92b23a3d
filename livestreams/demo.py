"""Demo live streams for `manage.py seed_demo` (after `users.demo`).

Enough streams, across the demo users' interests and in every state, that each discovery feed
(contract section 8) shows something to the demo users, and the money cases of section 5:

- live now, each with an audience in it (one of them paid, its audience holding tickets);
- scheduled in the next hours, in each demo user's interests: crowdfunded ones partly
  funded (their guests ask a minute price), a paid duoself one with its guest invited;
- ended, with broadcasters (hosts, and an invited guest who joined) and watchers, one of
  them with a recording whose replay is on sale (already rented once);
- cancelled and expired;
- reminders on the scheduled ones.

The streams are made with `live_stream_create`, like the API's, and every credit moves
through the services (contributions, tickets, a rental), so `credits_audit` stays clean. Their
history (going live, ending) is written directly, since demo data has no Agora project to join
through. The people who pay get "Demo credits" once; demo_ayse spends nothing, so the 250
credits `users.demo` gives her are there to try the money endpoints with.

Idempotent: a stream is recognised by its creator and title, and never made twice; what
belongs to a stream (audience, money, reminders) is made with it. Times are relative to the
first run: on an old demo database the live streams may have ended since (housekeeping).
"""

import io
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
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
from users import services as user_services
from users.credits import services as credits
from users.credits.models import CreditTransaction, TransactionType
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
# The reason users.demo gives demo_ayse her credits with: one "Demo credits" row per person.
DEMO_CREDITS_REASON = "Demo credits"
DEMO_ADMIN_USERNAME = "admin"
# Who pays for the demo's tickets, contributions and rental, and what they start with.
DEMO_SPENDERS = {
    "demo_mehmet": Decimal("100"),
    "demo_zeynep": Decimal("100"),
    "demo_emre": Decimal("100"),
    "demo_elif": Decimal("100"),
    "demo_can": Decimal("100"),
}
# The guests of the crowdfunded streams need a minute price: a goal is that price × the
# minutes. Nobody here is the guest of a duoself stream, whose creator would pay it.
CROWD_GUEST_MINUTE_PRICES = {
    "demo_can": Decimal("1.50"),
    "demo_zeynep": Decimal("1.00"),
    "demo_mehmet": Decimal("2.00"),
}
RECORDING_URL = "https://cdn.example.com/recordings/demo-oyun-gecesi.m3u8"


@dataclass(frozen=True)
class DemoStream:
    creator: str
    title: str
    status: str
    interest: str
    color: tuple[int, int, int]
    # When it starts (scheduled) or started (live, ended, expired), from the seeding moment.
    start: timedelta = timedelta(0)
    kind: str = LiveStreamType.SOLO
    guest: str | None = None
    guest_joined: bool = False  # the invited guest has broadcast in it
    price: Decimal | None = None
    duration: int = 60
    audience: tuple[str, ...] = ()
    funders: tuple[tuple[str, Decimal], ...] = ()
    replay_price: Decimal | None = None  # ended: a recording, its replay on sale
    renters: tuple[str, ...] = ()
    reminders: tuple[str, ...] = ()


ACTIVE, SCHEDULED, PREPARING, ENDED = (
    LiveStreamStatus.ACTIVE,
    LiveStreamStatus.SCHEDULED,
    LiveStreamStatus.PREPARING,
    LiveStreamStatus.ENDED,
)

DEMO_STREAMS = [
    # --- Live now: one per creator, audiences of different sizes (featured, what's live now).
    DemoStream(
        "demo_ayse", "Akustik akşam: gitar ve şarkılar", ACTIVE, "music", (231, 76, 60),
        start=timedelta(minutes=-12), duration=240,
        audience=("demo_mehmet", "demo_zeynep", "demo_can"),
    ),
    DemoStream(
        "demo_can", "Yeni oyun incelemesi: ilk bakış", ACTIVE, "gaming", (142, 68, 173),
        start=timedelta(minutes=-25), duration=180, price=Decimal("4.99"),
        audience=("demo_emre", "demo_elif"),
    ),
    DemoStream(
        "demo_mehmet", "Pazar kahvaltısı: canlı mutfak", ACTIVE, "food", (39, 174, 96),
        start=timedelta(minutes=-8), duration=120, audience=("demo_elif",),
    ),
    DemoStream(
        "demo_elif", "Matematik kulübü: olasılık oyunları", ACTIVE, "education", (243, 156, 18),
        start=timedelta(minutes=-30), duration=180,
        audience=("demo_can", "demo_emre", "demo_zeynep", "demo_mehmet"),
    ),
    DemoStream(
        "demo_emre", "Django ile canlı kodlama", ACTIVE, "technology", (211, 84, 0),
        start=timedelta(minutes=-5), duration=240, audience=("demo_can", "demo_mehmet"),
    ),
    DemoStream(
        "demo_zeynep", "Akşam koşusu ve esneme", ACTIVE, "fitness", (41, 128, 185),
        start=timedelta(minutes=-18), duration=120, audience=("demo_ayse", "demo_elif"),
    ),
    # --- Coming up in the next hours (for you: scheduled, crowdfunding; my upcoming streams).
    DemoStream(
        "demo_mehmet", "Şefin mutfağı: İstanbul lezzetleri", SCHEDULED, "food", (46, 204, 113),
        start=timedelta(hours=3), kind=LiveStreamType.DUOSELF, guest="demo_elif",
        price=Decimal("9.99"), duration=90, reminders=("demo_ayse", "demo_elif"),
    ),
    DemoStream(
        "demo_ayse", "Gitar dersi: ilk akorlar", SCHEDULED, "education", (192, 57, 43),
        start=timedelta(hours=2), duration=45, reminders=("demo_elif", "demo_emre"),
    ),
    # Crowdfunded, partly funded: one in each demo user's interests.
    DemoStream(
        "demo_emre", "Elektronik müzik atölyesi", SCHEDULED, "music", (22, 160, 133),
        start=timedelta(hours=5), kind=LiveStreamType.DUOCROWD, guest="demo_can",
        funders=(("demo_mehmet", Decimal("30")), ("demo_zeynep", Decimal("20"))),
        reminders=("demo_ayse",),
    ),
    DemoStream(
        "demo_can", "Maç analizi: derbi öncesi", SCHEDULED, "sports", (44, 62, 80),
        start=timedelta(hours=6), kind=LiveStreamType.DUOCROWD, guest="demo_mehmet",
        funders=(("demo_elif", Decimal("40")),), reminders=("demo_zeynep",),
    ),
    DemoStream(
        "demo_elif", "Oyun geliştirmeye giriş", SCHEDULED, "technology", (127, 140, 141),
        start=timedelta(hours=8), duration=90, kind=LiveStreamType.DUOCROWD,
        guest="demo_zeynep",
        funders=(("demo_emre", Decimal("15")), ("demo_mehmet", Decimal("10"))),
        reminders=("demo_can",),
    ),
    DemoStream(
        "demo_ayse", "Mutfakta ritim: yemek ve müzik", SCHEDULED, "food", (211, 84, 0),
        start=timedelta(hours=10), kind=LiveStreamType.DUOCROWD, guest="demo_zeynep",
        funders=(("demo_can", Decimal("10")),),
    ),
    DemoStream(
        "demo_zeynep", "Spor girişimleri: fikirden şirkete", SCHEDULED, "business",
        (26, 188, 156), start=timedelta(hours=12), kind=LiveStreamType.DUOCROWD,
        guest="demo_mehmet", funders=(("demo_emre", Decimal("20")),),
    ),
    DemoStream(
        "demo_zeynep", "Sabah yogası ve nefes", PREPARING, "fitness", (52, 152, 219),
        kind=LiveStreamType.DUOCROWD, guest="demo_ayse", guest_joined=True,
    ),
    # --- Ended: broadcasters and watchers (past, broadcasted and watched streams; rankings).
    DemoStream(
        "demo_can", "Oyun gecesi turnuvası", ENDED, "gaming", (155, 89, 182),
        start=-timedelta(days=1, hours=2), audience=("demo_emre", "demo_ayse", "demo_zeynep"),
        replay_price=Decimal("4.99"), renters=("demo_mehmet",),
    ),
    DemoStream(
        "demo_ayse", "Dünkü akustik prova", ENDED, "music", (231, 76, 60),
        start=timedelta(days=-2), duration=45,
        audience=("demo_mehmet", "demo_zeynep", "demo_emre"),
    ),
    DemoStream(
        "demo_emre", "Düet gecesi: şarkılar ve hikâyeler", ENDED, "music", (230, 126, 34),
        start=timedelta(days=-3), kind=LiveStreamType.DUOSELF, guest="demo_ayse",
        guest_joined=True,
        audience=("demo_can", "demo_elif"),
    ),
    DemoStream(
        "demo_mehmet", "Hafta sonu pazar turu", ENDED, "travel", (39, 174, 96),
        start=timedelta(days=-4), audience=("demo_ayse", "demo_elif"),
    ),
    DemoStream(
        "demo_elif", "Sınav öncesi soru çözümü", ENDED, "education", (243, 156, 18),
        start=timedelta(days=-5), duration=90,
        audience=("demo_can", "demo_zeynep", "demo_mehmet"),
    ),
    DemoStream(
        "demo_zeynep", "Pilates: temel hareketler", ENDED, "fitness", (41, 128, 185),
        start=timedelta(days=-6), duration=45, audience=("demo_ayse", "demo_elif", "demo_emre"),
    ),
    # --- Over before they began.
    DemoStream(
        "demo_emre", "Python ile API geliştirme", LiveStreamStatus.CANCELLED_BY_HOST,
        "technology", (230, 126, 34),
    ),
    DemoStream(
        "demo_elif", "Girişimcilik sohbeti", LiveStreamStatus.EXPIRED, "business", (241, 196, 15),
        start=timedelta(days=-2), kind=LiveStreamType.DUOSELF, guest="demo_emre",
        price=Decimal("4.50"),
    ),
]  # fmt: skip


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


def _seed_credits(people: dict[str, User]) -> None:
    """Credits for the people who pay in the demo, once each: a re-run finds the adjustment
    by its reason, "Demo credits" (as users.demo does for demo_ayse), and adds nothing."""
    staff = User.objects.filter(username=DEMO_ADMIN_USERNAME, is_staff=True).first()
    for username, amount in DEMO_SPENDERS.items():
        user = people[username]
        given = CreditTransaction.objects.filter(
            user=user, type=TransactionType.ADJUSTMENT, reason=DEMO_CREDITS_REASON
        ).exists()
        if not given:
            credits.balance_adjust(
                user=user, amount=amount, reason=DEMO_CREDITS_REASON, staff=staff
            )


def _seed_minute_prices(people: dict[str, User]) -> None:
    """The crowdfunded streams' guests ask a minute price (a price they set since is kept)."""
    for username, price in CROWD_GUEST_MINUTE_PRICES.items():
        if not people[username].minute_price_in_live_stream:
            people[username] = user_services.user_update(
                user=people[username], data={"minute_price_in_live_stream": price}
            )


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


def _live_through(live_stream: LiveStream, spec: DemoStream, people: dict[str, User]) -> None:
    """Write the history a stream in `spec.status` would have had, with its audience (who
    hold tickets to a paid stream, as a join would have charged them)."""
    now = timezone.now()
    start = now + spec.start
    end = start + timedelta(minutes=spec.duration)
    guest = people[spec.guest] if spec.guest else None
    if spec.status in (ACTIVE, ENDED):
        ended = spec.status == ENDED
        LiveStream.objects.filter(pk=live_stream.pk).update(
            status=spec.status, started_at=start, planned_start_date=start,
            planned_end_date=end, ended_at=end if ended else None,
        )  # fmt: skip
        live_stream.refresh_from_db()
        _sit(live_stream, live_stream.creator, ParticipantRole.HOST, joined_at=start,
             left_at=end if ended else None)  # fmt: skip
        if guest is not None and spec.guest_joined:
            _sit(live_stream, guest, ParticipantRole.GUEST, joined_at=start,
                 left_at=end if ended else None)  # fmt: skip
        for index, username in enumerate(spec.audience):
            services.ticket_for(live_stream=live_stream, user=people[username])
            _sit(
                live_stream,
                people[username],
                ParticipantRole.AUDIENCE,
                joined_at=start + timedelta(minutes=2 + index),
                left_at=end if ended else None,
            )
    elif spec.status == LiveStreamStatus.EXPIRED:
        LiveStream.objects.filter(pk=live_stream.pk).update(
            status=spec.status, planned_start_date=start, planned_end_date=end
        )
    elif spec.status == LiveStreamStatus.CANCELLED_BY_HOST:
        services.live_stream_cancel(live_stream=live_stream, actor=live_stream.creator)
    elif spec.status == PREPARING and guest is not None and spec.guest_joined:
        _sit(live_stream, guest, ParticipantRole.GUEST, joined_at=now)
    if spec.status in (ENDED, LiveStreamStatus.EXPIRED):
        # As ending or expiring would: a held guest fee is paid out or refunded (none is
        # held unless a guest has set a minute price since the demo users were made).
        services.settle([services.lock(live_stream)])


def _seed_money(live_stream: LiveStream, spec: DemoStream, people: dict[str, User]) -> None:
    """Contributions, a recording with its replay on sale, rentals: through the services."""
    for username, amount in spec.funders:
        services.live_stream_fund(live_stream=live_stream, user=people[username], amount=amount)
    if spec.replay_price is not None:
        services.live_stream_recording_attach(live_stream=live_stream, url=RECORDING_URL)
        services.live_stream_update_replay_settings(
            live_stream=live_stream,
            actor=live_stream.creator,
            changes={
                "is_active_replay_on_creator_profile": True,
                "replay_credit_price": spec.replay_price,
            },
        )
        for username in spec.renters:
            services.live_stream_replay_rent(live_stream=live_stream, user=people[username])


def _seed_reminders(live_stream: LiveStream, spec: DemoStream, people: dict[str, User]) -> None:
    for username in spec.reminders:
        services.live_stream_reminder_set(live_stream=live_stream, user=people[username])


def _make(spec: DemoStream, people: dict[str, User]) -> LiveStream:
    creator = people[spec.creator]
    scheduled = spec.status == SCHEDULED
    live_stream = services.live_stream_create(
        creator=creator,
        title=spec.title,
        live_stream_type=spec.kind,
        guest_ids=[people[spec.guest].pk] if spec.guest else [],
        thumbnail=_thumbnail(spec.title, spec.color),
        price=spec.price,
        interest=spec.interest,
        duration_goal=spec.duration,
        motivation=f"{creator.name} ile {spec.title.lower()}.",
        planned_start_date=timezone.now() + spec.start if scheduled else None,
    )
    _live_through(live_stream, spec, people)
    _seed_money(live_stream, spec, people)
    _seed_reminders(live_stream, spec, people)
    return live_stream


def seed(stdout) -> None:
    people = _people()
    _seed_minute_prices(people)
    _seed_credits(people)
    made = there = 0
    for spec in DEMO_STREAMS:
        creator = people[spec.creator]
        if LiveStream.objects.filter(creator=creator, title=spec.title).exists():
            there += 1
            continue
        if (
            spec.status == ACTIVE
            and LiveStream.objects.filter(creator=creator, status=ACTIVE).exists()
        ):
            # Someone went live as this demo user since: one live stream per creator.
            stdout.write(f"Skipped {spec.title!r}: {spec.creator} is live already.")
            continue
        _make(spec, people)
        made += 1
    stdout.write(f"Live streams: {made} made, {there} already there.")
    paid = next(spec for spec in DEMO_STREAMS if spec.status == ACTIVE and spec.price)
    crowd = next(spec for spec in DEMO_STREAMS if spec.funders)
    replay = next(spec for spec in DEMO_STREAMS if spec.replay_price)
    stdout.write(
        f"Money to try as demo_ayse: a ticket to {paid.title!r} (live; joining needs "
        f"AGORA_APP_ID and AGORA_APP_CERTIFICATE, see the README), funding "
        f"{crowd.title!r}, renting the replay of {replay.title!r}."
    )
