"""Chat history, messages and bans (contract section 9): thin views over
`livestreams.services` (chat, bans) and `livestreams.selectors.chat`.

The stream in the URL is a visible one (404 otherwise, and for an id of the wrong shape).
Who may act is decided by the services before a body is read, so a stranger learns nothing
from the validation messages.
"""

import math

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from config.api.pagination import limit_parameter, page_parameter, read_page_and_limit
from config.api.schema import error_responses
from livestreams import selectors, services
from livestreams.api.chat_serializers import (
    ChatMessageCreateSerializer,
    ChatMessageDeletedSerializer,
    ChatMessagePageSerializer,
    ChatMessageSerializer,
    LiveStreamBanSerializer,
    LiveStreamBanStateSerializer,
    chat_message_json,
)

CHAT_TAGS = ["live-stream-chat"]
CHAT_DEFAULT_LIMIT = 30
CHAT_MAX_LIMIT = 100


def _path_id(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        str,
        OpenApiParameter.PATH,
        description=f"The {what}'s 24-character hex id (any other shape is a 404).",
    )


STREAM_ID = _path_id("stream_id", "live stream")
MESSAGE_ID = _path_id("message_id", "message")
USER_ID = _path_id("user_id", "user")


def _query_parameter(spec: dict) -> OpenApiParameter:
    return OpenApiParameter(spec["name"], spec["schema"], description=spec["description"])


HISTORY_PARAMETERS = [
    _query_parameter(page_parameter()),
    _query_parameter(
        limit_parameter(default=CHAT_DEFAULT_LIMIT, maximum=CHAT_MAX_LIMIT, name="Messages")
    ),
]


def _page(*, total: int, page: int, limit: int) -> dict:
    total_pages = math.ceil(total / limit)
    return {
        "page": page,
        "limit": limit,
        "total": total,
        "total_pages": total_pages,
        "has_next_page": page < total_pages,
        "has_previous_page": page > 1,
    }


class ChatMessagesView(GenericAPIView):
    serializer_class = ChatMessageSerializer

    @extend_schema(
        tags=CHAT_TAGS,
        summary="A live stream's chat history, newest first",
        description=(
            "For the creator, the invited guests, anyone who has joined the stream (in it now "
            "or not) and staff; anyone else, and a banned person, is a 403. Hidden messages "
            "never appear, nor count in `total`. `page` (default 1), `limit` (default 30, at "
            "most 100)."
        ),
        parameters=[STREAM_ID, *HISTORY_PARAMETERS],
        responses={200: ChatMessagePageSerializer, **error_responses(403)},
    )
    def get(self, request, stream_id: str):
        live_stream = selectors.live_stream_get_plain(live_stream_id=stream_id)
        services.chat_require_reader(live_stream=live_stream, user=request.user)
        page, limit = read_page_and_limit(
            request.query_params, default_limit=CHAT_DEFAULT_LIMIT, max_limit=CHAT_MAX_LIMIT
        )
        queryset = selectors.chat_messages(live_stream=live_stream)
        total = queryset.count()
        offset = (page - 1) * limit
        messages = self.get_serializer(queryset[offset : offset + limit], many=True).data
        return Response({"messages": messages, **_page(total=total, page=page, limit=limit)})

    @extend_schema(
        tags=CHAT_TAGS,
        summary="Write in a live stream's chat",
        description=(
            "The creator, an invited guest, or an audience member in the stream now (an "
            "open stay), while the stream is `active` (409 otherwise). `content` is plain "
            "text, 1–500 characters once trimmed; line breaks are kept (`\\r\\n` and `\\r` "
            "become `\\n`), a tab becomes a space, other control characters are removed. A "
            "banned person is a 403. At most one message per second per person and stream "
            "(the `chat` rate): a 429 with `Retry-After` otherwise. The message reaches the "
            "stream's sockets as `newMessage`."
        ),
        parameters=[STREAM_ID],
        request=ChatMessageCreateSerializer,
        responses={201: ChatMessageSerializer, **error_responses(403, 409, 429)},
    )
    def post(self, request, stream_id: str):
        live_stream = selectors.live_stream_get_plain(live_stream_id=stream_id)
        services.chat_require_writer(live_stream=live_stream, user=request.user)
        serializer = ChatMessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.chat_message_post(
            live_stream=live_stream, user=request.user, content=serializer.validated_data["content"]
        )
        return Response(chat_message_json(message, request=request), status=201)


class ChatMessageDetailView(GenericAPIView):
    serializer_class = ChatMessageDeletedSerializer

    @extend_schema(
        tags=CHAT_TAGS,
        summary="Delete (hide) a chat message",
        description=(
            "The sender, the creator of the stream or staff (403 otherwise). The message "
            "leaves the history and every client (`messageDeleted`); it is kept for "
            "moderation. Deleting it again answers the same."
        ),
        parameters=[STREAM_ID, MESSAGE_ID],
        responses={200: ChatMessageDeletedSerializer, **error_responses(403)},
    )
    def delete(self, request, stream_id: str, message_id: str):
        live_stream = selectors.live_stream_get_plain(live_stream_id=stream_id)
        message = selectors.chat_message_get(live_stream=live_stream, message_id=message_id)
        services.chat_message_hide(message=message, actor=request.user)
        return Response(self.get_serializer({"_id": message.pk, "deleted": True}).data)


class LiveStreamBanView(GenericAPIView):
    serializer_class = LiveStreamBanStateSerializer

    @extend_schema(
        tags=CHAT_TAGS,
        summary="Ban someone from a live stream (creator)",
        description=(
            "Closes the person's stay and refuses, in this stream, their joins, token "
            "renewals, chat messages and chat history (403) until the ban is lifted; their "
            "sockets get `banned` and leave the stream. Banning again answers the same. The "
            "creator cannot ban themselves, nor an invited guest (400); an unknown user is a "
            "404."
        ),
        request=LiveStreamBanSerializer,
        responses={200: LiveStreamBanStateSerializer, **error_responses(403)},
    )
    def post(self, request, pk: str):
        live_stream = selectors.live_stream_get_plain(live_stream_id=pk)
        services.require_creator(live_stream, request.user)
        serializer = LiveStreamBanSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ban = services.live_stream_ban(
            live_stream=live_stream,
            actor=request.user,
            user_id=serializer.validated_data["user_id"],
        )
        return Response(self.get_serializer({"user_id": ban.user_id, "banned": True}).data)


class LiveStreamBanDetailView(GenericAPIView):
    serializer_class = LiveStreamBanStateSerializer

    @extend_schema(
        tags=CHAT_TAGS,
        summary="Lift a ban (creator)",
        description=(
            "The person may join and chat again (nothing reopens by itself). Lifting a ban "
            "that does not exist answers the same 200; an unknown user is a 404."
        ),
        parameters=[USER_ID],
        responses={200: LiveStreamBanStateSerializer, **error_responses(403)},
    )
    def delete(self, request, pk: str, user_id: str):
        live_stream = selectors.live_stream_get_plain(live_stream_id=pk)
        services.live_stream_unban(live_stream=live_stream, actor=request.user, user_id=user_id)
        return Response(self.get_serializer({"user_id": user_id, "banned": False}).data)
