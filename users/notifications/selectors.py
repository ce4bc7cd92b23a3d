"""Reads of notifications (contract section 10)."""

from django.db.models import QuerySet

from users.models import User
from users.notifications.models import Notification


def notifications_of(
    *,
    user: User,
    type_: str | None = None,
    category: str | None = None,
    read: bool | None = None,
) -> QuerySet[Notification]:
    """The user's notifications, newest first, filtered (None: any). One index serves each
    filter (`notification_user_recent`; unread ones `notification_user_unread`)."""
    queryset = Notification.objects.filter(user=user)
    if type_ is not None:
        queryset = queryset.filter(type=type_)
    if category is not None:
        queryset = queryset.filter(category=category)
    if read is not None:
        queryset = queryset.filter(read=read)
    return queryset.order_by("-created_at", "-id")


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read=False).count()
