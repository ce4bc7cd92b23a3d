"""Reads of live streams: the one place that decides what a caller may see of a stream.

Lists and single streams run a fixed number of queries whatever the page size, the number
of guests or the number of people in a stream: the creator comes by join, guests and
broadcasters by one prefetch each, and the caller's role and the viewer count are
correlated subqueries of the same SELECT.
"""

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from config.api.errors import InvalidInput
from config.api.fields import get_object_or_not_found
from livestreams.models import (
    PUBLISHER_ROLES,
    LiveStream,
    LiveStreamGuest,
    LiveStreamStatus,
    Participant,
    ParticipantRole,
    Participation,
)
from users.models import Follow, User

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


def replay_access(*, live_stream: LiveStream, viewer: User | None) -> dict:
    """The caller's ReplayAccess. Rentals come with credits (contract section 5); until then
    nobody holds one, so `rented` and `expired` never appear."""
    price = live_stream.replay_credit_price
    if viewer is not None and live_stream.creator_id == viewer.pk:
        status, can_rent, can_view = "owner", False, True
    elif live_stream.recording and live_stream.is_active_replay_on_creator_profile and price:
        status, can_rent, can_view = "available", True, False
    else:
        status, can_rent, can_view = "unavailable", False, False
    return {
        "status": status,
        "can_rent": can_rent,
        "can_view_recording": can_view,
        "price": price,
        "rented_at": None,
        "expires_at": None,
        "remaining_seconds": None,
    }
