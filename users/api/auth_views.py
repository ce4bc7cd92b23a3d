"""Sign-in, refresh and logout (contract section 2). Thin: validate, one service, shape."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from config.api.fields import client_ip
from config.api.schema import error_responses
from users import otp, sessions
from users.api.auth_serializers import (
    RefreshSerializer,
    SendEmailOtpResultSerializer,
    SendEmailOtpSerializer,
    SendOtpResultSerializer,
    SendOtpSerializer,
    SignInResultSerializer,
    TokenPairSerializer,
    VerifyEmailOtpSerializer,
    VerifyOtpSerializer,
)
from users.api.throttles import OtpIpThrottle
from users.authentication import JWTAuthentication

AUTH_TAG = ["auth"]


def _sign_in(request, serializer_class, make_destination, **options) -> Response:
    """Verify a code sent by SMS or email; the two differ only in how the destination reads."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    code = data.pop("code")
    signup = {key: data.pop(key, "") for key in ("signup_source", "signup_campaign")}
    result = otp.otp_verify(
        destination=make_destination(**data),
        code=code,
        address=client_ip(request),
        **signup,
        **options,
    )
    return Response(SignInResultSerializer(result, context={"request": request}).data)


class _SendOtpView(APIView):
    """Requests for a code count per address; codes sent count per destination (users.otp)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [OtpIpThrottle]


class _VerifyOtpView(APIView):
    """Wrong codes are limited by users.otp, which alone knows which guesses were wrong; the
    requests themselves only count against the default per-address and per-user rates."""

    authentication_classes = []
    permission_classes = [AllowAny]


@extend_schema(
    tags=AUTH_TAG,
    summary="Send a one-time code by SMS",
    request=SendOtpSerializer,
    responses={201: SendOtpResultSerializer, **error_responses(429, 503)},
    examples=[
        OpenApiExample(
            "Turkish mobile number",
            value={"countryCode": "90", "phoneNumber": "5551234567"},
            request_only=True,
        ),
        OpenApiExample(
            "Code sent",
            value={"countryCode": "90", "phoneNumber": "5551234567", "expiresIn": 300},
            response_only=True,
            status_codes=["201"],
        ),
    ],
)
class SendOtpView(_SendOtpView):
    def post(self, request):
        serializer = SendOtpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        destination = otp.phone_destination(**serializer.validated_data)
        return Response(otp.otp_send(destination=destination), status=status.HTTP_201_CREATED)


@extend_schema(
    tags=AUTH_TAG,
    summary="Sign in with an SMS code (the first sign-in creates the account)",
    request=VerifyOtpSerializer,
    responses={200: SignInResultSerializer, **error_responses(403, 429)},
)
class VerifyOtpView(_VerifyOtpView):
    def post(self, request):
        return _sign_in(request, VerifyOtpSerializer, otp.phone_destination)


@extend_schema(
    tags=AUTH_TAG,
    summary="Send a one-time code by email",
    request=SendEmailOtpSerializer,
    responses={201: SendEmailOtpResultSerializer, **error_responses(429, 503)},
)
class SendEmailOtpView(_SendOtpView):
    def post(self, request):
        serializer = SendEmailOtpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        destination = otp.email_destination(**serializer.validated_data)
        return Response(otp.otp_send(destination=destination), status=status.HTTP_201_CREATED)


@extend_schema(
    tags=AUTH_TAG,
    summary="Sign in with an email code (the first sign-in creates the account)",
    description=(
        "Only a verified address signs in to an existing account; an address that was only "
        "typed into a profile is not one. Sent with a bearer token (optional), the code "
        "confirms the address on the caller's own account instead: 409 if another account "
        "has verified it."
    ),
    request=VerifyEmailOtpSerializer,
    responses={200: SignInResultSerializer, **error_responses(403, 409, 429)},
)
class VerifyEmailOtpView(_VerifyOtpView):
    authentication_classes = [JWTAuthentication]  # optional: a bad token is still a 401

    def post(self, request):
        signed_in_user = request.user if request.user.is_authenticated else None
        return _sign_in(
            request,
            VerifyEmailOtpSerializer,
            otp.email_destination,
            signed_in_user=signed_in_user,
        )


@extend_schema(
    tags=AUTH_TAG,
    summary="Rotate the refresh token: a new pair; the old refresh token stops working",
    request=RefreshSerializer,
    responses={200: TokenPairSerializer, **error_responses(401)},
)
class RefreshView(APIView):
    # No authenticator: an expired access token in the header must not block a refresh.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = sessions.session_refresh(refresh_token=serializer.validated_data["refresh_token"])
        return Response(TokenPairSerializer(pair).data)


@extend_schema(
    tags=AUTH_TAG,
    summary="Log out everywhere: every refresh and access token issued until now stops working",
    request=None,
    responses={200: None},
)
class LogoutView(APIView):
    def post(self, request):
        sessions.session_logout_all(user=request.user)
        return Response(None)
