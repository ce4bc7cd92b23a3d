"""Users' wire shapes (contract sections 1 and 3).

`UserSummarySerializer` and `ProfilePhotoSerializer` are the shared object shapes the other
apps embed (creator, guests, viewers); they are the one public part of this module.
Field names are snake_case here and camelCased by the renderer; `_id` stays as it is.
"""

from rest_framework import serializers

from config.api.fields import absolute_url
from users.models import ProfilePhoto, User


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
        return {size: absolute_url(request, file.url) for size, file in photo.variant_files().items()}


class UserSummarySerializer(serializers.ModelSerializer):
    """Creator, guests, viewers, chat senders. Needs `select_related("profile_photo")`."""

    _id = serializers.CharField(source="id", read_only=True)
    profile_photo = ProfilePhotoSerializer(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = ["_id", "username", "name", "surname", "profile_photo", "availability_status"]
        read_only_fields = fields


class PublicProfileSerializer(serializers.ModelSerializer):
    """What anyone may see of a user. `is_following` is annotated by the selector (null when
    the caller is anonymous or is this user)."""

    _id = serializers.CharField(source="id", read_only=True)
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
