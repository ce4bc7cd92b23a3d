"""Users' wire shapes (contract sections 1 and 3).

`UserSummarySerializer` and `ProfilePhotoSerializer` are the shared object shapes the other
apps embed (creator, guests, viewers); they are the one public part of this module.
Field names are snake_case here and camelCased by the renderer; `_id` stays as it is.
"""

import datetime
import re
from decimal import Decimal

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.fields import StrictCharField, absolute_url
from users.models import (
    USERNAME_RE,
    AvailabilityStatus,
    Expertise,
    Gender,
    Interest,
    ProfilePhoto,
    User,
)

# Usernames as the schema states them (contract section 3). Stored and answered: lower case.
USERNAME_SCHEMA = {
    "type": "string",
    "pattern": USERNAME_RE,
    "minLength": 3,
    "maxLength": 30,
    "description": "3 to 30 characters of `a-z 0-9 . _`.",
}
# What a request may send: the same, with upper-case letters, which are stored lowered.
USERNAME_INPUT_RE = r"^[A-Za-z0-9._]{3,30}$"
USERNAME_INPUT_SCHEMA = {
    **USERNAME_SCHEMA,
    "pattern": USERNAME_INPUT_RE,
    "description": (
        "3 to 30 characters of `a-z 0-9 . _`; upper-case letters are taken as lower case. "
        "Unique ignoring case."
    ),
}


@extend_schema_field(USERNAME_SCHEMA)
class UsernameOutputField(serializers.CharField):
    pass


class ProfilePhotoSerializer(serializers.ModelSerializer):
    _id = serializers.CharField(source="id", read_only=True)
    url = serializers.SerializerMethodField()
    type = serializers.SerializerMethodField()
    variants = serializers.SerializerMethodField()

    class Meta:
        model = ProfilePhoto
        fields = ["_id", "url", "type", "variants", "created_at", "updated_at"]

    def get_url(self, photo: ProfilePhoto) -> str:
        return absolute_url(self.context.get("request"), photo.original.url)

    def get_type(self, photo: ProfilePhoto) -> str:
        return "image"

    def get_variants(self, photo: ProfilePhoto) -> dict[str, str]:
        request = self.context.get("request")
        return {
            size: absolute_url(request, file.url) for size, file in photo.variant_files().items()
        }


class UserSummarySerializer(serializers.ModelSerializer):
    """Creator, guests, viewers, chat senders. Needs `select_related("profile_photo")`."""

    _id = serializers.CharField(source="id", read_only=True)
    username = UsernameOutputField(read_only=True)
    profile_photo = ProfilePhotoSerializer(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = ["_id", "username", "name", "surname", "profile_photo", "availability_status"]
        read_only_fields = fields


class PublicProfileSerializer(serializers.ModelSerializer):
    """What anyone may see of a user. `is_following` is annotated by the selector (null when
    the caller is anonymous or is this user)."""

    _id = serializers.CharField(source="id", read_only=True)
    username = UsernameOutputField(read_only=True)
    profile_photo = ProfilePhotoSerializer(read_only=True, allow_null=True)
    age = serializers.IntegerField(read_only=True, allow_null=True)
    is_following = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "_id",
            "name",
            "surname",
            "username",
            "availability_status",
            "profile_photo",
            "interests",
            "expertise",
            "age",
            "minute_price_in_live_stream",
            "followers_count",
            "following_count",
            "bio",
            "instagram",
            "snapchat",
            "x",
            "tiktok",
            "facebook",
            "is_following",
        ]
        read_only_fields = fields

    def get_is_following(self, user: User) -> bool | None:
        return getattr(user, "is_following", None)


class UserSerializer(PublicProfileSerializer):
    """The caller's own full record (`GET /api/v1/users/me`)."""

    class Meta(PublicProfileSerializer.Meta):
        fields = [
            *PublicProfileSerializer.Meta.fields,
            "email",
            "country_code",
            "phone_number",
            "birth_date",
            "gender",
            "signup_source",
            "signup_campaign",
            "credit_balance",
            "registration_completed",
            "privacy_policy_accepted",
            "privacy_policy_version",
            "username_changed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# --- Output shapes of section 3 ------------------------------------------------------------


class UserSearchItemSerializer(UserSummarySerializer):
    """A search hit: UserSummary plus `expertise`."""

    class Meta(UserSummarySerializer.Meta):
        fields = [*UserSummarySerializer.Meta.fields, "expertise"]
        read_only_fields = fields


class FollowerSerializer(UserSummarySerializer):
    """A follower: UserSummary plus counters, expertise and whether the caller follows back."""

    is_following = serializers.SerializerMethodField()

    class Meta(UserSummarySerializer.Meta):
        fields = [
            *UserSummarySerializer.Meta.fields,
            "followers_count",
            "following_count",
            "is_following",
            "expertise",
        ]
        read_only_fields = fields

    def get_is_following(self, user: User) -> bool:
        return bool(getattr(user, "is_following", False))


class FollowersPageInfoSerializer(serializers.Serializer):
    next_cursor = serializers.CharField(allow_null=True)
    has_next_page = serializers.BooleanField()
    limit = serializers.IntegerField()


class FollowersPageSerializer(serializers.Serializer):
    users = FollowerSerializer(many=True)
    page_info = FollowersPageInfoSerializer()

    def to_representation(self, page):
        return {
            "users": FollowerSerializer(page.users, many=True, context=self.context).data,
            "page_info": {
                "next_cursor": page.next_cursor,
                "has_next_page": page.has_next_page,
                "limit": page.limit,
            },
        }


class FollowResultSerializer(serializers.Serializer):
    is_following = serializers.BooleanField()
    previously_following = serializers.BooleanField()


class FollowStatusSerializer(serializers.Serializer):
    is_following = serializers.BooleanField()


# --- Input shapes of section 3 -------------------------------------------------------------

BIRTH_DATE_IN_FUTURE = _("The birth date cannot be in the future.")
TOO_YOUNG = _("You must be at least %(age)s years old.")
BIRTH_DATE_TOO_OLD = _("Enter a birth date after 1900-01-01.")
INVALID_USERNAME = _("Use 3 to 30 characters: lowercase letters, digits, dots and underscores.")
MINIMUM_AGE = 13
MAX_INTERESTS = 10
# The raw list may repeat an interest; this bounds it before duplicates are dropped.
MAX_INTERESTS_SENT = 50


@extend_schema_field(USERNAME_INPUT_SCHEMA)
class UsernameField(StrictCharField):
    """Contract usernames: 3-30 of `a-z 0-9 . _`; upper case letters are lowered.

    The value is checked as sent, before it is lowered, so what passes is exactly what the
    schema's pattern says (no surrounding spaces; no non-ASCII letter whose lower case happens
    to be ASCII, such as the Kelvin sign).
    """

    def __init__(self, **kwargs):
        # The lengths are the pattern's too (which refuses first, with INVALID_USERNAME); as
        # validators they also give the schema its minLength and maxLength.
        kwargs.setdefault("min_length", 3)
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not re.fullmatch(USERNAME_INPUT_RE, value):
            raise serializers.ValidationError(INVALID_USERNAME, code="invalid")
        return value.lower()


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": list(Interest.values)},
        "maxItems": MAX_INTERESTS_SENT,
        "description": (
            "Interests from the shared list. Duplicates are dropped (the first kept) before "
            f"they are counted: at most {MAX_INTERESTS} different interests, in a list of at "
            f"most {MAX_INTERESTS_SENT} items."
        ),
    }
)
class InterestsField(serializers.ListField):
    """Items from `Interest`, duplicates dropped (first occurrence kept), at most 10."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.ChoiceField(choices=Interest.choices))
        kwargs.setdefault("max_length", MAX_INTERESTS_SENT)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        # The raw list is bounded before duplicates are dropped: 200,000 copies of "music" are
        # refused, not validated one by one.
        if isinstance(data, list) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        values = list(dict.fromkeys(super().to_internal_value(data)))
        if len(values) > MAX_INTERESTS:
            raise serializers.ValidationError(
                _("Choose at most %(count)s interests.") % {"count": MAX_INTERESTS},
                code="max_length",
            )
        return values


class BirthDateField(serializers.DateField):
    """A date (`2000-01-15`). A full ISO 8601 date-time is accepted too, since apps often send
    dates as midnight date-times, and its date part is taken as written whatever the offset:
    a birth date is a calendar date, so `2000-01-01T00:00:00+03:00` is 2000-01-01, not the
    1999-12-31 that converting to UTC would give."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validators", [validate_birth_date])
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str) and len(value) > 10 and value[10] in "Tt ":
            try:
                parsed = parse_datetime(value)
            except ValueError:
                parsed = None
            if parsed is not None:
                return parsed.date()
        return super().to_internal_value(value)


def validate_birth_date(value: datetime.date) -> datetime.date:
    today = timezone.now().date()
    if value > today:
        raise serializers.ValidationError(BIRTH_DATE_IN_FUTURE)
    if value < datetime.date(1900, 1, 1):
        raise serializers.ValidationError(BIRTH_DATE_TOO_OLD)
    age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
    if age < MINIMUM_AGE:
        raise serializers.ValidationError(TOO_YOUNG % {"age": MINIMUM_AGE})
    return value


class WholeBodySerializer(serializers.Serializer):
    """The body of a PATCH that is never partial (the username, the photo): its required
    fields are required. drf-spectacular reads every PATCH body as partial (nothing required)
    unless the serializer cannot be made partial, which this one cannot."""

    @property
    def partial(self) -> bool:
        return False

    @partial.setter
    def partial(self, value) -> None:
        pass


class UserUpdateSerializer(serializers.Serializer):
    """`PATCH /users/me`: every field optional; server-owned fields are not here (ignored)."""

    name = StrictCharField(max_length=60)
    surname = StrictCharField(max_length=60)
    bio = StrictCharField(max_length=500, allow_blank=True)
    birth_date = BirthDateField()
    gender = serializers.ChoiceField(choices=Gender.choices)
    interests = InterestsField()
    expertise = serializers.ChoiceField(choices=Expertise.choices, allow_null=True)
    availability_status = serializers.ChoiceField(choices=AvailabilityStatus.choices)
    # Credits per minute: the same ceiling as a stream's price (contract section 4).
    minute_price_in_live_stream = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100000")
    )
    instagram = StrictCharField(max_length=100, allow_blank=True)
    x = StrictCharField(max_length=100, allow_blank=True)
    tiktok = StrictCharField(max_length=100, allow_blank=True)
    snapchat = StrictCharField(max_length=100, allow_blank=True)
    facebook = StrictCharField(max_length=100, allow_blank=True)
    email = serializers.EmailField(max_length=254)

    def validate_email(self, value: str) -> str:
        return value.lower()


class OnboardingStep1Serializer(serializers.Serializer):
    name = StrictCharField(max_length=60)
    surname = StrictCharField(max_length=60)
    username = UsernameField()
    birth_date = BirthDateField()


class OnboardingStep2Serializer(serializers.Serializer):
    gender = serializers.ChoiceField(choices=Gender.choices)


class OnboardingStep3Serializer(serializers.Serializer):
    interests = InterestsField()
    expertise = serializers.ChoiceField(
        choices=Expertise.choices, allow_null=True, required=False, default=None
    )


class UsernameChangeSerializer(WholeBodySerializer):
    new_username = UsernameField()


class ProfilePhotoUploadSerializer(WholeBodySerializer):
    file = serializers.FileField(
        allow_empty_file=False,
        help_text="A JPEG, PNG or WebP image, at most 10 MB and 40 megapixels.",
    )


class UserSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    expertise = serializers.ChoiceField(choices=Expertise.choices, required=False)
