"""Every write to live streams, and the rules that refuse them (contract sections 4 and 5).

The API views, the operator admin and the commands call these functions, as
`from livestreams import services; services.live_stream_x(...)`. By topic:

- `create`: channel names and `live_stream_create` (with a duo stream's funding goal or
  guest fee);
- `lifecycle`: delete, restore, cancel, end, replay settings;
- `housekeeping`: what time alone makes due (`due_transitions`), for the command and joins;
- `joins`: the three joins, token renewal and leave (with the ticket of a paid stream);
- `funding`: crowdfunding contributions;
- `replays`: recordings and replay rentals;
- `reminders`: "remind me when it goes live" (contract section 8);
- `money`: the stream side of money (guest fees, tickets, settlement), always through
  `users.credits.services`;
- `common`: the messages and the row locks they share.

Status changes go through `common.move`, which consults the one state machine
(`livestreams.models.TRANSITIONS`).
"""

from livestreams.services.common import (
    ACTIVE_CANNOT_BE_CANCELLED,
    ACTIVE_CANNOT_BE_DELETED,
    ALREADY_DELETED,
    AUDIENCE_TOO_EARLY,
    CANNOT_INVITE_YOURSELF,
    CREATOR_ALREADY_LIVE,
    DUO_TAKES_ONE_GUEST,
    GUEST_JOINS_AS_GUEST,
    GUEST_TOO_EARLY,
    HOST_JOINS_AS_CREATOR,
    NOT_CREATOR,
    NOT_CREATOR_OR_GUEST,
    NOT_DELETED,
    NOT_INVITED_GUEST,
    NOT_PARTICIPANT,
    NOT_STARTED_CANNOT_END,
    NOTHING_TO_CHANGE,
    PRICE_OUT_OF_RANGE,
    REPLAY_ALREADY_OFF,
    SOLO_TAKES_NO_GUESTS,
    START_TOO_EARLY,
    START_TOO_LATE,
    STREAM_IS_DELETED,
    STREAM_IS_OVER,
    UNKNOWN_GUEST,
    is_guest,
    lock,
    lock_to_change,
    move,
    require_creator,
    share_lock,
)
from livestreams.services.create import (
    PLANNED_START_MAX_AHEAD,
    PLANNED_START_PAST_TOLERANCE,
    THUMBNAIL_MAX_SIDE,
    channel_name_base,
    channel_name_for,
    live_stream_create,
)
from livestreams.services.funding import (
    AMOUNT_NOT_POSITIVE,
    AMOUNT_OVER_REMAINING,
    AMOUNT_TOO_PRECISE,
    CANNOT_FUND_OWN_STREAM,
    FUNDING_CLOSED,
    FUNDING_GOAL_REACHED,
    TAKES_NO_FUNDING,
    live_stream_fund,
    live_stream_funding_check,
)
from livestreams.services.housekeeping import (
    DueTransition,
    HousekeepingResult,
    catch_up,
    due_transitions,
    live_stream_housekeeping,
)
from livestreams.services.joins import (
    DeviceDetails,
    JoinResult,
    live_stream_join_as_audience,
    live_stream_join_as_creator,
    live_stream_join_as_guest,
    live_stream_leave,
    live_stream_refresh_token,
)
from livestreams.services.lifecycle import (
    live_stream_cancel,
    live_stream_delete,
    live_stream_end,
    live_stream_restore,
    live_stream_turn_replay_off,
    live_stream_update_replay_settings,
)
from livestreams.services.money import guest_fee_of, settle, ticket_for
from livestreams.services.reminders import (
    REMINDER_ALREADY_LIVE,
    live_stream_reminder_clear,
    live_stream_reminder_set,
)
from livestreams.services.replays import (
    RECORDING_URL_INVALID,
    RECORDING_URL_OR_FILE,
    REPLAY_ALREADY_RENTED,
    REPLAY_NOT_AVAILABLE,
    REPLAY_OWN_STREAM,
    live_stream_recording_attach,
    live_stream_replay_rent,
)

__all__ = [
    "ACTIVE_CANNOT_BE_CANCELLED",
    "ACTIVE_CANNOT_BE_DELETED",
    "ALREADY_DELETED",
    "AMOUNT_NOT_POSITIVE",
    "AMOUNT_OVER_REMAINING",
    "AMOUNT_TOO_PRECISE",
    "AUDIENCE_TOO_EARLY",
    "CANNOT_FUND_OWN_STREAM",
    "CANNOT_INVITE_YOURSELF",
    "CREATOR_ALREADY_LIVE",
    "DUO_TAKES_ONE_GUEST",
    "FUNDING_CLOSED",
    "FUNDING_GOAL_REACHED",
    "GUEST_JOINS_AS_GUEST",
    "GUEST_TOO_EARLY",
    "HOST_JOINS_AS_CREATOR",
    "NOTHING_TO_CHANGE",
    "NOT_CREATOR",
    "NOT_CREATOR_OR_GUEST",
    "NOT_DELETED",
    "NOT_INVITED_GUEST",
    "NOT_PARTICIPANT",
    "NOT_STARTED_CANNOT_END",
    "PLANNED_START_MAX_AHEAD",
    "PLANNED_START_PAST_TOLERANCE",
    "PRICE_OUT_OF_RANGE",
    "RECORDING_URL_INVALID",
    "RECORDING_URL_OR_FILE",
    "REMINDER_ALREADY_LIVE",
    "REPLAY_ALREADY_OFF",
    "REPLAY_ALREADY_RENTED",
    "REPLAY_NOT_AVAILABLE",
    "REPLAY_OWN_STREAM",
    "SOLO_TAKES_NO_GUESTS",
    "START_TOO_EARLY",
    "START_TOO_LATE",
    "STREAM_IS_DELETED",
    "STREAM_IS_OVER",
    "TAKES_NO_FUNDING",
    "THUMBNAIL_MAX_SIDE",
    "UNKNOWN_GUEST",
    "DeviceDetails",
    "DueTransition",
    "HousekeepingResult",
    "JoinResult",
    "catch_up",
    "channel_name_base",
    "channel_name_for",
    "due_transitions",
    "guest_fee_of",
    "is_guest",
    "live_stream_cancel",
    "live_stream_create",
    "live_stream_delete",
    "live_stream_end",
    "live_stream_fund",
    "live_stream_funding_check",
    "live_stream_housekeeping",
    "live_stream_join_as_audience",
    "live_stream_join_as_creator",
    "live_stream_join_as_guest",
    "live_stream_leave",
    "live_stream_recording_attach",
    "live_stream_refresh_token",
    "live_stream_reminder_clear",
    "live_stream_reminder_set",
    "live_stream_replay_rent",
    "live_stream_restore",
    "live_stream_turn_replay_off",
    "live_stream_update_replay_settings",
    "lock",
    "lock_to_change",
    "move",
    "require_creator",
    "settle",
    "share_lock",
    "ticket_for",
]
