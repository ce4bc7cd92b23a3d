"""Reads of live streams: the one place that decides what a caller may see of a stream.

Lists and single streams run a fixed number of queries whatever the page size, the number
of guests or the number of people in a stream: the creator comes by join, guests and
broadcasters by one prefetch each, and the caller's role, the viewer count, the funding
collected and the caller's latest replay rental are correlated subqueries of the same SELECT.

What a crowdfunded stream has collected is read from the ledger each time (a sum over its
held `funding` rows), not kept in a second column: the ledger is the one truth, and a
settlement made anywhere (the API, the admin, housekeeping, a later background job) can
never leave a stored total behind.
"""

import math
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.errors import InvalidInput
from config.api.fields import get_object_or_not_found
from livestreams.models import (
    FUNDING_GOAL_DIGITS,
    NOT_STARTED_STATUSES,
    PUBLISHER_ROLES,
    LiveStream,
    LiveStreamGuest,
    LiveStreamStatus,
    Participant,
    ParticipantRole,
    Participation,
    ReplayRental,
)
from users.credits.models import CreditTransaction, TransactionStatus, TransactionType
from users.models import Follow, User

# Contributions that count towards a goal: held or paid out, not refunded.
COUNTED_STATUSES = (TransactionStatus.PENDING, TransactionStatus.COMPLETED)
# A recording URL handed out is signed for at most this long (contract section 5).
RECORDING_URL_MAX_SECONDS = 3600
PERCENT = Decimal("0.01")

UNKNOWN_STATUS = _("Unknown status {value}; use one of {choices}.")
SEARCH_MAX_LENGTH = 100

# What a UserSummary reads of a user and of its photo (users.api.serializers). A user row has
# about 40 columns (JSON, dates, counters) and a list page loads up to ~60 users: loading only
# these columns saves building and converting the rest, which was most of a page's ORM time.
USER_SUMMARY_FIELDS = ("id", "username", "name", "surname", "availability_status")
PROFILE_PHOTO_FIELDS = (
    "id",
    "original",
    "variant_40",
    "variant_76",
    "variant_96",
    "created_at",
    "updated_at",
)

# What a viewer shows beyond its UserSummary (api.serializers.LiveStreamViewerSerializer).
VIEWER_EXTRA_FIELDS = ("followers_count", "following_count", "expertise")


def user_summary_only(path: str) -> list[str]:
    """`.only()` arguments for the user at `path` (`creator`, `user`) and its photo, to go
    with `select_related(f"{path}__profile_photo")`."""
    return [
        *(f"{path}__{field}" for field in USER_SUMMARY_FIELDS),
        *(f"{path}__profile_photo__{field}" for field in PROFILE_PHOTO_FIELDS),
    ]


_LIVE_STREAM_FIELDS = tuple(field.name for field in LiveStream._meta.concrete_fields)


def _with_viewer_role(queryset: QuerySet[LiveStream], *, viewer: User) -> QuerySet[LiveStream]:
    """`viewer_role`: host, guest, audience (has joined as audience) or null."""
    return queryset.annotate(
        viewer_role=Case(
            When(creator_id=viewer.pk, then=Value(ParticipantRole.HOST.value)),
            When(
                Exists(LiveStreamGuest.objects.filter(live_stream=OuterRef("pk"), user=viewer)),
                then=Value(ParticipantRole.GUEST.value),
            ),
            When(
                Exists(
                    Participant.objects.filter(
                        live_stream=OuterRef("pk"), user=viewer, role=ParticipantRole.AUDIENCE
                    )
                ),
                then=Value(ParticipantRole.AUDIENCE.value),
            ),
            default=Value(None),
            output_field=CharField(),
        )
    )


def _with_collected_funding(queryset: QuerySet[LiveStream]) -> QuerySet[LiveStream]:
    """`collected_funding`: the stream's held and paid-out contributions (0 without any)."""
    collected = (
        CreditTransaction.objects.filter(
            live_stream=OuterRef("pk"), type=TransactionType.FUNDING, status__in=COUNTED_STATUSES
        )
        .order_by()
        .values("live_stream")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    amount = DecimalField(max_digits=FUNDING_GOAL_DIGITS, decimal_places=2)
    return queryset.annotate(
        collected_funding=Coalesce(
            Subquery(collected, output_field=amount), Value(Decimal("0"), output_field=amount)
        )
    )


def _with_viewer_rental(queryset: QuerySet[LiveStream], *, viewer: User) -> QuerySet[LiveStream]:
    """`viewer_rented_at`, `viewer_rental_expires_at`: the caller's latest rental of each
    stream (served by the `replay_rental_latest` index), or nulls (an anonymous caller)."""
    if viewer is None or not viewer.is_authenticated:
        none = Value(None, output_field=DateTimeField())
        return queryset.annotate(viewer_rented_at=none, viewer_rental_expires_at=none)
    latest = ReplayRental.objects.filter(live_stream=OuterRef("pk"), user=viewer).order_by(
        "-expires_at"
    )
    return queryset.annotate(
        viewer_rented_at=Subquery(latest.values("rented_at")[:1]),
        viewer_rental_expires_at=Subquery(latest.values("expires_at")[:1]),
    )


def live_streams_for(*, viewer: User, include_deleted: bool = False) -> QuerySet[LiveStream]:
    """Every visible (not deleted) stream, shaped for the LiveStream object.

    `include_deleted` serves only the answer to a DELETE, which returns the record it hid.
    """
    viewer_count = (
        Participation.objects.open_audience(OuterRef("pk"))
        .order_by()
        .values("live_stream")
        .annotate(total=Count("pk"))
        .values("total")
    )
    queryset = (
        (LiveStream.objects.all() if include_deleted else LiveStream.objects.visible())
        .select_related("creator__profile_photo")
        .only(*_LIVE_STREAM_FIELDS, *user_summary_only("creator"))
        .prefetch_related(
            Prefetch(
                "guest_invitations",
                queryset=LiveStreamGuest.objects.select_related("user__profile_photo").only(
                    "live_stream", "user", *user_summary_only("user")
                ),
                to_attr="guest_list",
            ),
            Prefetch(
                "participants",
                queryset=Participant.objects.filter(role__in=PUBLISHER_ROLES)
                .select_related("user__profile_photo")
                .only("live_stream", "user", "role", "uid", *user_summary_only("user"))
                .annotate(
                    has_joined=Exists(
                        Participation.objects.filter(
                            participant=OuterRef("pk"), left_at__isnull=True
                        )
                    )
                ),
                to_attr="broadcaster_list",
            ),
        )
        .annotate(
            viewer_count=Coalesce(Subquery(viewer_count, output_field=IntegerField()), Value(0))
        )
    )
    queryset = _with_collected_funding(queryset)
    queryset = _with_viewer_rental(queryset, viewer=viewer)
    return _with_viewer_role(queryset, viewer=viewer)


def parse_statuses(raw: str | None) -> list[str] | None:
    """`?status=active` or `?status=scheduled,preparing`; an unknown value is a 400."""
    if raw is None or not raw.strip():
        return None
    statuses = [part.strip() for part in raw.split(",") if part.strip()]
    for status in statuses:
        if status not in LiveStreamStatus.values:
            raise InvalidInput(
                UNKNOWN_STATUS.format(
                    value=status[:40], choices=", ".join(LiveStreamStatus.values)
                ),
                field="status",
            )
    return statuses


def live_stream_list(*, viewer: User, statuses: list[str] | None = None) -> QuerySet[LiveStream]:
    queryset = live_streams_for(viewer=viewer)
    if statuses:
        queryset = queryset.filter(status__in=statuses)
    return queryset.order_by("-created_at", "-id")


def live_stream_get(
    *, viewer: User, live_stream_id: str, include_deleted: bool = False
) -> LiveStream:
    """One visible stream; unknown, malformed or deleted ids are NotFound. A stream deleted
    while a request acts on it is NotFound too, never a 500."""
    return get_object_or_not_found(
        live_streams_for(viewer=viewer, include_deleted=include_deleted), live_stream_id
    )


def live_streams_funded_by(*, viewer: User) -> QuerySet[LiveStream]:
    """GET /live-stream/funded: the `scheduled` or `preparing` streams `viewer` has a
    contribution in that was not refunded, soonest planned start first."""
    funded = CreditTransaction.objects.filter(
        live_stream=OuterRef("pk"),
        user=viewer,
        type=TransactionType.FUNDING,
        status__in=COUNTED_STATUSES,
    )
    return (
        live_streams_for(viewer=viewer)
        .filter(Exists(funded), status__in=NOT_STARTED_STATUSES)
        .order_by("planned_start_date", "id")
    )


def live_stream_get_plain(*, live_stream_id: str) -> LiveStream:
    """One visible stream without the output annotations, for the services to act on."""
    return get_object_or_not_found(LiveStream.objects.visible(), live_stream_id)


def clean_search(raw: str | None) -> str:
    """The `search` text as the viewer list uses it: trimmed, capped, without NUL (which
    PostgreSQL refuses in text). Empty means no search."""
    return (raw or "").replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]


def live_stream_viewers(
    *, live_stream: LiveStream, viewer: User, search: str = ""
) -> QuerySet[User]:
    """The people in the audience of `live_stream` now (open stays), newest arrivals first.

    Each user comes with `joined_at` (when this stay began) and `is_following` (whether
    `viewer` follows them; null on the viewer's own row), in the same query as the page.
    `search` (see `clean_search`) matches username, name or surname.
    """
    # A person has one participant row per stream and at most one open stay, so this join
    # gives one row per person, and the annotations below reuse its join to the stay.
    stay = "live_stream_participants__participations"
    queryset = (
        User.objects.filter(**{f"{stay}__in": Participation.objects.open_audience(live_stream)})
        .select_related("profile_photo")
        .only(
            *USER_SUMMARY_FIELDS,
            *VIEWER_EXTRA_FIELDS,
            *(f"profile_photo__{field}" for field in PROFILE_PHOTO_FIELDS),
        )
        .annotate(
            joined_at=F(f"{stay}__joined_at"),
            stay_id=F(f"{stay}__id"),
            is_following=Case(
                When(pk=viewer.pk, then=Value(None)),
                default=Exists(Follow.objects.filter(follower=viewer, followee=OuterRef("pk"))),
                output_field=BooleanField(),
            ),
        )
        .order_by("-joined_at", "-stay_id")
    )
    if search:
        queryset = queryset.filter(
            Q(username__icontains=search) | Q(name__icontains=search) | Q(surname__icontains=search)
        )
    return queryset


def live_stream_audience_total(*, live_stream: LiveStream) -> int:
    return Participation.objects.open_audience(live_stream).count()


def funding_percentage(*, collected: Decimal, goal: Decimal | None) -> Decimal:
    """collected / goal × 100, rounded half up to 2 decimals; 0 without a goal."""
    if not goal:
        return Decimal("0")
    return (collected * 100 / goal).quantize(PERCENT, rounding=ROUND_HALF_UP)


def replay_is_rentable(live_stream: LiveStream) -> bool:
    """An `ended` stream with a recording, the replay turned on and a price."""
    return bool(
        live_stream.status == LiveStreamStatus.ENDED
        and live_stream.recording
        and live_stream.is_active_replay_on_creator_profile
        and live_stream.replay_credit_price
    )


def _latest_rental(live_stream: LiveStream, viewer: User) -> tuple[datetime | None, ...]:
    if hasattr(live_stream, "viewer_rental_expires_at"):  # annotated by live_streams_for
        return live_stream.viewer_rented_at, live_stream.viewer_rental_expires_at
    rental = (
        ReplayRental.objects.filter(live_stream=live_stream, user=viewer)
        .order_by("-expires_at")
        .values_list("rented_at", "expires_at")
        .first()
    )
    return rental or (None, None)


def replay_access(
    *, live_stream: LiveStream, viewer: User | None, now: datetime | None = None
) -> dict:
    """The caller's ReplayAccess (contract section 1):

    - `owner`: the creator, who may always view and never rents;
    - `rented`: an unexpired rental, which may view until `expiresAt` (even if the creator
      turns the replay off meanwhile: it was paid for);
    - `expired`: the latest rental ran out and the replay may be rented again;
    - `available`: may rent (see `replay_is_rentable`);
    - `unavailable`: anything else (a past rental of a replay no longer rentable included).
    """
    now = now or timezone.now()
    price = live_stream.replay_credit_price
    rentable = replay_is_rentable(live_stream)
    signed_in = viewer is not None and viewer.is_authenticated
    rented_at, expires_at = _latest_rental(live_stream, viewer) if signed_in else (None, None)
    remaining = None
    if signed_in and live_stream.creator_id == viewer.pk:
        status, can_rent, can_view = "owner", False, True
        rented_at = expires_at = None
    elif expires_at is not None and expires_at > now:
        status, can_rent, can_view = "rented", False, True
        remaining = math.ceil((expires_at - now).total_seconds())
    elif expires_at is not None and rentable:
        status, can_rent, can_view = "expired", True, False
        remaining = 0
    elif rentable:
        status, can_rent, can_view = "available", True, False
    else:
        status, can_rent, can_view = "unavailable", False, False
        rented_at = expires_at = None
    return {
        "status": status,
        "can_rent": can_rent,
        "can_view_recording": can_view,
        "price": price,
        "rented_at": rented_at,
        "expires_at": expires_at,
        "remaining_seconds": remaining,
    }


def recording_url_for(*, live_stream: LiveStream, access: dict) -> str | None:
    """Where the caller may fetch the recording, if `access` lets them view it: the attached
    URL as it is, or the stored file's URL. On S3 the file's URL is pre-signed to expire
    within the hour and no later than the caller's rental, whatever the storage's own
    `querystring_auth` says (photos may be public; a paid recording never is). May be a
    relative URL (local files): the serializer makes it absolute."""
    if not access["can_view_recording"]:
        return None
    if not live_stream.recording_file:
        return live_stream.recording_url or None
    expires_in = RECORDING_URL_MAX_SECONDS
    if access["remaining_seconds"] is not None:
        expires_in = max(1, min(expires_in, access["remaining_seconds"]))
    return _storage_url(live_stream.recording_file, expires_in=expires_in)


def _storage_url(file, *, expires_in: int) -> str:
    storage = file.storage
    bucket = getattr(storage, "bucket_name", None)
    if bucket is None:  # not S3: the storage's own URL
        return file.url
    if storage.querystring_auth and not storage.custom_domain:
        return storage.url(file.name, expire=expires_in)
    # Signed with the storage's own credentials, whatever its public URL settings.
    return storage.connection.meta.client.generate_presigned_url(
        "get_object",
        Params={"Bucket": bucket, "Key": storage._normalize_name(file.name)},
        ExpiresIn=expires_in,
    )
