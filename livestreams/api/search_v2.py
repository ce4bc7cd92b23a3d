"""GET /api/v2/users/search (contract section 8): v1's user search, and each hit adds its minute
price and the stream it is broadcasting now.

The parameters, the paging and the refusals are v1's (users.api.views.UserSearchView); the
hits are v1's UserSummary + `expertise` with `minutePriceInLiveStream` and
`activeLiveStream`. The profile photo carries all its variants (40, 76 and 96).
"""

from django.utils.functional import cached_property
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import GenericAPIView

from config.api.pagination import PagePagination
from livestreams.api.serializers import ThumbnailUrlMixin
from livestreams.models import LiveStream
from livestreams.search import active_live_stream_of, user_search_with_active_streams
from users.api.serializers import UserSummarySerializer
from users.models import Expertise

# The tag of v1's search, so the two versions sit together in the docs.
USERS_TAG = ["users"]


class UserSearchV2QuerySerializer(serializers.Serializer):
    """v1's parameters, with v1's checks (a NUL in `q` or an unknown `expertise` is a 400)."""

    q = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    expertise = serializers.ChoiceField(choices=Expertise.choices, required=False)


class UserSearchActiveLiveStreamSerializer(ThumbnailUrlMixin, serializers.ModelSerializer):
    """The stream a search hit is broadcasting now: just enough to show it and join it."""

    thumbnail_url = serializers.SerializerMethodField()
    viewer_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = LiveStream
        fields = ["id", "title", "channel_name", "thumbnail_url", "viewer_count", "started_at"]
        read_only_fields = fields


class UserSearchV2ItemSerializer(UserSummarySerializer):
    """A v2 search hit. Needs `livestreams.search.user_search_with_active_streams`."""

    active_live_stream = serializers.SerializerMethodField()

    class Meta(UserSummarySerializer.Meta):
        fields = [
            *UserSummarySerializer.Meta.fields,
            "expertise",
            "minute_price_in_live_stream",
            "active_live_stream",
        ]
        read_only_fields = fields

    @cached_property
    def _stream_serializer(self) -> UserSearchActiveLiveStreamSerializer:
        # One instance for the whole page, so the default thumbnail's URL is built once.
        return UserSearchActiveLiveStreamSerializer(context=self.context)

    @extend_schema_field(UserSearchActiveLiveStreamSerializer(allow_null=True))
    def get_active_live_stream(self, user) -> dict | None:
        live_stream = active_live_stream_of(user)
        if live_stream is None:
            return None
        return self._stream_serializer.to_representation(live_stream)


class UserSearchV2View(GenericAPIView):
    serializer_class = UserSearchV2ItemSerializer
    pagination_class = PagePagination
    page_default_limit = 5

    @extend_schema(
        operation_id="users_search_v2",
        tags=USERS_TAG,
        summary="Search users, with their live streams (v2)",
        description=(
            "As `GET /api/v1/users/search`: `q` matches username, name or surname (ignoring "
            "case); an empty `q` lists everyone. Newest accounts first. Staff and accounts that "
            "have not finished onboarding are not listed. Paginated: `page` (from 1) and "
            "`limit` (default 5, at most 100). Each hit adds `minutePriceInLiveStream` and "
            "`activeLiveStream`: the stream the user is broadcasting now as its creator "
            "(`viewerCount` is its audience now), or null."
        ),
        responses={200: UserSearchV2ItemSerializer(many=True)},
        parameters=[
            OpenApiParameter("q", str, description="Text to look for.", required=False),
            OpenApiParameter(
                "expertise",
                str,
                enum=[value for value, _label in Expertise.choices],
                required=False,
            ),
        ],
    )
    def get(self, request):
        query = UserSearchV2QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        users = user_search_with_active_streams(
            query=query.validated_data["q"], expertise=query.validated_data.get("expertise")
        )
        page = self.paginate_queryset(users)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
