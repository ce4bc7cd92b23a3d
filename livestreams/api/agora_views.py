"""POST /api/v1/webhooks/agora: Agora's Notification Center (contract section 12).

No user token and no rate limit: the signature keeps others out, and Agora retries what is
not answered 200 within its 10 s. The raw body is read first (the signature is over its
bytes), then parsed with the API's own JSON rules, then checked here; the service
(livestreams.services.agora_events) stores and applies it.
"""

import io
import re

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.fields import StrictCharField
from config.api.parsers import PlainJSONParser
from config.api.schema import EnvelopeAutoSchema, error_responses
from livestreams import services
from livestreams.models import UID_MAX, AgoraEvent
from livestreams.services.agora_events import (
    PRODUCT_CLOUD_RECORDING,
    PRODUCT_RTC,
    RECORDING_UPLOADED,
    SIGNATURE_HEADER,
    AgoraNotice,
)

TAGS = ["webhooks"]
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
# 9999-12-31T23:59:59Z: the last second a datetime holds.
TS_MAX = 253402300799
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
NOTICE_ID_MAX_LENGTH = AgoraEvent._meta.get_field("notice_id").max_length


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer, and only that: `"7"`, `7.0` or `true` is a 400."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictStringField(StrictCharField):
    """A string as Agora sent it (blank allowed, spaces kept)."""

    def __init__(self, **kwargs):
        super().__init__(allow_blank=True, trim_whitespace=False, **kwargs)


class StrictObjectField(serializers.DictField):
    """A JSON object (its values unchecked here)."""


class StrictListField(serializers.ListField):
    """A JSON array."""


# The payload fields this endpoint reads, checked when present (Agora adds fields over time,
# and its own check `test_webhook` sends few): RTC channel events, then Cloud Recording.
RTC_PAYLOAD_FIELDS = {
    "channelName": lambda: StrictStringField(),
    "uid": lambda: StrictIntegerField(min_value=0, max_value=UID_MAX),
    "clientSeq": lambda: StrictIntegerField(min_value=0, max_value=INT64_MAX),
    "ts": lambda: StrictIntegerField(min_value=0, max_value=TS_MAX),
}
RECORDING_PAYLOAD_FIELDS = {
    "cname": lambda: StrictStringField(),
    "details": lambda: StrictObjectField(),
}
UPLOADED_DETAILS_FIELDS = {
    "status": lambda: StrictIntegerField(),
    "fileList": lambda: StrictListField(child=StrictObjectField()),
}
UPLOADED_FILE_FIELDS = {"fileName": lambda: StrictStringField()}


def _check(values: dict, fields: dict) -> dict:
    """The errors of the `fields` present in `values`, by name (DRF's nesting)."""
    errors = {}
    for name, make_field in fields.items():
        if name in values:
            try:
                make_field().run_validation(values[name])
            except serializers.ValidationError as error:
                errors[name] = error.detail
    return errors


def _storable(value):
    """The body with what no database stores made harmless: NUL characters dropped and lone
    surrogates (invalid halves, which JSON allows) replaced, in keys and values. The parser
    has bounded the nesting depth."""
    if isinstance(value, str):
        return LONE_SURROGATE.sub("\ufffd", value.replace("\x00", ""))
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def parse_body(body: bytes):
    """The raw body as JSON (400 when it is not), keys as Agora wrote them."""
    data = PlainJSONParser().parse(io.BytesIO(body), parser_context={})
    return _storable(data)


class AgoraNoticeSerializer(serializers.Serializer):
    """The envelope of every NCS notice; `payload` is checked by product and event."""

    noticeId = StrictCharField(max_length=NOTICE_ID_MAX_LENGTH)  # Agora's keys, as sent
    productId = StrictIntegerField(min_value=0, max_value=INT32_MAX)
    eventType = StrictIntegerField(min_value=0, max_value=INT32_MAX)
    notifyMs = StrictIntegerField(min_value=0, max_value=INT64_MAX, required=False, allow_null=True)
    payload = StrictObjectField()

    def validate(self, attrs):
        payload = attrs["payload"]
        errors = {}
        if attrs["productId"] == PRODUCT_RTC:
            errors = _check(payload, RTC_PAYLOAD_FIELDS)
        elif attrs["productId"] == PRODUCT_CLOUD_RECORDING:
            errors = _check(payload, RECORDING_PAYLOAD_FIELDS)
            details = payload.get("details")
            if attrs["eventType"] == RECORDING_UPLOADED and isinstance(details, dict):
                detail_errors = _check(details, UPLOADED_DETAILS_FIELDS)
                files = details.get("fileList")
                if not detail_errors and isinstance(files, list):
                    file_errors = [_check(item, UPLOADED_FILE_FIELDS) for item in files]
                    if any(file_errors):
                        detail_errors["fileList"] = file_errors
                if detail_errors:
                    errors["details"] = detail_errors
        if errors:
            raise serializers.ValidationError({"payload": errors})
        return attrs

    def notice(self) -> AgoraNotice:
        data = self.validated_data
        return AgoraNotice(
            notice_id=data["noticeId"],
            product_id=data["productId"],
            event_type=data["eventType"],
            notify_ms=data.get("notifyMs"),
            payload=data["payload"],
            body=self.initial_data,
        )


class AgoraEventResultSerializer(serializers.Serializer):
    notice_id = serializers.CharField(source="event.notice_id")
    outcome = serializers.CharField(
        source="event.outcome", help_text="What the event did here, in a few words for staff."
    )
    duplicate = serializers.BooleanField(
        help_text="True when this noticeId had been received before: nothing was done again."
    )


SIGNATURE_PARAMETER = OpenApiParameter(
    SIGNATURE_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="Hex HMAC-SHA256 of the raw request body with `AGORA_NCS_SECRET`.",
)
NOTICE_SCHEMA = {
    "type": "object",
    "required": ["noticeId", "productId", "eventType", "payload"],
    "properties": {
        "noticeId": {"type": "string", "maxLength": NOTICE_ID_MAX_LENGTH},
        "productId": {"type": "integer", "description": "1 RTC channel, 3 Cloud Recording."},
        "eventType": {"type": "integer"},
        "notifyMs": {"type": "integer", "nullable": True},
        "sid": {"type": "string"},
        "payload": {"type": "object", "additionalProperties": True},
    },
    "additionalProperties": True,
}
AUDIENCE_JOIN_EXAMPLE = OpenApiExample(
    "Audience join (105)",
    request_only=True,
    value={
        "noticeId": "2000001428:4330:105",
        "productId": 1,
        "eventType": 105,
        "notifyMs": 1611566412672,
        "payload": {
            "channelName": "test_webhook",
            "uid": 12121212,
            "platform": 1,
            "clientSeq": 1625051035346,
            "ts": 1560396843,
            "account": "test",
        },
    },
)


class AgoraWebhookSchema(EnvelopeAutoSchema):
    """No 415: the body is read as bytes whatever its media type (Agora's is JSON)."""

    def _add_default_errors(self, operation: dict) -> None:
        super()._add_default_errors(operation)
        operation["responses"].pop("415", None)


class AgoraWebhookView(APIView):
    schema = AgoraWebhookSchema()
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []  # Agora retries; the signature, not a rate, keeps others out

    @extend_schema(
        tags=TAGS,
        summary="Agora Notification Center webhook (channel and Cloud Recording events)",
        description=(
            f"Called by Agora with `{SIGNATURE_HEADER}`: a missing or wrong signature, or no "
            "`AGORA_NCS_SECRET` configured, is a 401 and stores nothing; a body that is not "
            "a notice is a 400 and stores nothing. Every verified notice is stored once by "
            "`noticeId` and answered 200, including notices for unknown channels and "
            "Agora's `test_webhook` check. Presence events (103-106) are ordered per uid "
            "by `clientSeq`; 102 ends an active stream whose host left more than the grace "
            "ago; Cloud Recording 31 attaches the recording. `outcome` says what it did."
        ),
        parameters=[SIGNATURE_PARAMETER],
        request={"application/json": NOTICE_SCHEMA},
        examples=[AUDIENCE_JOIN_EXAMPLE],
        responses={200: AgoraEventResultSerializer, **error_responses(400, 401)},
    )
    def post(self, request):
        body = request.body  # raw, before anything parses it: the signature is over these bytes
        services.agora_signature_verify(body=body, signature=request.headers.get(SIGNATURE_HEADER))
        serializer = AgoraNoticeSerializer(data=parse_body(body))
        serializer.is_valid(raise_exception=True)
        result = services.agora_event_receive(notice=serializer.notice())
        return Response(AgoraEventResultSerializer(result).data)
