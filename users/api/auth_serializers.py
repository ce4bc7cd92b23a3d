"""Input and output shapes of the sign-in endpoints (contract section 2)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.api.fields import StrictCharField, StrictEmailField
from users.api.serializers import UserSerializer


class SendOtpSerializer(serializers.Serializer):
    country_code = StrictCharField(max_length=5, help_text="Calling code, e.g. `90`.")
    phone_number = StrictCharField(max_length=20, help_text="National number.")


class SendOtpResultSerializer(serializers.Serializer):
    country_code = serializers.CharField()
    phone_number = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds the code stays valid.")
    code = serializers.CharField(
        required=False, help_text="Only where code echo is enabled (development, tests)."
    )


class SendEmailOtpSerializer(serializers.Serializer):
    email = StrictEmailField()


class SendEmailOtpResultSerializer(serializers.Serializer):
    email = serializers.EmailField()
    expires_in = serializers.IntegerField()
    code = serializers.CharField(required=False)


class CodeField(serializers.RegexField):
    default_error_messages = {"invalid": _("Enter the 4-digit code.")}

    def __init__(self, **kwargs):
        super().__init__(r"^[0-9]{4}$", **kwargs)

    def to_internal_value(self, data):
        # A JSON number would lose leading zeros ("0123" -> 123): only strings are codes.
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class _VerifyFieldsSerializer(serializers.Serializer):
    code = CodeField()
    signup_source = StrictCharField(max_length=50, required=False, allow_blank=True)
    signup_campaign = StrictCharField(max_length=100, required=False, allow_blank=True)


class VerifyOtpSerializer(SendOtpSerializer, _VerifyFieldsSerializer):
    pass


class VerifyEmailOtpSerializer(SendEmailOtpSerializer, _VerifyFieldsSerializer):
    pass


class TokenPairSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = StrictCharField()
    expires_in = serializers.IntegerField(help_text="Access token lifetime in seconds (3600).")
    refresh_expires_in = serializers.IntegerField(
        help_text="Refresh token lifetime in seconds (2592000)."
    )


class SignInResultSerializer(TokenPairSerializer):
    is_new_user = serializers.BooleanField()
    user = UserSerializer()


class RefreshSerializer(serializers.Serializer):
    refresh_token = StrictCharField()
