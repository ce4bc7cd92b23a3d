"""Shapes of the credit endpoints (contract section 5)."""

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.templatetags.static import static
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.fields import ObjectIdField, absolute_url
from users.credits.models import (
    CreditPackage,
    CreditTransaction,
    Direction,
    RevenueCatEvent,
    TransactionStatus,
    TransactionType,
)

T = TransactionType
# "<what>: <about what>", in the reader's language when the list is read.
_DESCRIPTIONS = {
    T.PURCHASE: _("Credit purchase: %(detail)s"),
    T.PURCHASE_REFUND: _("Store refund: %(detail)s"),
    T.TICKET: _("Ticket: %(detail)s"),
    T.TICKET_INCOME: _("Ticket income: %(detail)s"),
    T.FUNDING: _("Crowdfunding: %(detail)s"),
    T.FUNDING_REFUND: _("Crowdfunding refund: %(detail)s"),
    T.FUNDING_PAYOUT: _("Crowdfunding payout: %(detail)s"),
    T.GUEST_FEE: _("Guest fee: %(detail)s"),
    T.GUEST_FEE_REFUND: _("Guest fee refund: %(detail)s"),
    T.GUEST_FEE_PAYOUT: _("Guest fee payout: %(detail)s"),
    T.REPLAY_RENTAL: _("Replay rental: %(detail)s"),
    T.REPLAY_INCOME: _("Replay income: %(detail)s"),
    T.ADJUSTMENT: _("Adjustment: %(detail)s"),
}
ACCOUNT_CLOSURE_DESCRIPTION = _("Account closed: the balance was forfeited")
UNKNOWN_VALUE = _("Unknown value %(value)s; use one of: %(choices)s.")
INVALID_DATE = _("Enter a date (2026-01-15) or a date-time (2026-01-15T10:30:00Z).")
DATE_RANGE_REVERSED = _("dateFrom is after dateTo.")
DATE_OUT_OF_RANGE = _("This date is out of range.")


def transaction_description(row: CreditTransaction) -> str:
    if row.type == T.ACCOUNT_CLOSURE:
        return str(ACCOUNT_CLOSURE_DESCRIPTION)
    if row.type == T.ADJUSTMENT:
        detail = row.reason
    elif row.live_stream_id is not None:
        detail = row.live_stream.title
    elif row.package_id is not None:
        detail = row.package.name
    else:
        detail = gettext("credits")
    return gettext(_DESCRIPTIONS[row.type]) % {"detail": detail}


class TransactionLiveStreamSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    thumbnail_url = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "format": "uri"})
    def get_thumbnail_url(self, live_stream) -> str:
        # The stream's own picture, or the default one (users cannot import livestreams).
        if live_stream.thumbnail:
            url = live_stream.thumbnail.url
        else:
            url = static(settings.LIVE_STREAM_DEFAULT_THUMBNAIL)
        return absolute_url(self.context.get("request"), url)


class CreditTransactionSerializer(serializers.ModelSerializer):
    """The contract's CreditTransaction. `select_related("live_stream", "package")`."""

    _id = serializers.CharField(source="id")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    balance_after = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    description = serializers.SerializerMethodField()
    live_stream = TransactionLiveStreamSerializer(allow_null=True)

    class Meta:
        model = CreditTransaction
        fields = [
            "_id",
            "type",
            "direction",
            "amount",
            "balance_after",
            "status",
            "description",
            "live_stream",
            "occurred_at",
        ]
        read_only_fields = fields

    def get_description(self, row: CreditTransaction) -> str:
        return transaction_description(row)


def _many(query_params, name: str) -> list[str]:
    """`types[]=a&types[]=b`, `types=a,b` and `types=a&types=b` all mean [a, b]."""
    values = query_params.getlist(f"{name}[]") + query_params.getlist(name)
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _choices(name: str, values: list[str], choices) -> list[str]:
    unknown = [value for value in values if value not in choices.values]
    if unknown:
        raise serializers.ValidationError(
            {name: UNKNOWN_VALUE % {"value": unknown[0], "choices": ", ".join(choices.values)}}
        )
    return values


def _moment(name: str, raw: str | None, *, end: bool):
    """A date means its whole UTC day (from its first instant, or up to its last)."""
    if raw is None or raw.strip() == "":
        return None
    raw = raw.strip()
    try:
        day = parse_date(raw)
        moment = None if day else parse_datetime(raw)
    except ValueError:
        day = moment = None
    if day is None and moment is None:
        raise serializers.ValidationError({name: INVALID_DATE})
    try:
        if day is not None:
            start = datetime.combine(day, time.min, tzinfo=UTC)
            return start + timedelta(days=1) - timedelta(microseconds=1) if end else start
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)  # a moment near year 1 or 9999 may not exist in UTC
    except OverflowError:
        # The last day there is (9999-12-31) has no "next day": it runs to the end of time.
        if day is not None and end:
            return datetime.max.replace(tzinfo=UTC)
        raise serializers.ValidationError({name: DATE_OUT_OF_RANGE}) from None


def transaction_filters(query_params) -> dict:
    """The filters of GET /users/me/transactions, read and checked (400 naming the filter)."""
    direction = (query_params.get("direction") or "").strip()
    sort = (query_params.get("sort") or "desc").strip() or "desc"
    if sort not in ("asc", "desc"):
        raise serializers.ValidationError(
            {"sort": UNKNOWN_VALUE % {"value": sort, "choices": "asc, desc"}}
        )
    filters = {
        "types": _choices("types", _many(query_params, "types"), TransactionType),
        "statuses": _choices("statuses", _many(query_params, "statuses"), TransactionStatus),
        "direction": _choices("direction", [direction], Direction)[0] if direction else None,
        "date_from": _moment("dateFrom", query_params.get("dateFrom"), end=False),
        "date_to": _moment("dateTo", query_params.get("dateTo"), end=True),
        "ascending": sort == "asc",
    }
    if filters["date_from"] and filters["date_to"] and filters["date_from"] > filters["date_to"]:
        raise serializers.ValidationError({"dateFrom": DATE_RANGE_REVERSED})
    return filters


class CreditPackageSerializer(serializers.ModelSerializer):
    _id = serializers.CharField(source="id")
    credits = serializers.DecimalField(max_digits=12, decimal_places=2)
    price = serializers.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        model = CreditPackage
        fields = ["_id", "name", "credits", "price", "currency", "product_id"]
        read_only_fields = fields


class CreditPurchaseSerializer(serializers.Serializer):
    package_id = ObjectIdField()


class CreditPurchaseResultSerializer(serializers.Serializer):
    credit_balance = serializers.DecimalField(max_digits=12, decimal_places=2)
    transaction = CreditTransactionSerializer()


class RevenueCatEventResultSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    outcome = serializers.ChoiceField(choices=RevenueCatEvent.Outcome.choices)
