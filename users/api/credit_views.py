"""Credits: the caller's ledger, the packages, test purchases and RevenueCat's webhook
(contract section 5). Thin: validate, one service or selector, shape."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from config.api.fields import get_object_or_not_found
from config.api.pagination import ArrayPagination, PagePagination
from config.api.parsers import PlainJSONParser
from config.api.schema import error_responses
from users.api import credit_serializers as serializers
from users.credits import revenuecat
from users.credits import services as credits
from users.credits.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from users.credits.models import CreditPackage, Direction, TransactionStatus, TransactionType
from users.credits.selectors import transactions_of

CREDITS_TAG = ["credits"]


def _list_parameter(name: str, choices) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        OpenApiTypes.STR,
        many=True,
        explode=True,
        enum=list(choices.values),
        description=(
            f"Comma-separated or repeated; `{name}[]` works too. An unknown value is a 400."
        ),
    )


class TransactionsView(GenericAPIView):
    serializer_class = serializers.CreditTransactionSerializer
    pagination_class = PagePagination

    @extend_schema(
        tags=CREDITS_TAG,
        summary="The caller's credit transactions (the ledger)",
        description=(
            "Newest first unless `sort=asc`. `dateFrom`/`dateTo` are inclusive; a date "
            "(`2026-01-15`) means that whole UTC day. Paginated: `page`, `limit` (default 20, "
            "at most 100)."
        ),
        parameters=[
            _list_parameter("types", TransactionType),
            _list_parameter("statuses", TransactionStatus),
            OpenApiParameter("direction", str, enum=list(Direction.values)),
            OpenApiParameter(
                "dateFrom",
                OpenApiTypes.STR,
                description="A date (`2026-01-15`: from its first instant, UTC) or a date-time.",
            ),
            OpenApiParameter(
                "dateTo",
                OpenApiTypes.STR,
                description="A date (`2026-01-15`: to its last instant, UTC) or a date-time.",
            ),
            OpenApiParameter("sort", str, enum=["asc", "desc"], default="desc"),
        ],
        responses={200: serializers.CreditTransactionSerializer(many=True)},
    )
    def get(self, request):
        filters = serializers.transaction_filters(request.query_params)
        page = self.paginate_queryset(transactions_of(user=request.user, **filters))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class CreditPackagesView(GenericAPIView):
    serializer_class = serializers.CreditPackageSerializer
    pagination_class = ArrayPagination

    @extend_schema(
        tags=CREDITS_TAG,
        summary="Credit packages on sale",
        description="Active packages, fewest credits first. `productId` is the store product.",
        responses={200: serializers.CreditPackageSerializer(many=True)},
    )
    def get(self, request):
        page = self.paginate_queryset(CreditPackage.objects.filter(is_active=True))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class CreditPurchaseView(GenericAPIView):
    serializer_class = serializers.CreditPurchaseSerializer

    def initial(self, request, *args, **kwargs):
        # Off (production): the endpoint does not exist, for anyone.
        if not settings.CREDIT_TEST_PURCHASES:
            raise NotFound()
        super().initial(request, *args, **kwargs)

    @extend_schema(
        tags=CREDITS_TAG,
        summary="Buy a credit package without a store (test and development only)",
        description=(
            "Enabled by `CREDIT_TEST_PURCHASES` (on in debug, off otherwise); when off this "
            "is a 404. In production credits are bought in the app stores through RevenueCat."
        ),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=serializers.CreditPurchaseSerializer,
        responses={
            201: serializers.CreditPurchaseResultSerializer,
            **error_responses(404, 409, 422),
        },
    )
    @idempotent("credit-packages-purchase")
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        package = get_object_or_not_found(
            CreditPackage.objects.filter(is_active=True), serializer.validated_data["package_id"]
        )
        row = credits.purchase_credit(user=request.user, package=package)
        request.user.refresh_from_db(fields=["credit_balance"])
        result = {"credit_balance": request.user.credit_balance, "transaction": row}
        return Response(
            serializers.CreditPurchaseResultSerializer(result, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class RevenueCatWebhookView(GenericAPIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []  # RevenueCat retries; the secret, not a rate, keeps others out
    # The body is stored as RevenueCat sent it: no camelCase conversion of its keys.
    parser_classes = [PlainJSONParser]
    serializer_class = serializers.RevenueCatEventResultSerializer

    @extend_schema(
        tags=CREDITS_TAG,
        summary="RevenueCat webhook (store purchases and refunds)",
        description=(
            "Called by RevenueCat with `Authorization` set to `REVENUECAT_WEBHOOK_AUTH`. "
            "Every accepted event is stored and answered 200, including events for unknown "
            "users or products and `TEST` events; an event is processed once by `event.id`, "
            "a purchase once by `transaction_id`."
        ),
        request={"application/json": {"type": "object", "additionalProperties": True}},
        responses={200: serializers.RevenueCatEventResultSerializer, **error_responses(401)},
    )
    def post(self, request):
        revenuecat.webhook_authorize(header=request.headers.get("Authorization"))
        event = revenuecat.revenuecat_event_receive(body=request.data)
        return Response({"event_id": event.event_id, "outcome": event.outcome})
