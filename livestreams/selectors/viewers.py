"""Who is in a stream's audience now (GET /live-stream/{id}/viewers)."""

from django.db.models import BooleanField, Case, Exists, F, OuterRef, Q, QuerySet, Value, When

from livestreams.models import LiveStream, Participation
from livestreams.selectors.streams import PROFILE_PHOTO_FIELDS, USER_SUMMARY_FIELDS
from users.models import Follow, User

SEARCH_MAX_LENGTH = 100
# What a viewer shows beyond its UserSummary (api.serializers.LiveStreamViewerSerializer).
VIEWER_EXTRA_FIELDS = ("followers_count", "following_count", "expertise")


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
