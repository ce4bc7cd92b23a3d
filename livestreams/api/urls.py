from django.urls import path

from config.api.pagination import PagePagination
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
        "live-stream/<str:pk>/replay-status",
        _action("replay_status", "get"),
        name="live-stream-replay-status",
    ),
]
