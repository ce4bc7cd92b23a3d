"""The LiveStream object: the one place that decides what a caller may see of a stream.

Lists and single streams run a fixed number of queries whatever the page size, the number
of guests or the number of people in a stream: the creator comes by join, guests and
broadcasters by one prefetch each, and the caller's role, the viewer count, the funding
collected, the caller's latest replay rental and the caller's reminder are correlated
subqueries of the same SELECT.

What a crowdfunded stream has collected is read from the ledger each time (a sum over its
held `funding` rows), not kept in a second column: the ledger is the one truth, and a
settlement made anywhere (the API, the admin, housekeeping, a later background job) can
never leave a stored total behind.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from config.api.errors import InvalidInput
from config.api.fields import get_object_or_not_found
from livestreams.models import (
    FUNDING_GOAL_DIGITS,
    NOT_STARTED_STATUSES,
    PUBLISHER_ROLES,
    LiveStream,
    LiveStreamGuest,
    LiveStreamReminder,
    LiveStreamStatus,
    Participant,
    ParticipantRole,
    Participation,
    ReplayRental,
)
from users.credits.models import CreditTransaction, TransactionStatus, TransactionType
from users.models import User

# Contributions that count towards a goal: held or paid out, not refunded.
COUNTED_STATUSES = (TransactionStatus.PENDING, TransactionStatus.COMPLETED)
PERCENT = Decimal("0.01")

UNKNOWN_STATUS = _("Unknown status {value}; use one of {choices}.")

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


def user_summary_only(path: str) -> list[str]:
    """`.only()` arguments for the user at `path` (`creator`, `user`) and its photo, to go
    with `select_related(f"{path}__profile_photo")`."""
    return [
        *(f"{path}__{field}" for field in USER_SUMMARY_FIELDS),
        *(f"{path}__profile_photo__{field}" for field in PROFILE_PHOTO_FIELDS),
    ]


_LIVE_STREAM_FIELDS = tuple(field.name for field in LiveStream._meta.concrete_fields)


def signed_in(viewer) -> bool:
    return viewer is not None and viewer.is_authenticated


def viewer_count_subquery(live_stream=None) -> Coalesce:
    """The audience in a stream now (its open audience stays, `ls_participation_open`), as a
    subquery of the stream at `live_stream` (an `OuterRef`; the outer row by default). For
    any query that shows a `viewerCount`: search v2's active streams too."""
    counts = (
        Participation.objects.open_audience(live_stream or OuterRef("pk"))
        .order_by()
        .values("live_stream")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def with_viewer_count(queryset: QuerySet[LiveStream]) -> QuerySet[LiveStream]:
    """`viewer_count`: see `viewer_count_subquery`."""
    return queryset.annotate(viewer_count=viewer_count_subquery())


def _with_viewer_role(queryset: QuerySet[LiveStream], *, viewer: User) -> QuerySet[LiveStream]:
    """`viewer_role`: host, guest, audience (has joined as audience) or null (anonymous)."""
    if not signed_in(viewer):
        return queryset.annotate(viewer_role=Value(None, output_field=CharField()))
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


def _with_reminder(queryset: QuerySet[LiveStream], *, viewer: User) -> QuerySet[LiveStream]:
    """`is_reminder_active`: whether the caller has a reminder for the stream (an EXISTS on
    the reminders' unique index, so a list costs no extra query); null for anonymous."""
    if not signed_in(viewer):
        return queryset.annotate(is_reminder_active=Value(None, output_field=BooleanField()))
    return queryset.annotate(
        is_reminder_active=Exists(
            LiveStreamReminder.objects.filter(live_stream=OuterRef("pk"), user=viewer)
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
    if not signed_in(viewer):
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
    """Every visible (not deleted) stream, shaped for the LiveStream object as `viewer` sees
    it (`viewer` may be anonymous). Every feed filters and orders this one queryset.

    `include_deleted` serves only the answer to a DELETE, which returns the record it hid.
    """
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
    )
    queryset = with_viewer_count(queryset)
    queryset = _with_collected_funding(queryset)
    queryset = _with_viewer_rental(queryset, viewer=viewer)
    queryset = _with_reminder(queryset, viewer=viewer)
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


def funding_percentage(*, collected: Decimal, goal: Decimal | None) -> Decimal:
    """collected / goal × 100, rounded half up to 2 decimals; 0 without a goal."""
    if not goal:
        return Decimal("0")
    return (collected * 100 / goal).quantize(PERCENT, rounding=ROUND_HALF_UP)
