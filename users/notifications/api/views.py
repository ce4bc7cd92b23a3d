"""Notifications and device tokens (contract section 10). Thin: validate, one service or
selector, shape."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.response import Response

from config.api.fields import get_object_or_not_found
from config.api.pagination import ArrayPagination, PagePagination
from config.api.schema import error_responses
from users import selectors as user_selectors
from users.notifications import selectors, services
from users.notifications.api import serializers
from users.notifications.models import NotificationCategory, NotificationType

NOTIFICATIONS_TAG = ["notifications"]

_FILTERS = [
    OpenApiParameter("type", str, enum=list(NotificationType.values)),
    OpenApiParameter("category", str, enum=list(NotificationCategory.values)),
    OpenApiParameter(
        "read",
        OpenApiTypes.STR,
        enum=["true", "false"],
        description="Only read (`true`) or unread (`false`) ones; `1` and `0` work too.",
    ),
    OpenApiParameter(
        "isRead",
        OpenApiTypes.STR,
        enum=["true", "false"],
        deprecated=True,
        description="The same as `read` (which wins when both are sent).",
    ),
]
_LIST_DESCRIPTION = (
    "The caller's notifications, newest first. `title` and `message` are in the language the "
    "recipient last used (`X-Language`). An unknown `type` or `category`, or a `read` that "
    "is not true or false, is a 400."
)
_NOTIFICATION_ID = OpenApiParameter(
    "notification_id", str, OpenApiParameter.PATH, description="The notification's id."
)
_DEVICE_ID = OpenApiParameter(
    "device_id", str, OpenApiParameter.PATH, description="The app's `deviceId`."
)
_NOTIFICATION_EXAMPLE = OpenApiExample(
    "A follow",
    value={
        "id": "6650f1c2a1b2c3d4e5f60718",
        "userId": "64d15f9e2e6c8f4d5a123456",
        "type": "system",
        "category": "follows",
        "title": "New follower",
        "message": "Ayşe Yılmaz started following you.",
        "metadata": {"followerId": "64d15f9e2e6c8f4d5a654321", "followerUsername": "ayse"},
        "read": False,
        "createdAt": "2026-05-22T16:11:27.022Z",
        "updatedAt": "2026-05-22T16:11:27.022Z",
    },
    response_only=True,
)


class _NotificationList(GenericAPIView):
    serializer_class = serializers.NotificationSerializer

    def list(self, request):
        filters = serializers.notification_filters(request.query_params)
        page = self.paginate_queryset(selectors.notifications_of(user=request.user, **filters))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class NotificationsView(_NotificationList):
    pagination_class = ArrayPagination

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsAuthenticated(), IsAdminUser()]
        return super().get_permissions()

    @extend_schema(
        tags=NOTIFICATIONS_TAG,
        summary="The caller's notifications",
        description=f"{_LIST_DESCRIPTION} A plain array: `page`, `limit` (default 20, at most "
        "100), with `X-Total-Count` and `Link` headers.",
        parameters=_FILTERS,
        responses={200: serializers.NotificationSerializer(many=True)},
    )
    def get(self, request):
        return self.list(request)

    @extend_schema(
        tags=NOTIFICATIONS_TAG,
        summary="Send a notification to one user (staff only)",
        description=(
            "An announcement to one user, stored as written (no translation) and pushed to "
            "their devices. `type` defaults to `system`, `category` to `announcement`. An "
            "unknown `userId` is a 404; a caller who is not staff gets a 403."
        ),
        request=serializers.NotificationCreateSerializer,
        responses={
            201: serializers.NotificationSerializer,
            **error_responses(403, 404),
        },
        examples=[_NOTIFICATION_EXAMPLE],
    )
    def post(self, request):
        serializer = serializers.NotificationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        recipient = user_selectors.user_get_active(user_id=data["user_id"])
        notification = services.announcement_create(
            recipient=recipient,
            title=data["title"],
            message=data["message"],
            category=data["category"],
            type_=data["type"],
            metadata=data["metadata"],
        )
        return Response(self.get_serializer(notification).data, status=status.HTTP_201_CREATED)


class NotificationsV2View(_NotificationList):
    pagination_class = PagePagination

    @extend_schema(
        tags=NOTIFICATIONS_TAG,
        summary="The caller's notifications, paginated",
        description=f"{_LIST_DESCRIPTION} Paginated: `page`, `limit` (default 20, at most 100).",
        parameters=_FILTERS,
        responses={200: serializers.NotificationSerializer(many=True)},
    )
    def get(self, request):
        return self.list(request)


class UnreadCountView(GenericAPIView):
    serializer_class = serializers.UnreadCountSerializer

    @extend_schema(tags=NOTIFICATIONS_TAG, summary="How many of the caller's are unread")
    def get(self, request):
        return Response({"unread_count": selectors.unread_count(user=request.user)})


class NotificationReadView(GenericAPIView):
    serializer_class = serializers.NotificationSerializer

    @extend_schema(
        tags=NOTIFICATIONS_TAG,
        summary="Mark one notification read or unread",
        description="Someone else's notification, or an unknown id, is a 404.",
        parameters=[_NOTIFICATION_ID],
        request=serializers.NotificationReadSerializer,
        responses={200: serializers.NotificationSerializer},
        examples=[_NOTIFICATION_EXAMPLE],
    )
    def patch(self, request, notification_id: str):
        notification = get_object_or_not_found(request.user.notifications.all(), notification_id)
        serializer = serializers.NotificationReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notification = services.notification_set_read(
            notification=notification, read=serializer.validated_data["is_read"]
        )
        return Response(self.get_serializer(notification).data)


class ReadAllView(GenericAPIView):
    serializer_class = serializers.ReadAllResultSerializer

    @extend_schema(
        tags=NOTIFICATIONS_TAG,
        summary="Mark all of the caller's notifications read",
        description="`updated` is how many were unread.",
        request=None,
    )
    def post(self, request):
        return Response({"updated": services.notifications_mark_all_read(user=request.user)})


class DeviceTokenView(GenericAPIView):
    serializer_class = serializers.SuccessSerializer

    @extend_schema(
        tags=NOTIFICATIONS_TAG,
        summary="Register the caller's device for push",
        description=(
            "One device per user and `deviceId`: a second call updates it. A null or absent "
            "`token` keeps the stored one (it updates `platform`, `timezone` or "
            "`liveActivityPushToStartToken` only). A token registered here is taken off any "
            "other account that registered it before (the device changed hands)."
        ),
        request=serializers.DeviceTokenSerializer,
        responses={200: serializers.SuccessSerializer},
    )
    def post(self, request):
        serializer = serializers.DeviceTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.device_token_register(
            user=request.user,
            device_id=data["device_id"],
            platform=data["platform"],
            token=data.get("token"),
            timezone_name=data.get("timezone"),
            live_activity_token=data.get("live_activity_push_to_start_token"),
        )
        return Response({"success": True})


class DeviceTokenForgetView(GenericAPIView):
    serializer_class = serializers.SuccessSerializer

    @extend_schema(
        tags=NOTIFICATIONS_TAG,
        summary="Forget one of the caller's devices (sign-out)",
        description=(
            "Pushes stop going to this device for the caller. `success` is true whether or "
            "not the device was registered, so signing out never fails on it."
        ),
        parameters=[_DEVICE_ID],
        responses={200: serializers.SuccessSerializer},
    )
    def delete(self, request, device_id: str):
        services.device_token_forget(user=request.user, device_id=device_id)
        return Response({"success": True})
