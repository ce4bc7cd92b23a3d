from django.urls import path

from config.api.pagination import PagePagination
from livestreams.api import chat_views, feed_views
from livestreams.api.views import LiveStreamViewSet

collection = LiveStreamViewSet.as_view({"get": "list"})
create = LiveStreamViewSet.as_view({"post": "create"})
detail = LiveStreamViewSet.as_view({"get": "retrieve", "delete": "destroy"})


def _action(name: str, method: str = "post", **initkwargs):
    return LiveStreamViewSet.as_view({method: name}, **initkwargs)


# Fixed paths first: `live-stream/create` and the joins must not be read as a stream id.
urlpatterns = [
    path("live-stream", collection, name="live-stream-list"),
    path("live-stream/create", create, name="live-stream-create"),
    path(
        "live-stream/join-as-creator",
        _action("join_as_creator"),
        name="live-stream-join-as-creator",
    ),
    path("live-stream/join-as-guest", _action("join_as_guest"), name="live-stream-join-as-guest"),
    path("live-stream/join", _action("join"), name="live-stream-join"),
    path("live-stream/funded", _action("funded", "get"), name="live-stream-funded"),
    # Discovery and history (contract section 8).
    path("live-stream/featured", feed_views.FeaturedView.as_view(), name="live-stream-featured"),
    path(
        "live-stream/catch-streamers",
        feed_views.CatchStreamersView.as_view(),
        name="live-stream-catch-streamers",
    ),
    path(
        "live-stream/most-watched-creators",
        feed_views.MostWatchedCreatorsView.as_view(),
        name="live-stream-most-watched-creators",
    ),
    path(
        "live-stream/whats-live-now",
        feed_views.WhatsLiveNowView.as_view(),
        name="live-stream-whats-live-now",
    ),
    path(
        "live-stream/for-you/live",
        feed_views.ForYouLiveView.as_view(),
        name="live-stream-for-you-live",
    ),
    path(
        "live-stream/for-you/scheduled",
        feed_views.ForYouScheduledView.as_view(),
        name="live-stream-for-you-scheduled",
    ),
    path(
        "live-stream/for-you/crowdfunding",
        feed_views.ForYouCrowdfundingView.as_view(),
        name="live-stream-for-you-crowdfunding",
    ),
    path(
        "live-stream/guest-streams",
        feed_views.GuestStreamsView.as_view(),
        name="live-stream-guest-streams",
    ),
    path(
        "live-stream/my-past-streams",
        feed_views.MyPastStreamsView.as_view(),
        name="live-stream-my-past-streams",
    ),
    path(
        "live-stream/user/<str:user_id>/past-streams",
        feed_views.UserPastStreamsView.as_view(),
        name="live-stream-user-past-streams",
    ),
    path(
        "live-stream/my-upcoming-streams",
        feed_views.MyUpcomingStreamsView.as_view(),
        name="live-stream-my-upcoming-streams",
    ),
    path(
        "live-stream/user/<str:user_id>/upcoming-live-streams",
        feed_views.UserUpcomingStreamsView.as_view(),
        name="live-stream-user-upcoming-streams",
    ),
    path(
        "live-stream/my-broadcasted-streams",
        feed_views.MyBroadcastedStreamsView.as_view(),
        name="live-stream-my-broadcasted-streams",
    ),
    path(
        "live-stream/my-watched-streams",
        feed_views.MyWatchedStreamsView.as_view(),
        name="live-stream-my-watched-streams",
    ),
    path(
        "live-stream/my-active-stream",
        feed_views.MyActiveStreamView.as_view(),
        name="live-stream-my-active-stream",
    ),
    path(
        "live-stream/user/<str:user_id>/active-stream",
        feed_views.UserActiveStreamView.as_view(),
        name="live-stream-user-active-stream",
    ),
    path("live-stream/<str:pk>", detail, name="live-stream-detail"),
    path("live-stream/<str:pk>/cancel", _action("cancel"), name="live-stream-cancel"),
    path("live-stream/<str:pk>/end", _action("end"), name="live-stream-end"),
    path("live-stream/<str:pk>/token", _action("token"), name="live-stream-token"),
    path("live-stream/<str:pk>/leave", _action("leave"), name="live-stream-leave"),
    path(
        "live-stream/<str:pk>/viewers",
        _action("viewers", "get", pagination_class=PagePagination),
        name="live-stream-viewers",
    ),
    path(
        "live-stream/<str:pk>/replay-settings",
        _action("replay_settings", "patch"),
        name="live-stream-replay-settings",
    ),
    path("live-stream/<str:pk>/fund", _action("fund"), name="live-stream-fund"),
    path(
        "live-stream/<str:pk>/replay-rentals",
        _action("replay_rentals"),
        name="live-stream-replay-rentals",
    ),
    path(
        "live-stream/<str:pk>/reminder",
        feed_views.ReminderView.as_view(),
        name="live-stream-reminder",
    ),
    path(
        "live-stream/<str:pk>/replay-status",
        _action("replay_status", "get"),
        name="live-stream-replay-status",
    ),
]

# Chat and bans (contract section 9; livestreams/api/chat_views.py).
urlpatterns += [
    path(
        "live-stream/<str:stream_id>/chat/messages",
        chat_views.ChatMessagesView.as_view(),
        name="live-stream-chat-messages",
    ),
    path(
        "live-stream/<str:stream_id>/chat/messages/<str:message_id>",
        chat_views.ChatMessageDetailView.as_view(),
        name="live-stream-chat-message",
    ),
    path(
        "live-stream/<str:pk>/ban",
        chat_views.LiveStreamBanView.as_view(),
        name="live-stream-ban",
    ),
    path(
        "live-stream/<str:pk>/ban/<str:user_id>",
        chat_views.LiveStreamBanDetailView.as_view(),
        name="live-stream-ban-detail",
    ),
]

# Statistics and Agora's webhook (contract sections 9 and 12; statistics_views.py and
# agora_views.py).
from livestreams.api import agora_views, statistics_views  # noqa: E402

urlpatterns += [
    path(
        "participant/stream/<str:stream_id>/statistics",
        statistics_views.LiveStreamStatisticsView.as_view(),
        name="live-stream-statistics",
    ),
    path("webhooks/agora", agora_views.AgoraWebhookView.as_view(), name="webhooks-agora"),
]
