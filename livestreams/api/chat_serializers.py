"""Chat messages and bans on the wire (contract section 9).

`chat_message_json` is the ChatMessage exactly as the REST response writes it (camelCase
keys, ms UTC timestamps, absolute photo URLs), as a plain dict the socket server can send
without a request: the chat service builds `newMessage` with it.
"""

import json

from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers

from config.api.camel import camelize
from config.api.fields import ObjectIdField, StrictCharField
from config.api.renderers import ApiJSONEncoder
from livestreams.models import ChatMessage
from users.api.serializers import UserSummarySerializer

# --- Output ----------------------------------------------------------------------------------


class ChatMessageSerializer(serializers.ModelSerializer):
    """One chat message; `sender` is a UserSummary."""

    # Reads `select_related("sender__profile_photo")` (livestreams.selectors.chat_messages).
    _id = serializers.CharField(source="id", read_only=True)
    stream_id = serializers.CharField(source="live_stream_id", read_only=True)
    sender = UserSummarySerializer(read_only=True)

    class Meta:
        model = ChatMessage
        fields = ["_id", "stream_id", "content", "sender", "created_at", "updated_at"]
        read_only_fields = fields


def chat_message_json(message: ChatMessage, *, request=None) -> dict:
    """The ChatMessage as a JSON-ready dict; photo URLs from `request`'s host, or from
    PUBLIC_API_URL without one."""
    data = ChatMessageSerializer(message, context={"request": request}).data
    return json.loads(json.dumps(camelize(data), cls=ApiJSONEncoder))


class ChatMessagePageSerializer(serializers.Serializer):
    """One page of a live stream's chat history, newest first."""

    messages = ChatMessageSerializer(many=True)
    page = serializers.IntegerField()
    limit = serializers.IntegerField()
    total = serializers.IntegerField()
    total_pages = serializers.IntegerField()
    has_next_page = serializers.BooleanField()
    has_previous_page = serializers.BooleanField()


class ChatMessageDeletedSerializer(serializers.Serializer):
    _id = serializers.CharField()
    deleted = serializers.BooleanField()


class LiveStreamBanStateSerializer(serializers.Serializer):
    user_id = serializers.CharField()
    banned = serializers.BooleanField()


# --- Input -----------------------------------------------------------------------------------


class ChatContentField(StrictCharField):
    """The text of a message, as sent: only its type is checked here. Trimming, control
    characters (NUL included, which DRF would refuse) and the length are the chat service's
    rules (livestreams.services.chat), which the socket's sendMessage shares."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, ProhibitNullCharactersValidator)
        ]


class ChatMessageCreateSerializer(serializers.Serializer):
    content = ChatContentField(
        help_text=(
            "Plain text, 1–500 characters once trimmed; control characters other than line "
            "breaks are removed (a tab becomes a space)."
        ),
    )


class LiveStreamBanSerializer(serializers.Serializer):
    user_id = ObjectIdField(help_text="The user to ban: 24 hexadecimal characters.")
