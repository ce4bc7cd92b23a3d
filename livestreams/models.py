"""Live streams, their invited guests, and who joined them (contract sections 1 and 4).

- `LiveStream`: one stream, soft-deleted with `deleted_at`. Its status moves only through
  `LiveStreamStatus.TRANSITIONS`, which the services consult (livestreams.services).
- `LiveStreamGuest`: the people the creator invited to broadcast with them.
- `Participant`: one person in one stream, with the role they hold there and the Agora uid
  they keep for the life of the stream.
- `Participation`: one stay of a participant (joined, left, from which device). A participant
  has at most one open stay at a time, which the database enforces.
- `ReplayRental`: one paid rental of a stream's replay, with the ledger row that paid for it
  and the moment it runs out (fixed when rented: a later change of REPLAY_RENTAL_HOURS leaves
  rentals already made as they were sold).
- `LiveStreamReminder`: "remind me when it goes live", one per person and stream.
- `ChatMessage`: one message of a stream's chat; hidden (never deleted) by its sender, the
  creator or staff (contract section 9).
- `LiveStreamBan`: the creator's ban of one person from one stream.
- `AgoraEvent`: one notice of Agora's Notification Center, kept for staff, once per
  `noticeId` (contract section 12); `AgoraPresence`: the newest `clientSeq` seen per uid.

`LiveStreamQuerySet` is the vocabulary every read composes (livestreams.selectors): which
streams are visible, live, upcoming in a window, in some interests, created by, invited to,
broadcast by or watched by someone. The indexes beside each model name the query they serve.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.ids import ObjectIdField
from users.models import Interest

MAX_DURATION_MINUTES = 720
MAX_PRICE = 100000
# A funding goal is a minute price (10 digits) times up to 720 minutes.
FUNDING_GOAL_DIGITS = 14
# Agora's uid is a non-zero unsigned 32-bit number.
UID_MAX = 2**32 - 1


class LiveStreamStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    PREPARING = "preparing", _("Preparing")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    EXPIRED = "expired", _("Expired")
    CANCELLED_BY_HOST = "cancelled_by_host", _("Cancelled by the host")
    CANCELLED_BY_GUEST = "cancelled_by_guest", _("Cancelled by a guest")


# The whole state machine. A status missing from the keys is final.
_NOT_STARTED = (LiveStreamStatus.SCHEDULED, LiveStreamStatus.PREPARING)
TRANSITIONS: dict[str, frozenset[str]] = {
    LiveStreamStatus.SCHEDULED: frozenset(
        {
            LiveStreamStatus.PREPARING,
            LiveStreamStatus.ACTIVE,
            LiveStreamStatus.EXPIRED,
            LiveStreamStatus.CANCELLED_BY_HOST,
            LiveStreamStatus.CANCELLED_BY_GUEST,
        }
    ),
    LiveStreamStatus.PREPARING: frozenset(
        {
            LiveStreamStatus.ACTIVE,
            LiveStreamStatus.EXPIRED,
            LiveStreamStatus.CANCELLED_BY_HOST,
            LiveStreamStatus.CANCELLED_BY_GUEST,
        }
    ),
    LiveStreamStatus.ACTIVE: frozenset({LiveStreamStatus.ENDED}),
}
NOT_STARTED_STATUSES = frozenset(_NOT_STARTED)
FINAL_STATUSES = frozenset(set(LiveStreamStatus.values) - set(TRANSITIONS))


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


class LiveStreamType(models.TextChoices):
    SOLO = "solo", _("Solo")
    DUOCROWD = "duocrowd", _("Duo (crowd)")
    DUOSELF = "duoself", _("Duo (self)")


class AccessType(models.TextChoices):
    FREE = "free", _("Free")
    PAID = "paid", _("Paid")


class ParticipantRole(models.TextChoices):
    HOST = "host", _("Host")
    GUEST = "guest", _("Guest")
    AUDIENCE = "audience", _("Audience")


PUBLISHER_ROLES = (ParticipantRole.HOST, ParticipantRole.GUEST)
# What "upcoming" lists for a person (contract section 8): live and preparing streams always,
# scheduled ones inside a window.
UPCOMING_STATUSES = (
    LiveStreamStatus.ACTIVE,
    LiveStreamStatus.PREPARING,
    LiveStreamStatus.SCHEDULED,
)


class LiveStreamQuerySet(models.QuerySet):
    """Filters only: what the rows are, never how they are shaped or ordered (selectors)."""

    def visible(self):
        """What the API shows: everything not soft-deleted."""
        return self.filter(deleted_at__isnull=True)

    def deleted(self):
        return self.filter(deleted_at__isnull=False)

    def live(self):
        return self.filter(status=LiveStreamStatus.ACTIVE)

    def ended(self):
        return self.filter(status=LiveStreamStatus.ENDED)

    def scheduled(self):
        return self.filter(status=LiveStreamStatus.SCHEDULED)

    def not_started(self):
        return self.filter(status__in=NOT_STARTED_STATUSES)

    def in_interests(self, interests):
        """Streams whose `interest` is one of `interests`; none for an empty list."""
        interests = [value for value in interests or () if value in Interest.values]
        if not interests:
            return self.none()
        return self.filter(interest__in=interests)

    def taking_funding(self):
        """Crowdfunded (duocrowd) streams with a funding goal."""
        return self.filter(live_stream_type=LiveStreamType.DUOCROWD, funding_goal__isnull=False)

    def created_by(self, user):
        return self.filter(creator=user)

    def invited(self, user):
        """Streams `user` is invited to as a guest (served by the guest's user index)."""
        return self.filter(pk__in=LiveStreamGuest.objects.filter(user=user).values("live_stream"))

    def upcoming_for(self, user, *, start, end):
        """`user`'s streams, as creator or invited guest, that are live or preparing, or
        scheduled to start in [`start`, `end`].

        The two sides are one UNION of ids (the creator's through `live_stream_creator_upcoming`,
        the guest's through the invitations' user index), not `creator = x OR id IN (...)`,
        which PostgreSQL can only answer by reading every stream.
        """
        as_creator = (
            LiveStream.objects.visible()
            .filter(creator=user, status__in=UPCOMING_STATUSES)
            .order_by()
            .values("pk")
        )
        as_guest = LiveStreamGuest.objects.filter(user=user).order_by().values("live_stream")
        return self.filter(pk__in=as_creator.union(as_guest)).filter(
            Q(status__in=(LiveStreamStatus.ACTIVE, LiveStreamStatus.PREPARING))
            | Q(status=LiveStreamStatus.SCHEDULED, planned_start_date__range=(start, end))
        )

    def broadcast_by(self, user):
        """Streams `user` broadcast in: as host, or as a guest who joined (a publisher
        participant row exists only once someone has joined with publishing rights)."""
        return self.filter(
            pk__in=Participant.objects.filter(user=user, role__in=PUBLISHER_ROLES).values(
                "live_stream"
            )
        )

    def watched_by(self, user):
        """Streams `user` joined as audience, each once."""
        return self.filter(
            pk__in=Participant.objects.filter(user=user, role=ParticipantRole.AUDIENCE).values(
                "live_stream"
            )
        )

    def started_since(self, since):
        return self.filter(started_at__gte=since)


def thumbnail_path(instance: "LiveStream", filename: str) -> str:
    return f"live-streams/{instance.id}/{filename}"


def recording_path(instance: "LiveStream", filename: str) -> str:
    return f"live-streams/{instance.id}/recording/{filename}"


class LiveStream(models.Model):
    id = ObjectIdField(primary_key=True)
    title = models.CharField(max_length=120)
    live_stream_type = models.CharField(
        max_length=10, choices=LiveStreamType.choices, default=LiveStreamType.SOLO
    )
    # Agora channel names are at most 64 bytes; ours are ASCII `[a-z0-9-]`, so 63 characters.
    channel_name = models.CharField(max_length=63, unique=True, editable=False)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_streams"
    )
    guests = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="LiveStreamGuest",
        related_name="guest_live_streams",
        blank=True,
    )
    thumbnail = models.ImageField(upload_to=thumbnail_path, max_length=255, blank=True)
    recording = models.BooleanField(default=False)
    # A recording is a URL (Agora Cloud Recording's, a CDN's) or a file in our storage, which
    # is served to renters by a short-lived signed URL on S3 (livestreams.recordings).
    recording_url = models.URLField(max_length=500, blank=True)
    recording_file = models.FileField(upload_to=recording_path, max_length=255, blank=True)
    status = models.CharField(
        max_length=20, choices=LiveStreamStatus.choices, default=LiveStreamStatus.PREPARING
    )
    access_type = models.CharField(
        max_length=4, choices=AccessType.choices, default=AccessType.FREE
    )
    # Null for a free stream; the paid price otherwise (credits).
    price = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    interest = models.CharField(max_length=20, choices=Interest.choices, null=True, blank=True)
    duration_goal = models.PositiveSmallIntegerField(default=60)
    # Crowdfunding (duocrowd): the guest's minute price times `duration_goal`, fixed at
    # creation; null for a stream that takes no funding. What was collected is read from the
    # ledger (livestreams.selectors), never stored twice.
    funding_goal = models.DecimalField(
        max_digits=FUNDING_GOAL_DIGITS, decimal_places=2, null=True, blank=True
    )
    motivation = models.CharField(max_length=1000, null=True, blank=True)
    is_active_replay_on_creator_profile = models.BooleanField(null=True, blank=True)
    replay_credit_price = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_PRICE)],
    )
    planned_start_date = models.DateTimeField()
    planned_end_date = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = LiveStreamQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Closes the race of two join-as-creator calls for two streams of one creator:
            # the second UPDATE to `active` fails on this index, whatever the timing.
            models.UniqueConstraint(
                fields=["creator"],
                condition=Q(status=LiveStreamStatus.ACTIVE),
                name="live_stream_one_active_per_creator",
            ),
            models.CheckConstraint(
                condition=Q(duration_goal__gte=1, duration_goal__lte=MAX_DURATION_MINUTES),
                name="live_stream_duration_goal_range",
            ),
            models.CheckConstraint(
                condition=(
                    Q(access_type=AccessType.FREE, price__isnull=True)
                    | Q(access_type=AccessType.PAID, price__gt=0, price__lte=MAX_PRICE)
                ),
                name="live_stream_price_matches_access",
            ),
            models.CheckConstraint(
                condition=Q(replay_credit_price__isnull=True)
                | Q(replay_credit_price__gt=0, replay_credit_price__lte=MAX_PRICE),
                name="live_stream_replay_price_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=LiveStreamStatus.values),
                name="live_stream_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(funding_goal__isnull=True)
                | Q(funding_goal__gt=0, live_stream_type=LiveStreamType.DUOCROWD),
                name="live_stream_funding_goal_duocrowd",
            ),
        ]
        indexes = [
            # GET /live-stream: visible streams, newest first, optionally by status.
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(deleted_at__isnull=True),
                name="live_stream_visible_recent",
            ),
            models.Index(
                fields=["status", "-created_at", "-id"],
                condition=Q(deleted_at__isnull=True),
                name="live_stream_status_recent",
            ),
            # Housekeeping: not-started streams by planned start, live ones by planned end.
            models.Index(fields=["status", "planned_start_date"], name="live_stream_status_start"),
            models.Index(fields=["status", "planned_end_date"], name="live_stream_status_end"),
            models.Index(fields=["creator", "-created_at"], name="live_stream_creator_recent"),
            # Discovery (contract section 8). Each is partial on what its feed reads, so it
            # holds only the rows that feed can show.
            # featured, whats-live-now, for-you/live, catch-streamers: the visible live
            # streams, latest start first (catch-streamers reads it in order and stops).
            models.Index(
                fields=["-started_at", "-id"],
                condition=Q(status=LiveStreamStatus.ACTIVE, deleted_at__isnull=True),
                name="live_stream_live_recent",
            ),
            # for-you/scheduled: scheduled streams of some interests, soonest first.
            models.Index(
                fields=["interest", "planned_start_date", "id"],
                condition=Q(status=LiveStreamStatus.SCHEDULED, deleted_at__isnull=True),
                name="live_stream_scheduled_soon",
            ),
            # for-you/crowdfunding: not-started duocrowd streams with a goal, by interest.
            models.Index(
                fields=["interest", "planned_start_date", "id"],
                condition=Q(
                    status__in=_NOT_STARTED,
                    live_stream_type=LiveStreamType.DUOCROWD,
                    funding_goal__isnull=False,
                    deleted_at__isnull=True,
                ),
                name="live_stream_crowdfunding_open",
            ),
            # my-past-streams, user/{id}/past-streams: a creator's ended streams, latest end
            # first.
            models.Index(
                fields=["creator", "-ended_at", "-id"],
                condition=Q(status=LiveStreamStatus.ENDED, deleted_at__isnull=True),
                name="live_stream_creator_ended",
            ),
            # my-upcoming-streams and user/{id}/upcoming-live-streams (the creator's side of
            # LiveStreamQuerySet.upcoming_for).
            models.Index(
                fields=["creator", "planned_start_date"],
                condition=Q(status__in=UPCOMING_STATUSES, deleted_at__isnull=True),
                name="live_stream_creator_upcoming",
            ),
            # most-watched-creators: the streams that went live in the last 30 days, with
            # their creator in the index (read without visiting the rows).
            models.Index(
                fields=["started_at", "creator"],
                condition=Q(started_at__isnull=False, deleted_at__isnull=True),
                name="live_stream_started_creator",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @staticmethod
    def planned_end_for(start, duration_goal: int):
        return start + timedelta(minutes=duration_goal)

    @property
    def is_over(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_paid(self) -> bool:
        return self.access_type == AccessType.PAID

    @property
    def takes_funding(self) -> bool:
        return self.funding_goal is not None

    @property
    def guest_users(self) -> list:
        """The invited guests in invitation order (prefetched by the selectors)."""
        invitations = getattr(self, "guest_list", None)
        if invitations is None:
            invitations = self.guest_invitations.select_related("user__profile_photo")
        return [invitation.user for invitation in invitations]


class LiveStreamGuest(models.Model):
    """An invitation to broadcast in a stream (fixed at creation)."""

    id = ObjectIdField(primary_key=True)
    live_stream = models.ForeignKey(
        LiveStream, on_delete=models.CASCADE, related_name="guest_invitations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_stream_invitations"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["live_stream", "user"], name="live_stream_guest_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} invited to {self.live_stream_id}"


class Participant(models.Model):
    """A person who has joined a stream at least once, in one role, with one Agora uid."""

    id = ObjectIdField(primary_key=True)
    live_stream = models.ForeignKey(
        LiveStream, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_stream_participants"
    )
    role = models.CharField(max_length=10, choices=ParticipantRole.choices)
    # Agora's uid: a non-zero unsigned 32-bit number, kept for every token of this person in
    # this stream, so the apps can map the video tiles back to people.
    uid = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["live_stream", "user"], name="live_stream_participant_unique"
            ),
            models.UniqueConstraint(
                fields=["live_stream", "uid"], name="live_stream_participant_uid_unique"
            ),
            models.CheckConstraint(
                condition=Q(uid__gte=1, uid__lte=UID_MAX), name="live_stream_participant_uid_range"
            ),
        ]
        indexes = [
            models.Index(fields=["live_stream", "role"], name="ls_participant_stream_role"),
            # most-watched-creators: the audience that first joined in the last 30 days, in
            # time order (rows arrive in that order), with the stream and the person in the
            # index so the ranking reads no participant row. (broadcast_by and watched_by
            # read a person's rows by the user FK index.)
            models.Index(
                fields=["created_at", "live_stream", "user"],
                condition=Q(role=ParticipantRole.AUDIENCE),
                name="ls_participant_audience_recent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} as {self.role} in {self.live_stream_id}"

    @property
    def is_publisher(self) -> bool:
        return self.role in PUBLISHER_ROLES


class ParticipationQuerySet(models.QuerySet):
    def open_audience(self, live_stream):
        """The audience in `live_stream` now: stays not yet left. `live_stream` may be an
        `OuterRef` for a subquery. Served by the `ls_participation_open` index."""
        return self.filter(
            live_stream=live_stream, role=ParticipantRole.AUDIENCE, left_at__isnull=True
        )


class Participation(models.Model):
    """One stay of a participant in a stream, from join to leave (or the stream's end)."""

    id = ObjectIdField(primary_key=True)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="participations"
    )
    # Copied from the participant so the viewer count and viewer list use one index.
    live_stream = models.ForeignKey(
        LiveStream, on_delete=models.CASCADE, related_name="participations"
    )
    role = models.CharField(max_length=10, choices=ParticipantRole.choices)
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    device_type = models.CharField(max_length=50, blank=True)
    device_model = models.CharField(max_length=100, blank=True)
    os_version = models.CharField(max_length=50, blank=True)
    app_version = models.CharField(max_length=50, blank=True)
    country = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        ordering = ["-joined_at", "-id"]
        constraints = [
            # Two concurrent joins by one person leave one open stay: the second INSERT
            # fails here and the service hands back the first.
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(left_at__isnull=True),
                name="live_stream_one_open_participation",
            ),
        ]
        indexes = [
            # viewerCount and GET /{id}/viewers: the open stays of one stream, newest first.
            models.Index(
                fields=["live_stream", "role", "-joined_at"],
                condition=Q(left_at__isnull=True),
                name="ls_participation_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} from {self.joined_at:%Y-%m-%d %H:%M}"


class ReplayRental(models.Model):
    """One paid rental of a replay: `user` may watch it from `rented_at` until `expires_at`."""

    id = ObjectIdField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="replay_rentals"
    )
    live_stream = models.ForeignKey(
        LiveStream, on_delete=models.PROTECT, related_name="replay_rentals"
    )
    # The `replay_rental` ledger row that paid for it (one rental per row).
    transaction = models.OneToOneField(
        "users.CreditTransaction", on_delete=models.PROTECT, related_name="replay_rental"
    )
    rented_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-rented_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("rented_at")), name="replay_rental_expires_after"
            ),
        ]
        indexes = [
            # The caller's latest rental of each stream (every LiveStream representation).
            models.Index(
                fields=["user", "live_stream", "-expires_at"], name="replay_rental_latest"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} rents {self.live_stream_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class LiveStreamReminder(models.Model):
    """`user` wants to hear when `live_stream` goes live (the notification comes with the
    notifications work; contract section 10). One row per person and stream: setting it
    twice, even at the same moment, keeps one (the unique constraint)."""

    id = ObjectIdField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_stream_reminders"
    )
    # The FK index serves "who to notify when this stream goes live".
    live_stream = models.ForeignKey(LiveStream, on_delete=models.CASCADE, related_name="reminders")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Also the index of `isReminderActive` on every LiveStream (user, then stream).
            models.UniqueConstraint(
                fields=["user", "live_stream"], name="live_stream_reminder_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} reminded of {self.live_stream_id}"


class ChatMessage(models.Model):
    """One chat message. Hiding sets `hidden_at`; a hidden message never comes back in
    history, and the row stays for moderation."""

    id = ObjectIdField(primary_key=True)
    live_stream = models.ForeignKey(
        LiveStream, on_delete=models.CASCADE, related_name="chat_messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_messages"
    )
    content = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    # Who hid it: the sender, the creator, or a staff member (null once that user is gone).
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # A stream's history, newest first, without the hidden ones.
            models.Index(
                fields=["live_stream", "-created_at", "-id"],
                condition=Q(hidden_at__isnull=True),
                name="ls_chat_history",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender_id} in {self.live_stream_id}: {self.content[:40]}"


class LiveStreamBan(models.Model):
    """`user` may not join, renew a token or chat in `live_stream` while this row exists
    (lifting the ban deletes it)."""

    id = ObjectIdField(primary_key=True)
    live_stream = models.ForeignKey(LiveStream, on_delete=models.CASCADE, related_name="bans")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_stream_bans"
    )
    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Also the index of "is this person banned here" (stream, then user).
            models.UniqueConstraint(fields=["live_stream", "user"], name="live_stream_ban_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} banned from {self.live_stream_id}"


class AgoraEvent(models.Model):
    """One notice from Agora's Notification Center, stored as received (contract section 12).
    `notice_id` is unique: a redelivery finds the row and changes nothing."""

    id = ObjectIdField(primary_key=True)
    notice_id = models.CharField(max_length=128, unique=True)
    product_id = models.IntegerField()
    event_type = models.IntegerField()
    # Agora's `notifyMs`: when Agora sent it.
    notify_ms = models.BigIntegerField(null=True, blank=True)
    channel_name = models.CharField(max_length=64, blank=True)
    live_stream = models.ForeignKey(
        LiveStream,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agora_events",
    )
    payload = models.JSONField()
    # What it did here, in a few words for staff ("closed the stay of uid 123", "ignored:
    # older clientSeq", "unknown channel").
    outcome = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["live_stream", "-received_at"], name="agora_event_stream"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}/{self.event_type} {self.channel_name} ({self.notice_id})"


class AgoraPresence(models.Model):
    """The newest channel event seen for one uid in one stream: presence events arrive out of
    order, and one with a lower `clientSeq` than this is stale."""

    id = ObjectIdField(primary_key=True)
    live_stream = models.ForeignKey(
        LiveStream, on_delete=models.CASCADE, related_name="agora_presences"
    )
    uid = models.PositiveBigIntegerField()
    client_seq = models.BigIntegerField()
    event_type = models.IntegerField()
    in_channel = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["live_stream", "uid"], name="agora_presence_unique"),
        ]

    def __str__(self) -> str:
        state = "in" if self.in_channel else "out"
        return f"uid {self.uid} {state} of {self.live_stream_id} at seq {self.client_seq}"
