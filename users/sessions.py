"""Sign-in sessions: JWT pairs, refresh with rotation, logout of every session."""

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from config.api.errors import AuthenticationRequired
from users.authentication import SESSION_VERSION_CLAIM
from users.models import User

REFRESH_INVALID = _("The refresh token is invalid, expired or already used.")


def _lifetimes() -> dict:
    return {
        "expires_in": int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()),
        "refresh_expires_in": int(settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"].total_seconds()),
    }


def tokens_for_user(*, user: User) -> dict:
    """A new refresh/access pair stamped with the user's current session version."""
    refresh = RefreshToken.for_user(user)
    refresh[SESSION_VERSION_CLAIM] = user.session_version
    return {
        "access_token": str(refresh.access_token),
        "refresh_token": str(refresh),
        **_lifetimes(),
    }


def session_refresh(*, refresh_token: str) -> dict:
    """Rotate: the old refresh token is blacklisted and a new pair is issued.

    Refuses (401) a token that is malformed, expired, blacklisted (already rotated or logged
    out), of a deleted or inactive user, or issued before the user's last logout.
    """
    try:
        refresh = RefreshToken(refresh_token)
    except TokenError as error:
        raise AuthenticationRequired(REFRESH_INVALID) from error
    user = User.objects.filter(pk=refresh.get("user_id"), is_active=True).first()
    if user is None or refresh.get(SESSION_VERSION_CLAIM) != user.session_version:
        raise AuthenticationRequired(REFRESH_INVALID)
    with transaction.atomic():
        # get_or_create on the unique token row: of two concurrent refreshes with one token,
        # only the one that creates the blacklist row gets a new pair.
        outstanding = OutstandingToken.objects.filter(jti=refresh["jti"]).first()
        if outstanding is None:
            raise AuthenticationRequired(REFRESH_INVALID)
        _blacklisted, created = BlacklistedToken.objects.get_or_create(token=outstanding)
        if not created:
            raise AuthenticationRequired(REFRESH_INVALID)
    return tokens_for_user(user=user)


@transaction.atomic
def session_logout_all(*, user: User) -> None:
    """End every session of `user`: refresh tokens are blacklisted and the session version
    moves on, so access tokens issued before now are refused as well."""
    User.objects.filter(pk=user.pk).update(session_version=F("session_version") + 1)
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
