"""Every write to live streams, and the rules that refuse them (contract sections 4 and 5).

The API views, the operator admin and the commands call these functions, as
`from livestreams import services; services.live_stream_x(...)`. By topic:

- `create`: channel names and `live_stream_create` (with a duo stream's funding goal or
  guest fee);
- `lifecycle`: delete, restore, cancel, end, replay settings;
- `housekeeping`: what time alone makes due (`due_transitions`), for the command and joins;
- `joins`: the three joins, the token-less audience join of the sockets (`live_stream_watch`),
  token renewal and leave (with the ticket of a paid stream);
- `chat`: posting and hiding chat messages, who may read the history (contract section 9);
- `bans`: the creator's bans, and the check every join, renewal and message makes;
- `agora_events`: Agora's Notification Center webhook (contract section 12);
- `funding`: crowdfunding contributions;
- `replays`: recordings and replay rentals;
- `reminders`: "remind me when it goes live" (contract section 8);
- `money`: the stream side of money (guest fees, tickets, settlement), always through
  `users.credits.services`;
- `common`: the messages and the row locks they share.

Status changes go through `common.move`, which consults the one state machine
(`livestreams.models.TRANSITIONS`).
"""

from livestreams.services.agora_events import (
    AgoraEventResult,
    AgoraNotice,
    agora_event_receive,
    agora_signature_verify,
)
from livestreams.services.bans import (
    BANNED,
    CANNOT_BAN_GUEST,
    CANNOT_BAN_YOURSELF,
    is_banned,
    live_stream_ban,
    live_stream_unban,
    require_not_banned,
)
from livestreams.services.chat import (
    CHAT_NOT_LIVE,
    CHAT_TOO_FAST,
    CONTENT_EMPTY,
    CONTENT_TOO_LONG,
    NOT_CHAT_READER,
    NOT_IN_CHAT,
    NOT_YOUR_MESSAGE,
    chat_message_hide,
    chat_message_post,
    chat_require_reader,
    chat_require_writer,
    clean_content,
)
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
    live_stream_watch,
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
    "BANNED",
    "CANNOT_BAN_GUEST",
    "CANNOT_BAN_YOURSELF",
    "CANNOT_FUND_OWN_STREAM",
    "CANNOT_INVITE_YOURSELF",
    "CHAT_NOT_LIVE",
    "CHAT_TOO_FAST",
    "CONTENT_EMPTY",
    "CONTENT_TOO_LONG",
    "CREATOR_ALREADY_LIVE",
    "DUO_TAKES_ONE_GUEST",
    "FUNDING_CLOSED",
    "FUNDING_GOAL_REACHED",
    "GUEST_JOINS_AS_GUEST",
    "GUEST_TOO_EARLY",
    "HOST_JOINS_AS_CREATOR",
    "NOTHING_TO_CHANGE",
    "NOT_CHAT_READER",
    "NOT_CREATOR",
    "NOT_CREATOR_OR_GUEST",
    "NOT_DELETED",
    "NOT_INVITED_GUEST",
    "NOT_IN_CHAT",
    "NOT_PARTICIPANT",
    "NOT_STARTED_CANNOT_END",
    "NOT_YOUR_MESSAGE",
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
    "AgoraEventResult",
    "AgoraNotice",
    "DeviceDetails",
    "DueTransition",
    "HousekeepingResult",
    "JoinResult",
    "agora_event_receive",
    "agora_signature_verify",
    "catch_up",
    "channel_name_base",
    "channel_name_for",
    "chat_message_hide",
    "chat_message_post",
    "chat_require_reader",
    "chat_require_writer",
    "clean_content",
    "due_transitions",
    "guest_fee_of",
    "is_banned",
    "is_guest",
    "live_stream_ban",
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
    "live_stream_unban",
    "live_stream_update_replay_settings",
    "live_stream_watch",
    "lock",
    "lock_to_change",
    "move",
    "require_creator",
    "require_not_banned",
    "settle",
    "share_lock",
    "ticket_for",
]
