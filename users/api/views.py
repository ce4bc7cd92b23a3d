"""Profiles, onboarding, photos, search and follows (contract section 3). Thin views: validate,
call one service or selector, shape the result."""

from djangorestframework_camel_case.parser import CamelCaseMultiPartParser
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from config.api.pagination import PagePagination, limit_parameter, read_page_and_limit
from config.api.schema import error_responses
from users import selectors, services
from users.api import serializers
from users.models import User

USERS_TAG = ["users"]
ONBOARDING_TAG = ["onboarding"]
FOLLOW_TAG = ["follow"]
FOLLOWERS_DEFAULT_LIMIT = 20
FOLLOWERS_MAX_LIMIT = 50

_FOLLOWERS_LIMIT = limit_parameter(
    default=FOLLOWERS_DEFAULT_LIMIT, maximum=FOLLOWERS_MAX_LIMIT, name="Followers"
)
_USER_ID = OpenApiParameter(
    "user_id", str, OpenApiParameter.PATH, description="The user's 24-character hex id."
)
# A file travels in multipart only: a JSON or form body is a 415, and the schema shows no other
# body.
_PHOTO_REQUEST = {"multipart/form-data": serializers.ProfilePhotoUploadSerializer}
_PHOTO_PARSERS = [CamelCaseMultiPartParser]


def _user_data(request, user: User) -> dict:
    return serializers.UserSerializer(user, context={"request": request}).data


class MeView(GenericAPIView):
    serializer_class = serializers.UserSerializer

    @extend_schema(tags=USERS_TAG, summary="The caller's own full record")
    def get(self, request):
        return Response(_user_data(request, request.user))

    @extend_schema(
        tags=USERS_TAG,
        summary="Update the caller's profile",
        description=(
            "Only the fields below are written; server-owned fields (username, counters, "
            "balance, registration and privacy state, phone) are ignored if sent. "
            "`birthDate` must make the user at least 13. `email` is unique ignoring case; a "
            "new address is not a sign-in identity until a one-time code sent to it is used."
        ),
        request=serializers.UserUpdateSerializer,
        responses={200: serializers.UserSerializer, **error_responses(409)},
        examples=[
            OpenApiExample(
                "Profile edit",
                request_only=True,
                value={
                    "bio": "Müzisyen, haftada iki canlı yayın.",
                    "interests": ["music", "art"],
                    "expertise": "musician",
                    "minutePriceInLiveStream": 2.5,
                },
            )
        ],
    )
    def patch(self, request):
        serializer = serializers.UserUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, data=serializer.validated_data)
        return Response(_user_data(request, user))


class _OnboardingStepView(GenericAPIView):
    """The three steps differ only in their fields and their service."""

    def run_step(self, request, step_service) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = step_service(user=request.user, **serializer.validated_data)
        return Response(_user_data(request, user))


class OnboardingStep1View(_OnboardingStepView):
    serializer_class = serializers.OnboardingStep1Serializer

    @extend_schema(
        tags=ONBOARDING_TAG,
        summary="Onboarding step 1: name, surname, username, birth date",
        description=(
            "May be redone. The username is unique ignoring case (409 when taken). The first "
            "choice of a username is free and does not start the 30-day username-change "
            "clock; once step 1 has been done, a different username is a username change "
            "under the same rule as `PATCH /api/v1/users/username` (409 within 30 days of "
            "the last change, saying from when; it sets `usernameChangedAt`). Sending the "
            "current username again, in any case, changes nothing."
        ),
        responses={200: serializers.UserSerializer, **error_responses(409)},
        examples=[
            OpenApiExample(
                "Step 1",
                request_only=True,
                value={
                    "name": "Ayşe",
                    "surname": "Yılmaz",
                    "username": "ayse.yilmaz",
                    "birthDate": "1998-04-21",
                },
            )
        ],
    )
    def post(self, request):
        return self.run_step(request, services.user_onboarding_step_1)


class OnboardingStep2View(_OnboardingStepView):
    serializer_class = serializers.OnboardingStep2Serializer

    @extend_schema(
        tags=ONBOARDING_TAG,
        summary="Onboarding step 2: gender",
        responses={200: serializers.UserSerializer},
    )
    def post(self, request):
        return self.run_step(request, services.user_onboarding_step_2)


class OnboardingStep3View(_OnboardingStepView):
    serializer_class = serializers.OnboardingStep3Serializer

    @extend_schema(
        tags=ONBOARDING_TAG,
        summary="Onboarding step 3: interests and expertise",
        description="Completing steps 1, 2 and 3 sets `registrationCompleted`.",
        responses={200: serializers.UserSerializer},
        examples=[
            OpenApiExample(
                "Step 3",
                request_only=True,
                value={"interests": ["music", "travel"], "expertise": "musician"},
            )
        ],
    )
    def post(self, request):
        return self.run_step(request, services.user_onboarding_step_3)


class UsernameChangeView(GenericAPIView):
    serializer_class = serializers.UsernameChangeSerializer

    @extend_schema(
        tags=USERS_TAG,
        summary="Change the username (at most once per 30 days)",
        description=(
            "400 when it is the current username; 409 when another account holds it, or "
            "when the last change was less than 30 days ago (the message says from when)."
        ),
        responses={200: serializers.UserSerializer, **error_responses(409)},
        examples=[
            OpenApiExample("New username", request_only=True, value={"newUsername": "ayse.live"})
        ],
    )
    def patch(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_change_username(
            user=request.user, new_username=serializer.validated_data["new_username"]
        )
        return Response(_user_data(request, user))


class ProfilePhotoUpdateView(GenericAPIView):
    serializer_class = serializers.ProfilePhotoUploadSerializer
    parser_classes = _PHOTO_PARSERS

    @extend_schema(
        tags=USERS_TAG,
        summary="Replace the caller's profile photo",
        description=(
            "Multipart `file`: JPEG, PNG or WebP (read from the content), at most 10 MB and "
            "40 megapixels. Re-encoded without metadata, with square WebP variants 40, 76 "
            "and 96. The previous photo's files are deleted."
        ),
        request=_PHOTO_REQUEST,
        responses={200: serializers.UserSerializer},
    )
    def patch(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.profile_photo_set(user=request.user, upload=serializer.validated_data["file"])
        return Response(_user_data(request, request.user))


class ProfilePhotoUploadView(GenericAPIView):
    serializer_class = serializers.ProfilePhotoUploadSerializer
    parser_classes = _PHOTO_PARSERS

    @extend_schema(
        tags=USERS_TAG,
        summary="Upload a profile photo (and make it the caller's photo)",
        description=(
            "Same processing as `PATCH /api/v1/users/profile/photo`; answers with the new "
            "ProfilePhoto."
        ),
        request=_PHOTO_REQUEST,
        responses={201: serializers.ProfilePhotoSerializer},
    )
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo = services.profile_photo_set(
            user=request.user, upload=serializer.validated_data["file"]
        )
        data = serializers.ProfilePhotoSerializer(photo, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class PublicProfileView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = serializers.PublicProfileSerializer

    @extend_schema(
        tags=USERS_TAG,
        summary="A user's public profile by id (optional auth)",
        description="`isFollowing` is null for anonymous callers and on your own profile.",
        parameters=[_USER_ID],
    )
    def get(self, request, user_id: str):
        user = selectors.user_profile_get(viewer=request.user, user_id=user_id)
        return Response(self.get_serializer(user).data)


class PublicProfileByUsernameView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = serializers.PublicProfileSerializer

    @extend_schema(
        tags=USERS_TAG,
        summary="A user's public profile by username (optional auth)",
        description="Matched ignoring case. `isFollowing` is null for anonymous callers.",
        parameters=[OpenApiParameter("username", str, OpenApiParameter.PATH)],
    )
    def get(self, request, username: str):
        user = selectors.user_profile_get(viewer=request.user, username=username)
        return Response(self.get_serializer(user).data)


class UserSearchView(GenericAPIView):
    serializer_class = serializers.UserSearchItemSerializer
    pagination_class = PagePagination
    page_default_limit = 5

    @extend_schema(
        tags=USERS_TAG,
        summary="Search users",
        description=(
            "`q` matches username, name or surname (ignoring case); an empty `q` lists "
            "everyone. Newest accounts first. Staff and accounts that have not finished "
            "onboarding are not listed. Paginated: `page` (from 1) and `limit` (default 5, "
            "at most 100)."
        ),
        responses={200: serializers.UserSearchItemSerializer(many=True)},
        parameters=[
            OpenApiParameter("q", str, description="Text to look for.", required=False),
            OpenApiParameter(
                "expertise",
                str,
                enum=[value for value, _label in serializers.Expertise.choices],
                required=False,
            ),
        ],
    )
    def get(self, request):
        query = serializers.UserSearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        users = selectors.user_search(
            query=query.validated_data["q"], expertise=query.validated_data.get("expertise")
        )
        page = self.paginate_queryset(users)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class FollowView(GenericAPIView):
    serializer_class = serializers.FollowResultSerializer

    @extend_schema(
        tags=FOLLOW_TAG,
        summary="Follow a user",
        description=(
            "200 whether or not the follow is new: `previouslyFollowing` says whether the "
            "caller already followed. Following yourself is a 400."
        ),
        parameters=[_USER_ID],
        request=None,
        responses={200: serializers.FollowResultSerializer, **error_responses(400)},
    )
    def post(self, request, user_id: str):
        followee = selectors.user_get_active(user_id=user_id)
        previously = services.follow_create(follower=request.user, followee=followee)
        return Response({"is_following": True, "previously_following": previously})

    @extend_schema(
        tags=FOLLOW_TAG,
        summary="Unfollow a user",
        description="200 whether or not the caller followed (`previouslyFollowing` says).",
        parameters=[_USER_ID],
        request=None,
        responses={200: serializers.FollowResultSerializer, **error_responses(400)},
    )
    def delete(self, request, user_id: str):
        followee = selectors.user_get_active(user_id=user_id)
        previously = services.follow_delete(follower=request.user, followee=followee)
        return Response({"is_following": False, "previously_following": previously})


class FollowStatusView(GenericAPIView):
    serializer_class = serializers.FollowStatusSerializer

    @extend_schema(
        tags=FOLLOW_TAG, summary="Whether the caller follows a user", parameters=[_USER_ID]
    )
    def get(self, request, user_id: str):
        followee = selectors.user_get_active(user_id=user_id)
        is_following = selectors.follow_is_following(follower=request.user, followee=followee)
        return Response({"is_following": is_following})


class FollowersView(GenericAPIView):
    serializer_class = serializers.FollowersPageSerializer

    @extend_schema(
        tags=FOLLOW_TAG,
        summary="The caller's followers, newest first, by cursor",
        description=(
            "Pass `pageInfo.nextCursor` as `after` for the next page. `isFollowing` says "
            "whether the caller follows that follower back. A malformed cursor is a 400."
        ),
        parameters=[
            OpenApiParameter("after", str, required=False, description="An opaque cursor."),
            OpenApiParameter(
                _FOLLOWERS_LIMIT["name"],
                _FOLLOWERS_LIMIT["schema"],
                required=False,
                description=_FOLLOWERS_LIMIT["description"],
            ),
        ],
    )
    def get(self, request):
        _page, limit = read_page_and_limit(
            request.query_params,
            default_limit=FOLLOWERS_DEFAULT_LIMIT,
            max_limit=FOLLOWERS_MAX_LIMIT,
        )
        page = selectors.followers_page(
            user=request.user, after=request.query_params.get("after") or None, limit=limit
        )
        return Response(self.get_serializer(page).data)
