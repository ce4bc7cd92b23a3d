"""Reads of live streams, by topic. Callers use `from livestreams import selectors` and
`selectors.x(...)`; every public name of the modules is here.

- `streams`: the LiveStream object as a caller sees it (`live_streams_for`, the one shaped
  queryset every list and feed starts from), one stream, the list, funded streams;
- `feeds`: discovery and history (contract section 8): live now, for-you, upcoming, past,
  broadcast, watched, invitations, active stream;
- `creators`: catch-streamers and most-watched-creators;
- `viewers`: the audience in a stream now;
- `replays`: replay access and recording URLs;
- `chat`: a stream's chat history, and one message.

The filters themselves (visible, live, in interests, upcoming for, broadcast by, watched
by...) are `LiveStreamQuerySet` methods (livestreams.models), so no two feeds spell the same
rule twice.
"""

from livestreams.selectors.chat import CHAT_MESSAGE_FIELDS, chat_message_get, chat_messages
from livestreams.selectors.creators import (
    AUDIENCE_WINDOW,
    CatchStreamer,
    catch_streamers,
    most_watched_creators,
)
from livestreams.selectors.feeds import (
    FEATURED_COUNT,
    GUEST_STREAM_SORTS,
    live_stream_active_of,
    live_streams_broadcast,
    live_streams_by_audience,
    live_streams_featured,
    live_streams_for_you_crowdfunding,
    live_streams_for_you_live,
    live_streams_for_you_scheduled,
    live_streams_invited,
    live_streams_past,
    live_streams_upcoming,
    live_streams_watched,
)
from livestreams.selectors.replays import (
    RECORDING_URL_MAX_SECONDS,
    recording_url_for,
    replay_access,
    replay_is_rentable,
)
from livestreams.selectors.streams import (
    COUNTED_STATUSES,
    PROFILE_PHOTO_FIELDS,
    UNKNOWN_STATUS,
    USER_SUMMARY_FIELDS,
    funding_percentage,
    live_stream_get,
    live_stream_get_plain,
    live_stream_list,
    live_streams_for,
    live_streams_funded_by,
    parse_statuses,
    signed_in,
    user_summary_only,
    viewer_count_subquery,
    with_viewer_count,
)
from livestreams.selectors.viewers import (
    SEARCH_MAX_LENGTH,
    VIEWER_EXTRA_FIELDS,
    clean_search,
    live_stream_audience_total,
    live_stream_viewers,
)

__all__ = [
    "AUDIENCE_WINDOW",
    "CHAT_MESSAGE_FIELDS",
    "COUNTED_STATUSES",
    "FEATURED_COUNT",
    "GUEST_STREAM_SORTS",
    "PROFILE_PHOTO_FIELDS",
    "RECORDING_URL_MAX_SECONDS",
    "SEARCH_MAX_LENGTH",
    "UNKNOWN_STATUS",
    "USER_SUMMARY_FIELDS",
    "VIEWER_EXTRA_FIELDS",
    "CatchStreamer",
    "catch_streamers",
    "chat_message_get",
    "chat_messages",
    "clean_search",
    "funding_percentage",
    "live_stream_active_of",
    "live_stream_audience_total",
    "live_stream_get",
    "live_stream_get_plain",
    "live_stream_list",
    "live_stream_viewers",
    "live_streams_broadcast",
    "live_streams_by_audience",
    "live_streams_featured",
    "live_streams_for",
    "live_streams_for_you_crowdfunding",
    "live_streams_for_you_live",
    "live_streams_for_you_scheduled",
    "live_streams_funded_by",
    "live_streams_invited",
    "live_streams_past",
    "live_streams_upcoming",
    "live_streams_watched",
    "most_watched_creators",
    "parse_statuses",
    "recording_url_for",
    "replay_access",
    "replay_is_rentable",
    "signed_in",
    "user_summary_only",
    "viewer_count_subquery",
    "with_viewer_count",
]
