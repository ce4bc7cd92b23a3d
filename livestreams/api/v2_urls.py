"""Version 2 of some live-stream reads (contract section 8), under /api/v2/.

v1 stays as it is; a v2 path answers the same LiveStream objects with its own parameters.
Its schema tags are its v1 sibling's, so the docs show both together.
"""

from django.urls import path

from livestreams.api import feed_views, search_v2

urlpatterns = [
    path(
        "live-stream/user/<str:user_id>/upcoming-live-streams",
        feed_views.UserUpcomingStreamsV2View.as_view(),
        name="v2-live-stream-user-upcoming-streams",
    ),
    # The users search with each user's active stream: it lives with the streams it reads.
    path("users/search", search_v2.UserSearchV2View.as_view(), name="v2-users-search"),
]
