"""A stream's chat history (GET /api/v1/live-stream/{streamId}/chat/messages). Who may read
it is `services.chat_require_reader`."""

from django.db.models import QuerySet

from config.api.fields import get_object_or_not_found
from livestreams.models import ChatMessage, LiveStream
from livestreams.selectors.streams import user_summary_only

CHAT_MESSAGE_FIELDS = ("id", "live_stream", "sender", "content", "created_at", "updated_at")


def chat_messages(*, live_stream: LiveStream) -> QuerySet[ChatMessage]:
    """The stream's messages, newest first, hidden ones never (the `ls_chat_history` index),
    each with its sender and the sender's photo in the same query."""
    return (
        ChatMessage.objects.filter(live_stream=live_stream, hidden_at__isnull=True)
        .select_related("sender__profile_photo")
        .only(*CHAT_MESSAGE_FIELDS, *user_summary_only("sender"))
        .order_by("-created_at", "-id")
    )


def chat_message_get(*, live_stream: LiveStream, message_id: str) -> ChatMessage:
    """One message of this stream, hidden or not (hiding twice answers the same); an unknown
    or ill-shaped id, or one of another stream, is NotFound."""
    return get_object_or_not_found(
        ChatMessage.objects.filter(live_stream=live_stream).select_related(
            "live_stream", "sender__profile_photo"
        ),
        message_id,
    )
