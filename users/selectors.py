"""Reads of profiles, search and followers: one query per list, whatever the page size."""

import base64
import binascii
import datetime
import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.fields import BooleanField
from django.utils.translation import gettext_lazy as _

from config.api.errors import InvalidInput, NotFound
from config.api.fields import get_object_or_not_found
from config.api.ids import is_object_id
from users.models import USERNAME_RE, Follow, User

INVALID_CURSOR = _("Invalid cursor.")
SEARCH_QUERY_MAX_LENGTH = 100


def _viewer_id(viewer) -> str | None:
    return viewer.pk if viewer is not None and viewer.is_authenticated else None


def users_visible() -> QuerySet[User]:
    """Users other people may see: active app accounts. Staff (operator) accounts are not
    app users: their profiles, follows and search hits behave like an unknown user's."""
    return User.objects.filter(is_active=True, is_staff=False).select_related("profile_photo")


def with_is_following(queryset: QuerySet[User], *, viewer) -> QuerySet[User]:
    """Annotate `is_following` (does `viewer` follow the row's user?) in the same query.

    Null for an anonymous viewer; the viewer's own row is set to null by the callers that
    can meet it.
    """
    viewer_id = _viewer_id(viewer)
    if viewer_id is None:
        return queryset.annotate(is_following=Value(None, output_field=BooleanField()))
    return queryset.annotate(
        is_following=Exists(Follow.objects.filter(follower_id=viewer_id, followee=OuterRef("pk")))
    )


def user_profile_get(*, viewer, user_id: str | None = None, username: str | None = None) -> User:
    """A public profile by id or by username; unknown, malformed, inactive or staff is
    NotFound."""
    queryset = with_is_following(users_visible(), viewer=viewer)
    if user_id is not None:
        found = get_object_or_not_found(queryset, user_id)
    else:
        if not username or not re.fullmatch(USERNAME_RE, username.lower()):
            raise NotFound()
        found = queryset.filter(username__iexact=username).first()
        if found is None:
            raise NotFound()
    if found.pk == _viewer_id(viewer):
        found.is_following = None
    return found


def user_get_active(*, user_id: str) -> User:
    """The target of a follow: an active app user; unknown, malformed, inactive or staff is
    NotFound."""
    return get_object_or_not_found(users_visible().select_related(None), user_id)


def user_search(*, query: str = "", expertise: str | None = None) -> QuerySet[User]:
    """App users matching `query` in username, name or surname, newest first.

    Staff accounts, inactive accounts and accounts that have not finished onboarding (no
    chosen username or name yet) are left out.
    """
    queryset = users_visible().filter(registration_completed=True)
    # PostgreSQL refuses NUL characters in text; no username or name holds one anyway.
    query = query.replace("\x00", "").strip()[:SEARCH_QUERY_MAX_LENGTH]
    if query:
        queryset = queryset.filter(
            Q(username__icontains=query) | Q(name__icontains=query) | Q(surname__icontains=query)
        )
    if expertise:
        queryset = queryset.filter(expertise=expertise)
    return queryset.order_by("-created_at", "-id")


def follow_is_following(*, follower: User, followee: User) -> bool:
    return Follow.objects.filter(follower=follower, followee=followee).exists()


# --- Followers, by cursor ----------------------------------------------------------------------


@dataclass(frozen=True)
class FollowersPage:
    users: list[User]
    next_cursor: str | None
    has_next_page: bool
    limit: int


def encode_cursor(follow: Follow) -> str:
    raw = f"{follow.created_at.isoformat()}|{follow.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime.datetime, str]:
    """The position after which the next page starts; anything malformed is InvalidInput."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
        created_at_text, follow_id = raw.split("|")
        created_at = datetime.datetime.fromisoformat(created_at_text)
    except (ValueError, UnicodeError, binascii.Error) as error:
        raise InvalidInput(INVALID_CURSOR, field="after") from error
    if created_at.tzinfo is None or not is_object_id(follow_id):
        raise InvalidInput(INVALID_CURSOR, field="after")
    return created_at, follow_id


def followers_page(*, user: User, after: str | None, limit: int) -> FollowersPage:
    """`user`'s followers, newest first, `limit` at a time after the cursor `after`.

    One query: each follower comes with its photo and with whether `user` follows it back.
    """
    follows = (
        Follow.objects.filter(followee=user, follower__is_active=True)
        .select_related("follower__profile_photo")
        .annotate(
            follows_back=Exists(
                Follow.objects.filter(follower=user, followee_id=OuterRef("follower_id"))
            )
        )
        .order_by("-created_at", "-id")
    )
    if after:
        created_at, follow_id = decode_cursor(after)
        follows = follows.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=follow_id)
        )
    rows = list(follows[: limit + 1])
    has_next_page = len(rows) > limit
    rows = rows[:limit]
    users = []
    for follow in rows:
        follow.follower.is_following = follow.follows_back
        users.append(follow.follower)
    return FollowersPage(
        users=users,
        next_cursor=encode_cursor(rows[-1]) if has_next_page else None,
        has_next_page=has_next_page,
        limit=limit,
    )
