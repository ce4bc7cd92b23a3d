"""The credit ledger and what feeds it (contract section 5).

- `CreditTransaction`: one append-only row per balance change, written in the same database
  transaction as `User.credit_balance` (users.credits.services). Only `status` ever changes,
  and only from `pending` (money held until a stream settles) to `completed` or `refunded`.
- `CreditPackage`: what the stores sell, by RevenueCat `product_id`.
- `RevenueCatEvent`: every accepted webhook body, raw, with what processing made of it.
- `IdempotencyRecord`: the first answer to a money request sent with an `Idempotency-Key`.

The rows name a live stream by a foreign key to `livestreams.LiveStream` (a string reference:
`users` never imports `livestreams`; the stream app calls the money service, not the reverse).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.ids import ObjectIdField

AMOUNT_DIGITS = 12  # up to 9,999,999,999.99 credits
MAX_PACKAGE_CREDITS = Decimal("1000000")
CENT = Decimal("0.01")


def format_credits(amount) -> str:
    """`9.99`, `10.00`: how messages and the audit write an amount."""
    return f"{Decimal(amount).quantize(CENT):.2f}"


class Direction(models.TextChoices):
    CREDIT = "credit", _("Credit")
    DEBIT = "debit", _("Debit")


class TransactionType(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    PURCHASE_REFUND = "purchase_refund", _("Purchase refund")
    TICKET = "ticket", _("Ticket")
    TICKET_INCOME = "ticket_income", _("Ticket income")
    FUNDING = "funding", _("Funding")
    FUNDING_REFUND = "funding_refund", _("Funding refund")
    FUNDING_PAYOUT = "funding_payout", _("Funding payout")
    GUEST_FEE = "guest_fee", _("Guest fee")
    GUEST_FEE_REFUND = "guest_fee_refund", _("Guest fee refund")
    GUEST_FEE_PAYOUT = "guest_fee_payout", _("Guest fee payout")
    REPLAY_RENTAL = "replay_rental", _("Replay rental")
    REPLAY_INCOME = "replay_income", _("Replay income")
    ADJUSTMENT = "adjustment", _("Adjustment")
    ACCOUNT_CLOSURE = "account_closure", _("Account closure")


class TransactionStatus(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    PENDING = "pending", _("Pending")
    REFUNDED = "refunded", _("Refunded")


T = TransactionType
# Which way each type moves money. An adjustment goes either way (staff decide).
DIRECTION_OF_TYPE: dict[str, str | None] = {
    T.PURCHASE: Direction.CREDIT,
    T.PURCHASE_REFUND: Direction.DEBIT,
    T.TICKET: Direction.DEBIT,
    T.TICKET_INCOME: Direction.CREDIT,
    T.FUNDING: Direction.DEBIT,
    T.FUNDING_REFUND: Direction.CREDIT,
    T.FUNDING_PAYOUT: Direction.CREDIT,
    T.GUEST_FEE: Direction.DEBIT,
    T.GUEST_FEE_REFUND: Direction.CREDIT,
    T.GUEST_FEE_PAYOUT: Direction.CREDIT,
    T.REPLAY_RENTAL: Direction.DEBIT,
    T.REPLAY_INCOME: Direction.CREDIT,
    T.ADJUSTMENT: None,
    T.ACCOUNT_CLOSURE: Direction.DEBIT,
}
# Money held until its stream settles: the only rows born `pending`.
HELD_TYPES = (T.FUNDING, T.GUEST_FEE)
# A refund row names the row it gives back; each row is given back at most once.
REFUND_OF_TYPE = {
    T.FUNDING: T.FUNDING_REFUND,
    T.GUEST_FEE: T.GUEST_FEE_REFUND,
    T.PURCHASE: T.PURCHASE_REFUND,
}
PAYOUT_OF_TYPE = {T.FUNDING: T.FUNDING_PAYOUT, T.GUEST_FEE: T.GUEST_FEE_PAYOUT}
# Earnings rows: the earner's share of a gross amount, the rest recorded as the platform's.
EARNING_TYPES = (T.TICKET_INCOME, T.REPLAY_INCOME, T.FUNDING_PAYOUT, T.GUEST_FEE_PAYOUT)


def _direction_matches_type() -> Q:
    condition = Q(type=T.ADJUSTMENT)
    for type_, direction in DIRECTION_OF_TYPE.items():
        if direction is not None:
            condition |= Q(type=type_, direction=direction)
    return condition


class CreditTransaction(models.Model):
    """One ledger row. Amounts are positive; `direction` says which way they moved."""

    id = ObjectIdField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credit_transactions"
    )
    # The user's n-th ledger row (1, 2, ...), taken under the lock on the user row: the order
    # `balance_after` follows (credits_audit), and a second writer racing for the same number
    # fails on the unique constraint instead of forking the chain.
    sequence = models.PositiveBigIntegerField()
    type = models.CharField(max_length=20, choices=TransactionType.choices)
    direction = models.CharField(max_length=6, choices=Direction.choices)
    amount = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=2)
    balance_after = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=2)
    status = models.CharField(
        max_length=9, choices=TransactionStatus.choices, default=TransactionStatus.COMPLETED
    )
    live_stream = models.ForeignKey(
        "livestreams.LiveStream",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_transactions",
    )
    # The row this one gives back (a refund) or pays out (a payout names no single row).
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal"
    )
    package = models.ForeignKey(
        "users.CreditPackage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
    )
    # The store's transaction id of a purchase (RevenueCat `transaction_id`): once only.
    external_id = models.CharField(max_length=255, null=True, blank=True)
    # For earnings: the gross the share was taken from and the platform's part (staff only).
    gross_amount = models.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=2, null=True, blank=True
    )
    platform_amount = models.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=2, null=True, blank=True
    )
    # A staff adjustment's reason, and who made it.
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "sequence"], name="credit_transaction_user_sequence"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="credit_transaction_amount_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="credit_transaction_balance_after_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(type__in=TransactionType.values), name="credit_transaction_type_valid"
            ),
            models.CheckConstraint(
                condition=_direction_matches_type(), name="credit_transaction_direction_of_type"
            ),
            models.CheckConstraint(
                condition=Q(status__in=TransactionStatus.values),
                name="credit_transaction_status_valid",
            ),
            # Only held money is ever pending or refunded.
            models.CheckConstraint(
                condition=Q(status=TransactionStatus.COMPLETED) | Q(type__in=HELD_TYPES),
                name="credit_transaction_status_of_type",
            ),
            # One ticket per viewer and stream: a second charge fails here whatever the timing.
            models.UniqueConstraint(
                fields=["user", "live_stream"],
                condition=Q(type=T.TICKET),
                name="credit_transaction_one_ticket",
            ),
            # One payout of each kind per stream.
            models.UniqueConstraint(
                fields=["live_stream", "type"],
                condition=Q(type__in=list(PAYOUT_OF_TYPE.values())),
                name="credit_transaction_one_payout",
            ),
            # A store purchase is credited once, by its store transaction id.
            models.UniqueConstraint(
                fields=["external_id"],
                condition=Q(type=T.PURCHASE),
                name="credit_transaction_one_purchase",
            ),
        ]
        indexes = [
            # GET /users/me/transactions: a user's rows by time, both directions of sort.
            models.Index(
                fields=["user", "-occurred_at", "-sequence"], name="credit_tx_user_recent"
            ),
            # Settlement: the held rows of one stream.
            models.Index(
                fields=["live_stream", "type"],
                condition=Q(status=TransactionStatus.PENDING),
                name="credit_tx_stream_pending",
            ),
        ]

    def __str__(self) -> str:
        sign = "+" if self.direction == Direction.CREDIT else "-"
        return f"{self.type} {sign}{self.amount} for {self.user_id}"

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.direction == Direction.CREDIT else -self.amount


class CreditPackage(models.Model):
    """A pack of credits the stores sell; `product_id` is the store product RevenueCat names."""

    id = ObjectIdField(primary_key=True)
    product_id = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=100)
    credits = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=2)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["credits", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(credits__gt=0, credits__lte=MAX_PACKAGE_CREDITS),
                name="credit_package_credits_range",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="credit_package_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.credits} credits)"


class RevenueCatEvent(models.Model):
    """One webhook body as RevenueCat sent it, and what processing made of it."""

    class Outcome(models.TextChoices):
        CREDITED = "credited", _("Credited")
        REFUNDED = "refunded", _("Refunded")
        DUPLICATE = "duplicate", _("Already processed")
        UNKNOWN_USER = "unknown_user", _("Unknown user")
        UNKNOWN_PRODUCT = "unknown_product", _("Unknown product")
        UNKNOWN_PURCHASE = "unknown_purchase", _("Refund of a purchase not credited here")
        SANDBOX_IGNORED = "sandbox_ignored", _("Sandbox event ignored")
        TEST = "test", _("Test event")
        IGNORED = "ignored", _("Event type not handled")

    id = ObjectIdField(primary_key=True)
    event_id = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=64)
    app_user_id = models.CharField(max_length=255, blank=True)
    product_id = models.CharField(max_length=255, blank=True)
    transaction_id = models.CharField(max_length=255, blank=True)
    environment = models.CharField(max_length=20, blank=True)
    payload = models.JSONField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    # Credits a refund could not take back because the user had already spent them.
    shortfall = models.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=2, default=Decimal("0")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    credit_transaction = models.ForeignKey(
        CreditTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The purchase a store refund gave back: once only, even when the user had spent every
    # credit and no refund row could be written.
    refunded_purchase = models.OneToOneField(
        CreditTransaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refund_event",
    )
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "RevenueCat event"
        indexes = [models.Index(fields=["transaction_id"], name="revenuecat_event_tx")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class IdempotencyRecord(models.Model):
    """The first answer to a money request sent with an `Idempotency-Key` (kept 24 hours)."""

    id = ObjectIdField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    endpoint = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    # Null while the first request is still running.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "endpoint", "key"], name="idempotency_record_unique"
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_record_created")]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"
